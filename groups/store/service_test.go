package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/inbox"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

var ctx = context.Background()

type env struct {
	t     *testing.T
	db    *store.DB
	svc   *groups.Service
	inbox *inbox.Service
}

func setup(t *testing.T, dialect, url string) *env {
	db := testapp.OpenDB(t, dialect, url)
	st := store.NewGroups(db)
	return &env{t: t, db: db, svc: groups.NewService(st), inbox: inbox.New(st)}
}

func user(id string) groups.Actor { return groups.UserActor(id, "") }

func (e *env) create(owner, name string, open bool, max int) groups.Group {
	e.t.Helper()
	g, err := e.svc.CreateGroup(ctx, user(owner), groups.CreateGroupRequest{Name: name, Open: &open, MaxCount: max})
	if err != nil {
		e.t.Fatalf("create %s: %v", name, err)
	}
	return g
}

// states reads every member row of a group straight from SQL.
func (e *env) states(groupID string) map[string]groups.State {
	e.t.Helper()
	var rows []struct {
		UserID string
		State  groups.State
	}
	if err := e.db.Read.Raw("SELECT user_id, state FROM group_members WHERE group_id = ?", groupID).Scan(&rows).Error; err != nil {
		e.t.Fatal(err)
	}
	m := map[string]groups.State{}
	for _, r := range rows {
		m[r.UserID] = r.State
	}
	return m
}

// checkInvariants verifies, with SQL, every group's counters and superadmins.
func (e *env) checkInvariants() {
	e.t.Helper()
	var bad []struct {
		ID        string
		EdgeCount int
		MaxCount  int
		Members   int
		Supers    int
	}
	err := e.db.Read.Raw(`SELECT g.id, g.edge_count, g.max_count,
		(SELECT count(*) FROM group_members m WHERE m.group_id = g.id AND m.state <= 2) AS members,
		(SELECT count(*) FROM group_members m WHERE m.group_id = g.id AND m.state = 0) AS supers
		FROM groups g`).Scan(&bad).Error
	if err != nil {
		e.t.Fatal(err)
	}
	for _, g := range bad {
		if g.EdgeCount != g.Members || g.EdgeCount > g.MaxCount || (g.Members > 0 && g.Supers == 0) {
			e.t.Errorf("group %s: edge_count %d, members %d, max %d, superadmins %d", g.ID, g.EdgeCount, g.Members, g.MaxCount, g.Supers)
		}
	}
}

func (e *env) group(id string) groups.Group {
	e.t.Helper()
	gs, err := e.svc.GetGroups(ctx, []string{id})
	if err != nil || len(gs) != 1 {
		e.t.Fatalf("get group %s: %v %v", id, gs, err)
	}
	return gs[0]
}

