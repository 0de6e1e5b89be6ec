package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/guildhall/guildhall/chat"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/inbox"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// history reads a group channel's stored messages, oldest first, as
// "code:sender:content".
func (e *env) history(gid string) []string {
	e.t.Helper()
	msgs, err := store.NewGroups(e.db).ListMessages(ctx, chat.GroupChannelID(gid), nil, true, 100)
	ok(e.t, err)
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = fmt.Sprintf("%d:%s:%s", m.Code, m.SenderID, m.Content)
	}
	return out
}

func (e *env) wantHistory(gid string, want ...string) {
	e.t.Helper()
	if got := e.history(gid); fmt.Sprint(got) != fmt.Sprint(want) {
		e.t.Fatalf("history\n%v\nwant\n%v", got, want)
	}
}

// TestRoleTransferUpdateKinds: an accepted invitation (11), a role assigned
// (12) and removed (13, also by the role's deletion), a settings update (14, the actor's; none when
// nothing changed) and a leadership transfer (10) write their event
// messages in the operation's transaction; a transfer stores -110 for the
// new and the previous superadmins but the actor; role changes store no
// notification (live only).
func TestRoleTransferUpdateKinds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 3)
		owner, mem, inv := u[0], u[1], u[2]
		g := e.create(owner, "guildhall-kinds", true, 0)
		ok(t, e.svc.JoinGroup(ctx, user(mem), groups.JoinGroupRequest{GroupID: g.ID}))
		l, err := e.svc.InviteUsers(ctx, user(owner), groups.InviteRequest{GroupID: g.ID, UserIDs: []string{inv}})
		ok(t, err)
		invID := l.Invitations[0].ID
		ok(t, e.svc.AcceptInvitation(ctx, user(inv), groups.InvitationRequest{InvitationID: invID}))

		role, err := e.svc.CreateRole(ctx, user(owner), groups.CreateRoleRequest{GroupID: g.ID, Name: "Officer", Rank: 150,
			Permissions: []string{"kick"}})
		ok(t, err)
		roleUsers := groups.RoleUsersRequest{GroupID: g.ID, RoleID: role.ID, UserIDs: []string{mem, owner}}
		ok(t, e.svc.AssignRole(ctx, user(owner), roleUsers))
		ok(t, e.svc.UnassignRole(ctx, user(owner), roleUsers))
		// A deleted role is removed from its holders: 13 for each.
		gone, err := e.svc.CreateRole(ctx, user(owner), groups.CreateRoleRequest{GroupID: g.ID, Name: "Gone", Rank: 120})
		ok(t, err)
		ok(t, e.svc.AssignRole(ctx, user(owner), groups.RoleUsersRequest{GroupID: g.ID, RoleID: gone.ID, UserIDs: []string{inv}}))
		ok(t, e.svc.DeleteRole(ctx, user(owner), groups.RoleRequest{GroupID: g.ID, RoleID: gone.ID}))
		e.wantKinds(mem, g, owner) // live only
		e.wantKinds(inv, g, owner, inbox.NotifyInvitationReceived)

		name, same, meta := "guildhall-kinds-2", "guildhall-kinds-2", `{"a":1}`
		ok(t, e.svc.UpdateGroup(ctx, user(owner), groups.UpdateGroupRequest{GroupID: g.ID, Name: &name}))
		ok(t, e.svc.UpdateGroup(ctx, user(owner), groups.UpdateGroupRequest{GroupID: g.ID, Name: &same}))
		ok(t, e.svc.UpdateGroup(ctx, groups.SystemActor(), groups.UpdateGroupRequest{GroupID: g.ID, Metadata: &meta}))
		g.Name = name

		ok(t, e.svc.TransferGroup(ctx, user(owner), groups.TransferGroupRequest{GroupID: g.ID, UserID: mem}))
		ok(t, e.svc.TransferGroup(ctx, groups.SystemActor(), groups.TransferGroupRequest{GroupID: g.ID, UserID: inv}))

		roleContent := `{"role_id":"` + role.ID + `","role_name":"Officer"}`
		e.wantHistory(g.ID,
			"3:"+mem+":{}",
			"11:"+inv+`:{"invitation_id":"`+invID+`","inviter_id":"`+owner+`"}`,
			"12:"+mem+":"+roleContent,
			"13:"+mem+":"+roleContent,
			"12:"+inv+`:{"role_id":"`+gone.ID+`","role_name":"Gone"}`,
			"13:"+inv+`:{"role_id":"`+gone.ID+`","role_name":"Gone"}`,
			"14:"+owner+`:{"fields":["name"]}`,
			"14:"+chat.SystemUserID+`:{"fields":["metadata"]}`,
			"10:"+mem+`:{"from":["`+owner+`"]}`,
			"10:"+inv+`:{"from":["`+mem+`"]}`)

		// -110: mem was told of both transfers (made leader by the owner,
		// replaced by the system), inv of the second, the owner of none.
		e.wantSenders(mem, "-110:"+owner, "-110:")
		var kinds []stored
		for _, n := range e.inboxOf(mem) {
			if n.code == inbox.NotifyLeadershipTransferred {
				kinds = append(kinds, n)
			}
		}
		if fmt.Sprint(kinds[0].content["from"]) != "["+owner+"]" || kinds[0].content["to"] != mem ||
			fmt.Sprint(kinds[1].content["from"]) != "["+mem+"]" || kinds[1].content["to"] != inv || kinds[0].subject == kinds[1].subject {
			t.Fatalf("mem's -110s %+v", kinds)
		}
		e.wantKinds(owner, g, "")
		e.wantSenders(inv, fmt.Sprintf("%d:%s", inbox.NotifyInvitationReceived, owner), "-110:")
	})
}

