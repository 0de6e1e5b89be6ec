package store_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/inbox"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// Forged list cursors (issue 8, item 9): every decoded field is checked
// before it reaches SQL, so each is the listing's 400, never a database error
// (NUL in a text key is PostgreSQL's 22021, 9999999999 overflows an INTEGER).
func TestForgedCursors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 2)
		g := e.create(u[0], "alpha", false, 0)
		id := g.ID
		raw := func(json string) string { return base64.RawURLEncoding.EncodeToString([]byte(json)) }
		pad := func(json string) string { return base64.URLEncoding.EncodeToString([]byte(json)) }
		five, open := 5, true
		banned, member := groups.Banned, groups.Member

		byName := groups.ListGroupsRequest{Name: "a%"}
		byTime := groups.ListGroupsRequest{Open: &open}
		byLang := groups.ListGroupsRequest{LangTag: "en"}
		byEdges := groups.ListGroupsRequest{Members: &five}
		// The filter fingerprints the service writes for these requests.
		const fName, fTime, fLang, fEdges = `0|a%||<nil>|<nil>`, `1|||<nil>|true`, `2||en|<nil>|<nil>`, `3|||5|<nil>`
		groupCursor := func(order int, nameKey string, edge string, cid, filter string) string {
			return raw(`{"Order":` + itoa(order) + `,"NameKey":"` + nameKey + `","UpdateTime":0,"EdgeCount":` + edge +
				`,"ID":"` + cid + `","Filter":"` + filter + `"}`)
		}
		listGroups := func(req groups.ListGroupsRequest, c string) error {
			req.Cursor = c
			_, err := e.svc.ListGroups(ctx, req)
			return err
		}
		const malformed, invalid = "Malformed cursor was used.", "Cursor is invalid."
		for _, c := range []struct {
			name string
			run  func() error
			msg  string
		}{
			{"groups/NUL in the name key", func() error { return listGroups(byName, groupCursor(0, `a\u0000`, "0", id, fName)) }, malformed},
			{"groups/over-long name key", func() error {
				return listGroups(byName, groupCursor(0, strings.Repeat("a", groups.MaxNameLen+1), "0", id, fName))
			}, malformed},
			{"groups/edge count beyond int4 (lang order)", func() error { return listGroups(byLang, groupCursor(2, "", "9999999999", id, fLang)) }, malformed},
			{"groups/edge count beyond int4 (members order)", func() error { return listGroups(byEdges, groupCursor(3, "", "9999999999", id, fEdges)) }, malformed},
			{"groups/negative edge count", func() error { return listGroups(byEdges, groupCursor(3, "", "-1", id, fEdges)) }, malformed},
			{"groups/edge count beyond int64", func() error { return listGroups(byLang, groupCursor(2, "", "1e30", id, fLang)) }, malformed},
			{"groups/fractional edge count", func() error { return listGroups(byLang, groupCursor(2, "", "1.5", id, fLang)) }, malformed},
			{"groups/upper-case id", func() error { return listGroups(byTime, groupCursor(1, "", "0", strings.ToUpper(id), fTime)) }, malformed},
			{"groups/nil id", func() error {
				return listGroups(byTime, groupCursor(1, "", "0", "00000000-0000-0000-0000-000000000000", fTime))
			}, malformed},
			{"groups/NUL in the id", func() error { return listGroups(byTime, groupCursor(1, "", "0", `\u0000`, fTime)) }, malformed},
			{"groups/order of another filter", func() error { return listGroups(byTime, groupCursor(2, "", "0", id, fTime)) }, malformed},
			{"groups/unknown order", func() error { return listGroups(byTime, groupCursor(99, "", "0", id, fTime)) }, malformed},
			{"groups/unknown field", func() error { return listGroups(byTime, raw(`{"Order":1,"ID":"`+id+`","Filter":"`+fTime+`","X":1}`)) }, malformed},
			{"groups/trailing data", func() error {
				return listGroups(byTime, raw(`{"Order":1,"ID":"`+id+`","Filter":"`+fTime+`"}{}`))
			}, malformed},
			{"groups/not base64", func() error { return listGroups(byTime, "%%%") }, malformed},
			{"groups/not JSON", func() error { return listGroups(byTime, raw("\xff\x00")) }, malformed},
			{"groups/too long", func() error { return listGroups(byTime, strings.Repeat("A", 5000)) }, malformed},

			{"members/state out of range", func() error {
				_, err := e.svc.ListGroupUsers(ctx, groups.ListGroupUsersRequest{GroupID: id,
					Cursor: pad(`{"State":99,"Position":0,"ID":"` + u[0] + `","Filter":-1}`)})
				return err
			}, invalid},
			{"members/state other than the filter", func() error {
				_, err := e.svc.ListGroupUsers(ctx, groups.ListGroupUsersRequest{GroupID: id, State: &member,
					Cursor: pad(`{"State":4,"Position":0,"ID":"` + u[0] + `","Filter":2}`)})
				return err
			}, invalid},
			{"members/NUL id", func() error {
				_, err := e.svc.ListGroupUsers(ctx, groups.ListGroupUsersRequest{GroupID: id,
					Cursor: pad(`{"State":0,"Position":0,"ID":"\u0000","Filter":-1}`)})
				return err
			}, invalid},
			{"members/position beyond int64", func() error {
				_, err := e.svc.ListGroupUsers(ctx, groups.ListGroupUsersRequest{GroupID: id,
					Cursor: pad(`{"State":0,"Position":99999999999999999999,"ID":"` + u[0] + `","Filter":-1}`)})
				return err
			}, invalid},
			{"user groups/bad id", func() error {
				_, err := e.svc.ListUserGroups(ctx, groups.ListUserGroupsRequest{UserID: u[0],
					Cursor: pad(`{"State":0,"Position":0,"ID":"x","Filter":-1}`)})
				return err
			}, invalid},
			{"user groups/ban listing still checks its cursor", func() error {
				_, err := e.svc.ListUserGroups(ctx, groups.ListUserGroupsRequest{UserID: u[0], State: &banned,
					Cursor: pad(`{"State":4,"Position":0,"ID":"x","Filter":4}`)})
				return err
			}, invalid},

			{"notifications/NUL id", func() error {
				_, err := e.inbox.List(ctx, u[0], 10, raw(`{"CreateTime":0,"ID":"\u0000"}`))
				return err
			}, malformed},
			{"notifications/time beyond int64", func() error {
				_, err := e.inbox.List(ctx, u[0], 10, raw(`{"CreateTime":1e40,"ID":"`+u[0]+`"}`))
				return err
			}, malformed},
		} {
			t.Run(c.name, func(t *testing.T) {
				wantCode(t, c.run(), errs.CodeInvalidArgument, c.msg)
			})
		}

		// Extreme but well-typed values are valid keys: they page past everything.
		for name, c := range map[string]struct {
			req    groups.ListGroupsRequest
			cursor string
		}{
			"max edge count": {byLang, groupCursor(2, "", "2147483647", id, fLang)},
			"name key":       {byName, groupCursor(0, "zzz", "0", id, fName)},
			"max update time": {byTime, raw(`{"Order":1,"NameKey":"","UpdateTime":9223372036854775807,"EdgeCount":0,"ID":"` +
				id + `","Filter":"` + fTime + `"}`)},
		} {
			c.req.Cursor = c.cursor
			l, err := e.svc.ListGroups(ctx, c.req)
			if err != nil || len(l.Groups) != 0 {
				t.Errorf("%s: %v %v", name, l.Groups, err)
			}
		}
		_, err := e.svc.ListGroupUsers(ctx, groups.ListGroupUsersRequest{GroupID: id,
			Cursor: pad(`{"State":3,"Position":9223372036854775807,"ID":"` + u[0] + `","Filter":-1}`)})
		ok(t, err)
	})
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + itoa(n%10)
}