func wantCode(t *testing.T, err error, code errs.Code, msg string) {
	t.Helper()
	ge, ok := errs.AsError(err)
	if !ok || ge.Code != code || (msg != "" && ge.Message != msg) {
		t.Fatalf("got error %v, want code %d %q", err, code, msg)
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestCreateUpdateDelete(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 3)
		g := e.create(u[0], "Heroes", true, 0)
		if g.EdgeCount != 1 || g.MaxCount != 100 || g.LangTag != "en" || g.Metadata != "{}" || g.CreatorID != u[0] {
			t.Fatalf("new group: %+v", g)
		}
		if st := e.states(g.ID); len(st) != 1 || st[u[0]] != groups.Superadmin {
			t.Fatalf("creator is superadmin: %v", st)
		}
		_, err := e.svc.CreateGroup(ctx, user(u[1]), groups.CreateGroupRequest{Name: "heroes"})
		wantCode(t, err, errs.CodeAlreadyExists, "Group name is in use.")
		_, err = e.svc.CreateGroup(ctx, user(u[1]), groups.CreateGroupRequest{Name: ""})
		wantCode(t, err, errs.CodeInvalidArgument, "Group name must be set.")
		_, err = e.svc.CreateGroup(ctx, user(u[1]), groups.CreateGroupRequest{Name: "x", MaxCount: -1})
		wantCode(t, err, errs.CodeInvalidArgument, "Group max count must be >= 1 when set.")
		_, err = e.svc.CreateGroup(ctx, user(u[1]), groups.CreateGroupRequest{Name: string(make([]byte, 256))})
		wantCode(t, err, errs.CodeInvalidArgument, "")
		long := fmt.Sprintf("%0256d", 0)
		_, err = e.svc.CreateGroup(ctx, user(u[1]), groups.CreateGroupRequest{Name: long})
		wantCode(t, err, errs.CodeInvalidArgument, "Group name must be at most 255 characters.")

		// Update: admins only; clients cannot touch server fields.
		name := "Villains"
		err = e.svc.UpdateGroup(ctx, user(u[1]), groups.UpdateGroupRequest{GroupID: g.ID, Name: &name})
		wantCode(t, err, errs.CodeNotFound, "Group not found or you're not allowed to update.")
		ok(t, e.svc.UpdateGroup(ctx, user(u[0]), groups.UpdateGroupRequest{GroupID: g.ID, Name: &name}))
		same := "Villains"
		ok(t, e.svc.UpdateGroup(ctx, user(u[0]), groups.UpdateGroupRequest{GroupID: g.ID, Name: &same}))
		err = e.svc.UpdateGroup(ctx, user(u[0]), groups.UpdateGroupRequest{GroupID: g.ID})
		wantCode(t, err, errs.CodeInvalidArgument, "Specify at least one field to update.")
		meta := `{"hidden":true}`
		err = e.svc.UpdateGroup(ctx, user(u[0]), groups.UpdateGroupRequest{GroupID: g.ID, Metadata: &meta})
		wantCode(t, err, errs.CodePermissionDenied, "")
		three := 3
		ok(t, e.svc.UpdateGroup(ctx, groups.SystemActor(), groups.UpdateGroupRequest{GroupID: g.ID, Metadata: &meta, MaxCount: &three}))
		if got := e.group(g.ID); got.Name != "Villains" || got.Metadata != meta || got.MaxCount != 3 {
			t.Fatalf("after update: %+v", got)
		}
		g2 := e.create(u[1], "Other", true, 0)
		taken := "VILLAINS"
		err = e.svc.UpdateGroup(ctx, user(u[1]), groups.UpdateGroupRequest{GroupID: g2.ID, Name: &taken})
		wantCode(t, err, errs.CodeInvalidArgument, "Group name is in use.")
		bad := `[1]`
		err = e.svc.UpdateGroup(ctx, groups.SystemActor(), groups.UpdateGroupRequest{GroupID: g.ID, Metadata: &bad})
		wantCode(t, err, errs.CodeInvalidArgument, "Metadata must be a JSON object.")

		// Delete: superadmin only; the name is free again at once.
		err = e.svc.DeleteGroup(ctx, user(u[1]), groups.GroupRequest{GroupID: g.ID})
		wantCode(t, err, errs.CodeInvalidArgument, "Group not found or you're not allowed to delete.")
		ok(t, e.svc.DeleteGroup(ctx, user(u[0]), groups.GroupRequest{GroupID: g.ID}))
		if len(e.states(g.ID)) != 0 {
			t.Fatal("member rows survive delete")
		}
		e.create(u[2], "villains", false, 0)
		e.checkInvariants()
	})
}

