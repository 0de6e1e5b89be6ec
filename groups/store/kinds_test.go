package store_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/inbox"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// stored is a user's stored notification, content decoded.
type stored struct {
	code    int
	sender  string
	subject string
	content map[string]any // strings, but -110's "from" is a list
}

// inboxOf reads every stored notification of a user, oldest first.
func (e *env) inboxOf(uid string) []stored {
	e.t.Helper()
	l, err := e.inbox.List(ctx, uid, 100, "")
	ok(e.t, err)
	out := make([]stored, len(l.Notifications))
	for i, n := range l.Notifications {
		out[i] = stored{code: n.Code, sender: n.SenderID, subject: n.Subject}
		if err := json.Unmarshal([]byte(n.Content), &out[i].content); err != nil {
			e.t.Fatalf("content %s: %v", n.Content, err)
		}
		if !n.Persistent {
			e.t.Fatalf("stored notification %+v not persistent", n)
		}
	}
	return out
}

// wantKinds checks a user's stored notifications beyond Nakama's: codes in
// order, each with its kind, the group and the actor as sender.
func (e *env) wantKinds(uid string, g groups.Group, actor string, codes ...int) []stored {
	e.t.Helper()
	kinds := map[int]string{inbox.NotifyJoinRequestRejected: inbox.KindJoinRequestRejected,
		inbox.NotifyInvitationReceived: inbox.KindInvitationReceived, inbox.NotifyPromoted: inbox.KindPromoted,
		inbox.NotifyDemoted: inbox.KindDemoted, inbox.NotifyKicked: inbox.KindKicked, inbox.NotifyBanned: inbox.KindBanned,
		inbox.NotifyGroupDisbanded: inbox.KindGroupDisbanded, inbox.NotifyRoleAssigned: inbox.KindRoleAssigned,
		inbox.NotifyRoleRemoved: inbox.KindRoleRemoved, inbox.NotifyLeadershipTransferred: inbox.KindLeadershipTransferred}
	var got []stored
	for _, n := range e.inboxOf(uid) {
		if n.code <= -100 && n.code >= -199 {
			got = append(got, n)
		}
	}
	if len(got) != len(codes) {
		e.t.Fatalf("user %s has %+v, want codes %v", uid, got, codes)
	}
	for i, n := range got {
		if n.code != codes[i] || n.content["kind"] != kinds[n.code] || n.content["group_id"] != g.ID ||
			n.content["group_name"] != g.Name || n.sender != actor || n.subject == "" {
			e.t.Fatalf("user %s notification %d: %+v, want code %d of group %s by %s", uid, i, n, codes[i], g.Name, actor)
		}
	}
	return got
}

// TestNotificationKinds: each operation stores its notification for the
// users it concerns, never for the actor; promotions, demotions, kicks and
// new members are not stored (they are pushed live only).
func TestNotificationKinds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 5)
		owner, req, inv, mem, other := u[0], u[1], u[2], u[3], u[4]
		g := e.create(owner, "kinds", false, 0)

		// A rejected join request → the requester.
		ok(t, e.svc.JoinGroup(ctx, user(req), groups.JoinGroupRequest{GroupID: g.ID}))
		ok(t, e.svc.KickUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{req}}))
		e.wantKinds(req, g, owner, inbox.NotifyJoinRequestRejected)

		// An invitation → the invitee, with the invitation's fields.
		l, err := e.svc.InviteUsers(ctx, user(owner), groups.InviteRequest{GroupID: g.ID, UserIDs: []string{inv}, Message: "come"})
		ok(t, err)
		n := e.wantKinds(inv, g, owner, inbox.NotifyInvitationReceived)[0]
		if n.content["invitation_id"] != l.Invitations[0].ID || n.content["inviter_id"] != owner || n.content["message"] != "come" ||
			n.content["expire_time"] != l.Invitations[0].ExpireTime.UTC().Format(time.RFC3339) {
			t.Fatalf("invitation content %v, invitation %+v", n.content, l.Invitations[0])
		}
		ok(t, e.svc.AcceptInvitation(ctx, user(inv), groups.InvitationRequest{InvitationID: l.Invitations[0].ID}))

		// Promote, demote, kick (live only: not stored), ban → the member.
		ok(t, e.svc.AddUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{mem, other}}))
		ok(t, e.svc.PromoteUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{mem}}))
		ok(t, e.svc.DemoteUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{mem}}))
		ok(t, e.svc.KickUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{mem}}))
		e.wantKinds(mem, g, owner)
		// By the system: no sender.
		ok(t, e.svc.BanUsers(ctx, groups.SystemActor(), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{other}}))
		e.wantKinds(other, g, "", inbox.NotifyBanned)
		// Lifting a ban by a kick notifies nothing.
		ok(t, e.svc.KickUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{other}}))
		e.wantKinds(other, g, "", inbox.NotifyBanned)

		// Disbanding → every member (states 0–2) but the actor, read before
		// the deletion; not the requester.
		ok(t, e.svc.AddUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{mem}}))
		ok(t, e.svc.PromoteUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{mem}}))
		ok(t, e.svc.JoinGroup(ctx, user(req), groups.JoinGroupRequest{GroupID: g.ID}))
		ok(t, e.svc.DeleteGroup(ctx, user(owner), groups.GroupRequest{GroupID: g.ID}))
		e.wantKinds(inv, g, owner, inbox.NotifyInvitationReceived, inbox.NotifyGroupDisbanded)
		e.wantKinds(mem, g, owner, inbox.NotifyGroupDisbanded)
		e.wantKinds(req, g, owner, inbox.NotifyJoinRequestRejected)
		e.wantKinds(other, g, "", inbox.NotifyBanned)
		// The actor got none of these, and nobody stored a new-member notice.
		e.wantKinds(owner, g, "")
		for _, uid := range u {
			for _, n := range e.inboxOf(uid) {
				if n.code == inbox.NotifyNewMember {
					t.Fatalf("a new-member notification was stored for %s", uid)
				}
			}
		}
	})
}