// countRows counts rows of a table matching a condition, straight from SQL.
func (e *env) countRows(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.Read.Raw(query, args...).Scan(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// Numbers beyond the INTEGER columns (issue 8, item 11) are the service's
// 400 whoever calls it: Lua passes any float64, and 2^40 was stored as
// max_count on SQLite and a 500 on PostgreSQL.
func TestNumbersBeyondColumns(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 1)
		huge := 1 << 40
		_, err := e.svc.CreateGroup(ctx, groups.SystemActor(), groups.CreateGroupRequest{OwnerID: u[0], Name: "big", MaxCount: huge})
		wantCode(t, err, errs.CodeInvalidArgument, "Group max count must be at most 2147483647.")
		if n := e.countRows("SELECT count(*) FROM groups"); n != 0 {
			t.Fatalf("%d groups stored", n)
		}
		g := e.create(u[0], "small", true, 10)
		err = e.svc.UpdateGroup(ctx, groups.SystemActor(), groups.UpdateGroupRequest{GroupID: g.ID, MaxCount: &huge})
		wantCode(t, err, errs.CodeInvalidArgument, "Group max count must be at most 2147483647.")
		if got := e.group(g.ID).MaxCount; got != 10 {
			t.Fatalf("max_count %d after a refused update", got)
		}
		limit := groups.MaxMaxCount
		ok(t, e.svc.UpdateGroup(ctx, groups.SystemActor(), groups.UpdateGroupRequest{GroupID: g.ID, MaxCount: &limit}))
		if got := e.group(g.ID).MaxCount; got != groups.MaxMaxCount {
			t.Fatalf("max_count %d, want the largest INTEGER", got)
		}

		_, err = e.svc.ListGroups(ctx, groups.ListGroupsRequest{Members: &huge})
		wantCode(t, err, errs.CodeInvalidArgument, "Members filter must be between -2147483648 and 2147483647.")
		err = e.inbox.Send(ctx, inbox.Notification{UserID: u[0], Subject: "s", Code: huge})
		wantCode(t, err, errs.CodeInvalidArgument, "Notification code must be between -2147483648 and 2147483647.")
		if n := e.countRows("SELECT count(*) FROM notifications"); n != 0 {
			t.Fatalf("%d notifications stored", n)
		}
		state := groups.State(huge)
		_, err = e.svc.ListUserGroups(ctx, groups.ListUserGroupsRequest{UserID: u[0], State: &state})
		wantCode(t, err, errs.CodeInvalidArgument, "Invalid state - state must be between 0 and 4.")
	})
}