func TestJoinLeave(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 5)
		open := e.create(u[0], "open", true, 3)
		ok(t, e.svc.JoinGroup(ctx, user(u[1]), groups.JoinGroupRequest{GroupID: open.ID}))
		ok(t, e.svc.JoinGroup(ctx, user(u[1]), groups.JoinGroupRequest{GroupID: open.ID})) // repeat: no-op
		if g := e.group(open.ID); g.EdgeCount != 2 {
			t.Fatalf("edge_count %d", g.EdgeCount)
		}
		ok(t, e.svc.JoinGroup(ctx, user(u[2]), groups.JoinGroupRequest{GroupID: open.ID}))
		wantCode(t, e.svc.JoinGroup(ctx, user(u[3]), groups.JoinGroupRequest{GroupID: open.ID}), errs.CodeInvalidArgument, "Group is full.")
		// Capacity is checked before membership, as in Nakama.
		wantCode(t, e.svc.JoinGroup(ctx, user(u[1]), groups.JoinGroupRequest{GroupID: open.ID}), errs.CodeInvalidArgument, "Group is full.")
		wantCode(t, e.svc.JoinGroup(ctx, user(u[1]), groups.JoinGroupRequest{GroupID: "6ba7b810-9dad-11d1-80b4-00c04fd430c8"}), errs.CodeNotFound, "Group not found.")

		closed := e.create(u[0], "closed", false, 0)
		ok(t, e.svc.PromoteUsers(ctx, user(u[0]), groups.GroupUsersRequest{GroupID: closed.ID, UserIDs: nil}))
		ok(t, e.svc.JoinGroup(ctx, groups.UserActor(u[4], "joiner"), groups.JoinGroupRequest{GroupID: closed.ID}))
		if st := e.states(closed.ID)[u[4]]; st != groups.JoinRequest {
			t.Fatalf("closed join gives a request, got %d", st)
		}
		if g := e.group(closed.ID); g.EdgeCount != 1 {
			t.Fatalf("requests do not count: %d", g.EdgeCount)
		}
		var n struct {
			Code    int
			Subject string
		}
		e.db.Read.Raw("SELECT code, subject FROM notifications WHERE user_id = ?", u[0]).Scan(&n)
		if n.Code != groups.NotifyGroupJoinRequest || n.Subject != "User joiner wants to join your group" {
			t.Fatalf("admins are notified of the request: %+v", n)
		}
		// Withdrawing a request.
		ok(t, e.svc.LeaveGroup(ctx, user(u[4]), groups.GroupRequest{GroupID: closed.ID}))
		if _, has := e.states(closed.ID)[u[4]]; has {
			t.Fatal("leave withdraws the request")
		}

		// The last superadmin cannot leave members behind; alone, leaving deletes.
		wantCode(t, e.svc.LeaveGroup(ctx, user(u[0]), groups.GroupRequest{GroupID: open.ID}), errs.CodeInvalidArgument,
			"Cannot leave group when you are the last superadmin.")
		ok(t, e.svc.LeaveGroup(ctx, user(u[1]), groups.GroupRequest{GroupID: open.ID}))
		ok(t, e.svc.LeaveGroup(ctx, user(u[2]), groups.GroupRequest{GroupID: open.ID}))
		ok(t, e.svc.LeaveGroup(ctx, user(u[0]), groups.GroupRequest{GroupID: open.ID}))
		if gs, _ := e.svc.GetGroups(ctx, []string{open.ID}); len(gs) != 0 {
			t.Fatal("the last member leaving deletes the group")
		}
		ok(t, e.svc.LeaveGroup(ctx, user(u[0]), groups.GroupRequest{GroupID: open.ID})) // unknown group: 200
		e.checkInvariants()
	})
}