// wantSenders checks a user's stored notifications beyond Nakama's as
// "code:sender", oldest first.
func (e *env) wantSenders(uid string, want ...string) {
	e.t.Helper()
	var got []string
	for _, n := range e.inboxOf(uid) {
		if n.code <= -100 && n.code >= -199 {
			got = append(got, fmt.Sprintf("%d:%s", n.code, n.sender))
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		e.t.Fatalf("%s has %v, want %v", uid, got, want)
	}
}

// TestRoleTransferUpdateRolledBack: the role, transfer, update and
// acceptance events of a transaction that fails at COMMIT store no
// notification, write no event message and are handed to no one; the same
// events committed are written and handed over.
func TestRoleTransferUpdateRolledBack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		db := testapp.OpenDB(t, dialect, url)
		st := store.NewGroups(db)
		e := &env{t: t, db: db, svc: groups.NewService(st), inbox: inbox.New(st)}
		var handed []store.Written
		st.OnWritten(func(w store.Written) { handed = append(handed, w) })
		u := testapp.CreateUsers(t, db, 3)
		g := e.create(u[0], "rollback-kinds", true, 0)
		handed = nil

		run := func(fail bool) error {
			return st.Tx(ctx, func(tx groups.Tx) error {
				if _, err := tx.Lock(ctx, groups.LockQuery{GroupID: g.ID}); err != nil {
					return err
				}
				now := time.Now()
				m := groups.EventMeta{GroupID: g.ID, ActorID: u[0], Time: now}
				tx.Record(groups.InvitationAccepted{EventMeta: groups.EventMeta{GroupID: g.ID, ActorID: u[2], Time: now},
					Invitation: groups.Invitation{ID: "00000000-0000-4000-8000-000000000001", UserID: u[2], InviterID: u[0]}, Joined: true})
				tx.Record(groups.RoleAssigned{EventMeta: m, RoleID: "r", RoleName: "R", GroupName: g.Name, Targets: []string{u[1]}})
				tx.Record(groups.RoleUnassigned{EventMeta: m, RoleID: "r", RoleName: "R", GroupName: g.Name, Targets: []string{u[1]}})
				tx.Record(groups.GroupUpdated{EventMeta: m, Group: g, Changed: []string{"description"}})
				tx.Record(groups.LeadershipTransferred{EventMeta: m, GroupName: g.Name, To: u[1], From: []string{u[0]}})
				if fail {
					// Refused at COMMIT: a member row for a user that does not exist.
					tx.InsertMember(ctx, g.ID, "00000000-0000-4000-8000-0000000000ff", groups.Member, now)
				}
				return nil
			}, nil)
		}
		if err := run(true); !errors.Is(err, groups.ErrNotFound) {
			t.Fatalf("tx: %v, want the foreign key's ErrNotFound", err)
		}
		if len(handed) != 0 {
			t.Fatalf("a rolled-back transaction was handed over: %+v", handed)
		}
		e.wantSenders(u[1])
		e.wantHistory(g.ID)

		ok(t, run(false))
		if len(handed) != 1 || len(handed[0].Notifications) != 3 || len(handed[0].Messages) != 5 {
			t.Fatalf("committed: handed %+v, want 3 notifications and 5 messages", handed)
		}
		for i, code := range []int{inbox.NotifyRoleAssigned, inbox.NotifyRoleRemoved, inbox.NotifyLeadershipTransferred} {
			if n := handed[0].Notifications[i]; n.Code != code || n.UserID != u[1] {
				t.Fatalf("notification %d: %+v, want %d to %s", i, n, code, u[1])
			}
		}
		e.wantSenders(u[1], fmt.Sprintf("%d:%s", inbox.NotifyLeadershipTransferred, u[0]))
		if h := e.history(g.ID); len(h) != 5 {
			t.Fatalf("history %v, want 5 messages", h)
		}
	})
}
