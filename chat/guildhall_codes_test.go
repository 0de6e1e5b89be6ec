package chat

import (
	"testing"
	"time"

	"github.com/guildhall/guildhall/groups"
)

// TestGuildhallEventMessages: an accepted invitation that made a member
// (11), a role assigned (12) or removed (13; also its holders when it is
// deleted), each from the affected user,
// and a settings update (14) from the actor (the nil UUID for the system),
// with their contents; an acceptance by a member and an update that changed
// nothing write none.
func TestGuildhallEventMessages(t *testing.T) {
	m := groups.EventMeta{GroupID: gid, ActorID: u1, Time: time.Unix(100, 0)}
	sys := groups.EventMeta{GroupID: gid, Time: time.Unix(100, 0)}
	inv := groups.Invitation{ID: "inv-1", GroupID: gid, UserID: u2, InviterID: u1}
	got := GroupEventMessages([]groups.Event{
		groups.InvitationAccepted{EventMeta: groups.EventMeta{GroupID: gid, ActorID: u2}, Invitation: inv, Joined: true},
		groups.InvitationAccepted{EventMeta: groups.EventMeta{GroupID: gid, ActorID: u2}, Invitation: inv},
		groups.RoleAssigned{EventMeta: m, RoleID: "r1", RoleName: "Officer", GroupName: "G", Targets: []string{u2}},
		groups.RoleUnassigned{EventMeta: m, RoleID: "r1", RoleName: "Officer", GroupName: "G", Targets: []string{u2}},
		groups.RoleDeleted{EventMeta: m, RoleID: "r1", RoleName: "Officer", GroupName: "G", Holders: []string{u2}},
		groups.GroupUpdated{EventMeta: m, Changed: []string{"name", "description"}},
		groups.GroupUpdated{EventMeta: m},
		groups.GroupUpdated{EventMeta: sys, Changed: []string{"metadata"}},
	})
	want := []struct {
		code          int
		sender, thing string
	}{
		{CodeGroupInvitationAccept, u2, `{"invitation_id":"inv-1","inviter_id":"` + u1 + `"}`},
		{CodeGroupRoleAssign, u2, `{"role_id":"r1","role_name":"Officer"}`},
		{CodeGroupRoleRemove, u2, `{"role_id":"r1","role_name":"Officer"}`},
		{CodeGroupRoleRemove, u2, `{"role_id":"r1","role_name":"Officer"}`},
		{CodeGroupUpdate, u1, `{"fields":["name","description"]}`},
		{CodeGroupUpdate, SystemUserID, `{"fields":["metadata"]}`},
	}
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Code != w.code || g.SenderID != w.sender || g.Content != w.thing || !g.Persistent ||
			g.ChannelID != GroupChannelID(gid) || g.GroupID != gid {
			t.Errorf("%d: %+v, want %+v", i, g, w)
		}
	}
	// None for a group deleted in the same transaction.
	if got := GroupEventMessages([]groups.Event{
		groups.RoleAssigned{EventMeta: m, RoleID: "r1", Targets: []string{u2}},
		groups.GroupDeleted{EventMeta: m},
	}); len(got) != 0 {
		t.Errorf("messages for a deleted group: %+v", got)
	}
}