func TestMemberOperations(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 8)
		owner, admin, m1, m2, req, outsider := u[0], u[1], u[2], u[3], u[4], u[5]
		g := e.create(owner, "clan", false, 5)
		gid := g.ID
		batch := func(a string, ids ...string) groups.GroupUsersRequest {
			return groups.GroupUsersRequest{GroupID: gid, UserIDs: ids}
		}
		ok(t, e.svc.AddUsers(ctx, user(owner), batch("", admin, m1, m2)))
		ok(t, e.svc.JoinGroup(ctx, user(req), groups.JoinGroupRequest{GroupID: gid}))
		ok(t, e.svc.PromoteUsers(ctx, user(owner), batch("", admin)))
		want := map[string]groups.State{owner: 0, admin: 1, m1: 2, m2: 2, req: 3}
		if got := e.states(gid); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("states %v, want %v", got, want)
		}
		// Non-admins: permission denied as 404.
		wantCode(t, e.svc.KickUsers(ctx, user(m1), batch("", m2)), errs.CodeNotFound, "Group not found or permission denied.")
		wantCode(t, e.svc.AddUsers(ctx, user(outsider), batch("", outsider)), errs.CodeNotFound, "Group not found or permission denied.")
		// Unknown user in an add: 400 and nobody added.
		wantCode(t, e.svc.AddUsers(ctx, user(owner), batch("", outsider, "6ba7b810-9dad-11d1-80b4-00c04fd430c8")),
			errs.CodeInvalidArgument, "One or more users not found.")
		if _, has := e.states(gid)[outsider]; has {
			t.Fatal("a failed add wrote a row")
		}
		// Accepting the request fills the group (5/5); one more add overflows and rolls back.
		ok(t, e.svc.AddUsers(ctx, user(admin), batch("", req)))
		wantCode(t, e.svc.AddUsers(ctx, user(owner), batch("", outsider)), errs.CodeInvalidArgument, "Group is full.")
		if g := e.group(gid); g.EdgeCount != 5 {
			t.Fatalf("edge_count %d", g.EdgeCount)
		}
		// An admin cannot kick the owner nor promote to superadmin; admins demote admins.
		ok(t, e.svc.KickUsers(ctx, user(admin), batch("", owner)))
		ok(t, e.svc.PromoteUsers(ctx, user(admin), batch("", m1)))
		ok(t, e.svc.PromoteUsers(ctx, user(admin), batch("", m1)))
		if st := e.states(gid); st[owner] != 0 || st[m1] != 1 {
			t.Fatalf("admin limits: %v", st)
		}
		ok(t, e.svc.DemoteUsers(ctx, user(admin), batch("", m1)))
		wantCode(t, e.svc.DemoteUsers(ctx, user(admin), batch("")), errs.CodeInvalidArgument, "User IDs must be set.")
		// Ban and unban; banned users cannot rejoin or be added.
		ok(t, e.svc.BanUsers(ctx, user(admin), batch("", m2)))
		if st := e.states(gid)[m2]; st != groups.Banned {
			t.Fatalf("ban: %d", st)
		}
		ok(t, e.svc.JoinGroup(ctx, user(m2), groups.JoinGroupRequest{GroupID: gid}))
		ok(t, e.svc.AddUsers(ctx, user(owner), batch("", m2)))
		ok(t, e.svc.LeaveGroup(ctx, user(m2), groups.GroupRequest{GroupID: gid}))
		if st := e.states(gid)[m2]; st != groups.Banned {
			t.Fatalf("the ban outlives join/add/leave: %d", st)
		}
		ok(t, e.svc.UnbanUsers(ctx, user(admin), batch("", m2)))
		if _, has := e.states(gid)[m2]; has {
			t.Fatal("unban removes the ban")
		}
		// Banning someone with no row is ignored (no pre-banning).
		ok(t, e.svc.BanUsers(ctx, user(owner), batch("", outsider)))
		if _, has := e.states(gid)[outsider]; has {
			t.Fatal("pre-ban wrote a row")
		}
		// Superadmins: promote admin to superadmin; the last superadmin is protected.
		ok(t, e.svc.PromoteUsers(ctx, user(owner), batch("", admin)))
		ok(t, e.svc.DemoteUsers(ctx, user(admin), batch("", owner)))
		if st := e.states(gid); st[owner] != 1 || st[admin] != 0 {
			t.Fatalf("superadmin demotes superadmin: %v", st)
		}
		ok(t, e.svc.KickUsers(ctx, groups.SystemActor(), batch("", admin)))
		ok(t, e.svc.BanUsers(ctx, groups.SystemActor(), batch("", admin)))
		ok(t, e.svc.DemoteUsers(ctx, groups.SystemActor(), batch("", admin)))
		if st := e.states(gid); st[admin] != 0 {
			t.Fatalf("the last superadmin survives system kick/ban/demote: %v", st)
		}
		e.checkInvariants()
	})
}