// An upper-case id acts exactly as its lower-case form (issue 8, item 11): nk
// callers pass ids as they got them, and the raw id reached SQL as a
// different key (a duplicate-key 500 on PostgreSQL).
func TestUpperCaseIDs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 3)
		up := strings.ToUpper
		owner, joiner, other := u[0], u[1], u[2]
		closed := e.create(owner, "closed", false, 0)
		opened := e.create(owner, "open", true, 0)

		// Join a closed group twice: one request, the second join a no-op.
		for i := 0; i < 2; i++ {
			ok(t, e.svc.JoinGroup(ctx, user(up(joiner)), groups.JoinGroupRequest{GroupID: up(closed.ID)}))
		}
		if st := e.states(closed.ID); len(st) != 2 || st[joiner] != groups.JoinRequest {
			t.Fatalf("after join: %v", st)
		}
		// The owner, named in upper case, accepts it; then adds another user.
		ok(t, e.svc.AddUsers(ctx, user(up(owner)), groups.GroupUsersRequest{GroupID: closed.ID, UserIDs: []string{up(joiner), up(other)}}))
		if st := e.states(closed.ID); len(st) != 3 || st[joiner] != groups.Member || st[other] != groups.Member {
			t.Fatalf("after add: %v", st)
		}
		// An actor naming itself among the targets is skipped, in any case.
		ok(t, e.svc.PromoteUsers(ctx, user(up(owner)), groups.GroupUsersRequest{GroupID: closed.ID, UserIDs: []string{owner, up(joiner)}}))
		ok(t, e.svc.KickUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: closed.ID, UserIDs: []string{up(other)}}))
		if st := e.states(closed.ID); len(st) != 2 || st[owner] != groups.Superadmin || st[joiner] != groups.Admin {
			t.Fatalf("after promote and kick: %v", st)
		}
		ok(t, e.svc.LeaveGroup(ctx, user(up(joiner)), groups.GroupRequest{GroupID: closed.ID}))
		if st := e.states(closed.ID); len(st) != 1 {
			t.Fatalf("after leave: %v", st)
		}

		// Open group: join, repeat, the counter moves once.
		for i := 0; i < 2; i++ {
			ok(t, e.svc.JoinGroup(ctx, user(up(joiner)), groups.JoinGroupRequest{GroupID: opened.ID}))
		}
		if g := e.group(opened.ID); g.EdgeCount != 2 {
			t.Fatalf("edge count %d", g.EdgeCount)
		}
		ok(t, e.svc.UpdateGroup(ctx, user(up(owner)), groups.UpdateGroupRequest{GroupID: opened.ID, Description: ptr("d")}))
		ok(t, e.svc.BanUsers(ctx, user(up(owner)), groups.GroupUsersRequest{GroupID: opened.ID, UserIDs: []string{up(joiner)}}))
		ok(t, e.svc.UnbanUsers(ctx, user(up(owner)), groups.GroupUsersRequest{GroupID: opened.ID, UserIDs: []string{up(joiner)}}))
		g2, err := e.svc.CreateGroup(ctx, user(up(other)), groups.CreateGroupRequest{Name: "mine", OwnerID: other})
		ok(t, err)
		if g2.CreatorID != other {
			t.Fatalf("creator %q", g2.CreatorID)
		}
		ok(t, e.svc.DeleteGroup(ctx, user(up(owner)), groups.GroupRequest{GroupID: opened.ID}))
		e.checkInvariants()
		if n := e.countRows("SELECT count(*) FROM group_members WHERE CAST(user_id AS TEXT) <> lower(CAST(user_id AS TEXT))"); n != 0 {
			t.Fatalf("%d member rows with a non-canonical id", n)
		}

		_, err = e.svc.CreateGroup(ctx, user("not-a-uuid"), groups.CreateGroupRequest{Name: "x"})
		wantCode(t, err, errs.CodeInvalidArgument, "User ID must be a valid ID.")
		err = e.svc.KickUsers(ctx, user("not-a-uuid"), groups.GroupUsersRequest{GroupID: closed.ID, UserIDs: []string{other}})
		wantCode(t, err, errs.CodeInvalidArgument, "User ID must be a valid ID.")
	})
}