// TestNotificationKindsRolledBack: the notifications are written in the
// operation's own transaction: one that fails after recording its events
// (here at COMMIT, on a constraint) stores none and hands nothing over.
func TestNotificationKindsRolledBack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		db := testapp.OpenDB(t, dialect, url)
		st := store.NewGroups(db)
		e := &env{t: t, db: db, svc: groups.NewService(st), inbox: inbox.New(st)}
		var handed []store.Written
		st.OnWritten(func(w store.Written) { handed = append(handed, w) })
		u := testapp.CreateUsers(t, db, 2)
		g := e.create(u[0], "rollback", true, 0)
		ok(t, e.svc.AddUsers(ctx, user(u[0]), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{u[1]}}))
		handed = nil

		committed := false
		err := st.Tx(ctx, func(tx groups.Tx) error {
			if _, err := tx.Lock(ctx, groups.LockQuery{GroupID: g.ID}); err != nil {
				return err
			}
			tx.SetState(ctx, g.ID, u[1], groups.Admin, time.Now())
			tx.Record(groups.MembersPromoted{EventMeta: groups.EventMeta{GroupID: g.ID, ActorID: u[0], Time: time.Now()},
				Targets: []string{u[1]}, GroupName: g.Name})
			tx.Record(groups.GroupDeleted{EventMeta: groups.EventMeta{GroupID: g.ID, ActorID: u[0], Time: time.Now()},
				GroupName: g.Name, Members: []string{u[1]}})
			// Refused at COMMIT: a member row for a user that does not exist.
			tx.InsertMember(ctx, g.ID, "00000000-0000-4000-8000-0000000000ff", groups.Member, time.Now())
			return nil
		}, func([]groups.Event) { committed = true })
		if !errors.Is(err, groups.ErrNotFound) {
			t.Fatalf("tx: %v, want the foreign key's ErrNotFound", err)
		}
		if committed || len(handed) != 0 {
			t.Fatalf("a rolled-back transaction was handed over: %v %+v", committed, handed)
		}
		e.wantKinds(u[1], g, "")
		if e.states(g.ID)[u[1]] != groups.Member {
			t.Fatal("the rolled-back promotion stuck")
		}
	})
}

// TestStaleInvitationsDropped: a user who becomes a member another way than
// by their invitation (an open join, an add, an accepted join request) has
// their pending invitation to that group deleted in the same transaction:
// it is no longer listed, for them or for the group, and cannot be accepted.
func TestStaleInvitationsDropped(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 5)
		owner, joiner, added, requester, kept := u[0], u[1], u[2], u[3], u[4]
		g := e.create(owner, "stale", true, 0)
		l, err := e.svc.InviteUsers(ctx, user(owner), groups.InviteRequest{GroupID: g.ID, UserIDs: []string{joiner, added, requester, kept}})
		ok(t, err)
		byUser := map[string]string{}
		for _, inv := range l.Invitations {
			byUser[inv.UserID] = inv.ID
		}
		ok(t, e.svc.JoinGroup(ctx, user(joiner), groups.JoinGroupRequest{GroupID: g.ID}))
		ok(t, e.svc.AddUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{added}}))
		jp := string(groups.PolicyRequest)
		ok(t, e.svc.UpdateGroup(ctx, user(owner), groups.UpdateGroupRequest{GroupID: g.ID, JoinPolicy: &jp}))
		ok(t, e.svc.JoinGroup(ctx, user(requester), groups.JoinGroupRequest{GroupID: g.ID}))
		ok(t, e.svc.AddUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{requester}}))

		for _, uid := range []string{joiner, added, requester} {
			mine, err := e.svc.ListInvitations(ctx, user(uid), groups.ListInvitationsRequest{})
			ok(t, err)
			if len(mine.Invitations) != 0 {
				t.Fatalf("%s still lists %+v", uid, mine.Invitations)
			}
			wantCode(t, e.svc.AcceptInvitation(ctx, user(uid), groups.InvitationRequest{InvitationID: byUser[uid]}),
				5, "Invitation not found.")
		}
		all, err := e.svc.ListGroupInvitations(ctx, user(owner), groups.ListGroupInvitationsRequest{GroupID: g.ID})
		ok(t, err)
		if len(all.Invitations) != 1 || all.Invitations[0].UserID != kept {
			t.Fatalf("the group lists %+v, want only the untouched invitation", all.Invitations)
		}
	})
}