func TestListings(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 12)
		var ids []string
		for i := 0; i < 7; i++ {
			ids = append(ids, e.create(u[0], fmt.Sprintf("Alpha %d", i), i%2 == 0, 0).ID)
		}
		e.create(u[0], "Beta", true, 0)
		e.create(u[0], "alp_ha", true, 0)

		// Prefix search, case-insensitive, paged by cursor without repeats.
		seen := map[string]bool{}
		cursor := ""
		pages := 0
		for {
			l, err := e.svc.ListGroups(ctx, groups.ListGroupsRequest{Name: "ALPHA%", Limit: 3, Cursor: cursor})
			ok(t, err)
			pages++
			for _, g := range l.Groups {
				if seen[g.ID] {
					t.Fatalf("group %s twice", g.Name)
				}
				seen[g.ID] = true
			}
			if cursor = l.Cursor; cursor == "" {
				break
			}
		}
		if len(seen) != 7 || pages != 3 {
			t.Fatalf("prefix search found %d groups in %d pages", len(seen), pages)
		}
		l, err := e.svc.ListGroups(ctx, groups.ListGroupsRequest{Name: "beta", Limit: 10})
		ok(t, err)
		if len(l.Groups) != 1 || l.Groups[0].Name != "Beta" {
			t.Fatalf("exact name: %+v", l.Groups)
		}
		tr := true
		l, err = e.svc.ListGroups(ctx, groups.ListGroupsRequest{Open: &tr, Limit: 100})
		ok(t, err)
		if len(l.Groups) != 6 {
			t.Fatalf("open groups: %d", len(l.Groups))
		}
		_, err = e.svc.ListGroups(ctx, groups.ListGroupsRequest{Name: "a%", Open: &tr})
		wantCode(t, err, errs.CodeInvalidArgument, "name filter cannot be combined with any other filter")
		_, err = e.svc.ListGroups(ctx, groups.ListGroupsRequest{Name: "a%", Cursor: "garbage!"})
		wantCode(t, err, errs.CodeInvalidArgument, "Malformed cursor was used.")
		_, err = e.svc.ListGroups(ctx, groups.ListGroupsRequest{Limit: 101})
		wantCode(t, err, errs.CodeInvalidArgument, "Invalid limit - limit must be between 1 and 100.")

		// Members: ordered by state then join order, bans only on request, paged.
		gid := ids[0]
		ok(t, e.svc.AddUsers(ctx, user(u[0]), groups.GroupUsersRequest{GroupID: gid, UserIDs: u[1:11]}))
		ok(t, e.svc.PromoteUsers(ctx, user(u[0]), groups.GroupUsersRequest{GroupID: gid, UserIDs: []string{u[5]}}))
		ok(t, e.svc.BanUsers(ctx, user(u[0]), groups.GroupUsersRequest{GroupID: gid, UserIDs: []string{u[10]}}))
		var got []string
		cursor = ""
		for {
			l, err := e.svc.ListGroupUsers(ctx, groups.ListGroupUsersRequest{GroupID: gid, Limit: 4, Cursor: cursor})
			ok(t, err)
			for _, gu := range l.GroupUsers {
				got = append(got, fmt.Sprintf("%d:%s", gu.State, gu.User.ID))
			}
			if cursor = l.Cursor; cursor == "" {
				break
			}
		}
		want := []string{"0:" + u[0], "1:" + u[5]}
		for _, id := range u[1:10] {
			if id != u[5] {
				want = append(want, "2:"+id)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("members\n got %v\nwant %v", got, want)
		}
		banned := groups.Banned
		bl, err := e.svc.ListGroupUsers(ctx, groups.ListGroupUsersRequest{GroupID: gid, State: &banned})
		ok(t, err)
		if len(bl.GroupUsers) != 1 || bl.GroupUsers[0].User.ID != u[10] {
			t.Fatalf("bans: %+v", bl.GroupUsers)
		}
		member := groups.Member
		first, err := e.svc.ListGroupUsers(ctx, groups.ListGroupUsersRequest{GroupID: gid, Limit: 2})
		ok(t, err)
		_, err = e.svc.ListGroupUsers(ctx, groups.ListGroupUsersRequest{GroupID: gid, State: &member, Cursor: first.Cursor})
		wantCode(t, err, errs.CodeInvalidArgument, "Cursor is invalid.")

		ug, err := e.svc.ListUserGroups(ctx, groups.ListUserGroupsRequest{UserID: u[0]})
		ok(t, err)
		if len(ug.UserGroups) != 9 || ug.UserGroups[0].State != groups.Superadmin {
			t.Fatalf("user groups: %d", len(ug.UserGroups))
		}
		none, err := e.svc.ListGroupUsers(ctx, groups.ListGroupUsersRequest{GroupID: "6ba7b810-9dad-11d1-80b4-00c04fd430c8"})
		ok(t, err)
		if len(none.GroupUsers) != 0 || none.Cursor != "" {
			t.Fatal("unknown group lists nothing")
		}
		if !errors.Is(nil, nil) {
			t.Fatal()
		}
	})
}