func ptr[T any](v T) *T { return &v }

// At most one join request notification per requester and group within the
// window (issue 8, item 12).
func TestJoinRequestNotifyWindow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		db := testapp.OpenDB(t, dialect, url)
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		throttled := &env{t: t, db: db, svc: groups.NewService(store.NewGroups(db), groups.WithClock(clock))}
		always := groups.NewService(store.NewGroups(db), groups.WithClock(clock), groups.WithJoinRequestNotifyWindow(0))
		u := testapp.CreateUsers(t, db, 4)
		owner, admin, joiner, other := u[0], u[1], u[2], u[3]
		g := throttled.create(owner, "closed", false, 0)
		ok(t, throttled.svc.AddUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{admin}}))
		ok(t, throttled.svc.PromoteUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{admin}}))
		notices := func(from string) int {
			return throttled.countRows("SELECT count(*) FROM notifications WHERE code = -5 AND sender_id = ?", from)
		}
		cycle := func(svc *groups.Service, uid string) {
			t.Helper()
			ok(t, svc.JoinGroup(ctx, user(uid), groups.JoinGroupRequest{GroupID: g.ID}))
			if st := throttled.states(g.ID)[uid]; st != groups.JoinRequest {
				t.Fatalf("state %d after join", st)
			}
			ok(t, svc.LeaveGroup(ctx, user(uid), groups.GroupRequest{GroupID: g.ID}))
		}

		cycle(throttled.svc, joiner) // owner and admin notified
		for i := 0; i < 5; i++ {
			now = now.Add(10 * time.Minute)
			cycle(throttled.svc, joiner)
		}
		if n := notices(joiner); n != 2 {
			t.Fatalf("%d notifications after cycles within the window, want 2 (one per admin)", n)
		}
		cycle(throttled.svc, other) // another requester is not throttled by the first
		if n := notices(other); n != 2 {
			t.Fatalf("other requester: %d notifications", n)
		}
		now = now.Add(10 * time.Minute) // an hour after the first notice
		cycle(throttled.svc, joiner)
		if n := notices(joiner); n != 4 {
			t.Fatalf("%d notifications once the window passed, want 4", n)
		}
		// Window 0: every request notifies.
		cycle(always, joiner)
		cycle(always, joiner)
		if n := notices(joiner); n != 8 {
			t.Fatalf("%d notifications without throttling, want 8", n)
		}
		// The notice record goes with the group.
		ok(t, throttled.svc.DeleteGroup(ctx, user(owner), groups.GroupRequest{GroupID: g.ID}))
		if n := throttled.countRows("SELECT count(*) FROM group_join_notices"); n != 0 {
			t.Fatalf("%d notice rows after the group was deleted", n)
		}
	})
}

// A user's own groups never show a ban (issue 8, item 14): Nakama keeps a ban
// only as the group's edge to the user. The group's member listing does.
func TestUserGroupsHideBans(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 2)
		g := e.create(u[0], "club", true, 0)
		ok(t, e.svc.JoinGroup(ctx, user(u[1]), groups.JoinGroupRequest{GroupID: g.ID}))
		ok(t, e.svc.BanUsers(ctx, user(u[0]), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{u[1]}}))
		banned := groups.Banned
		for _, st := range []*groups.State{nil, &banned} {
			l, err := e.svc.ListUserGroups(ctx, groups.ListUserGroupsRequest{UserID: u[1], State: st})
			ok(t, err)
			if len(l.UserGroups) != 0 || l.Cursor != "" {
				t.Fatalf("state %v: the ban is listed: %+v", st, l)
			}
		}
		l, err := e.svc.ListGroupUsers(ctx, groups.ListGroupUsersRequest{GroupID: g.ID, State: &banned})
		ok(t, err)
		if len(l.GroupUsers) != 1 || l.GroupUsers[0].User.ID != u[1] || l.GroupUsers[0].State != groups.Banned {
			t.Fatalf("the group's bans: %+v", l.GroupUsers)
		}
	})
}
