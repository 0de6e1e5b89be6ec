package audit_test

import (
	"slices"
	"testing"
	"time"

	"github.com/guildhall/guildhall/audit"
	"github.com/guildhall/guildhall/groups"
)

// TestFromEvents: each operation's events make one entry with its op,
// outcome and targets; the system is named; no events, no entry.
func TestFromEvents(t *testing.T) {
	now := time.Now()
	m := groups.EventMeta{GroupID: "g", ActorID: "a", Time: now}
	sys := groups.EventMeta{GroupID: "g", Time: now}
	for _, c := range []struct {
		name    string
		events  []groups.Event
		op      string
		actor   string
		outcome string
		targets []string
	}{
		{"create", []groups.Event{groups.GroupCreated{EventMeta: m, OwnerID: "a"}}, audit.OpCreateGroup, "a", "ok", nil},
		{"create for", []groups.Event{groups.GroupCreated{EventMeta: sys, OwnerID: "o"}}, audit.OpCreateGroup, "system", "ok", []string{"o"}},
		{"update", []groups.Event{groups.GroupUpdated{EventMeta: m}}, audit.OpUpdateGroup, "a", "ok", nil},
		{"delete", []groups.Event{groups.GroupDeleted{EventMeta: sys}}, audit.OpDeleteGroup, "system", "ok", nil},
		{"join", []groups.Event{groups.MemberJoined{EventMeta: m}}, audit.OpJoinGroup, "a", "ok", nil},
		{"join request", []groups.Event{groups.JoinRequested{EventMeta: m}}, audit.OpJoinGroup, "a", "requested", nil},
		{"leave", []groups.Event{groups.MemberLeft{EventMeta: m}}, audit.OpLeaveGroup, "a", "ok", nil},
		{"last leave", []groups.Event{groups.MemberLeft{EventMeta: m}, groups.GroupDeleted{EventMeta: m}}, audit.OpLeaveGroup, "a", "deleted", nil},
		{"add and accept", []groups.Event{groups.MembersAdded{EventMeta: m, Targets: []string{"x"}},
			groups.RequestsAccepted{EventMeta: m, Targets: []string{"y"}}}, audit.OpAddUsers, "a", "ok", []string{"x", "y"}},
		{"kick", []groups.Event{groups.MembersKicked{EventMeta: m, Targets: []string{"x"}}}, audit.OpKickUsers, "a", "ok", []string{"x"}},
		{"ban", []groups.Event{groups.MembersBanned{EventMeta: m, Targets: []string{"x"}}}, audit.OpBanUsers, "a", "ok", []string{"x"}},
		{"unban", []groups.Event{groups.MembersUnbanned{EventMeta: m, Targets: []string{"x"}}}, audit.OpUnbanUsers, "a", "ok", []string{"x"}},
		{"promote", []groups.Event{groups.MembersPromoted{EventMeta: m, Targets: []string{"x"}}}, audit.OpPromoteUsers, "a", "ok", []string{"x"}},
		{"demote", []groups.Event{groups.MembersDemoted{EventMeta: m, Targets: []string{"x"}}}, audit.OpDemoteUsers, "a", "ok", []string{"x"}},
		{"invite", []groups.Event{groups.RequestsAccepted{EventMeta: m, Targets: []string{"x"}},
			groups.InvitationsSent{EventMeta: m, Invitations: []groups.Invitation{{UserID: "y"}, {UserID: "z"}}}},
			audit.OpInviteUsers, "a", "ok", []string{"x", "y", "z"}},
		{"accept invitation", []groups.Event{groups.InvitationAccepted{EventMeta: m, Invitation: groups.Invitation{UserID: "a"}}},
			audit.OpAcceptInvitation, "a", "ok", nil},
		{"decline invitation", []groups.Event{groups.InvitationDeclined{EventMeta: m, Invitation: groups.Invitation{UserID: "a"}}},
			audit.OpDeclineInvitation, "a", "ok", nil},
		{"revoke invitation", []groups.Event{groups.InvitationRevoked{EventMeta: sys, Invitation: groups.Invitation{UserID: "x"}}},
			audit.OpRevokeInvitation, "system", "ok", []string{"x"}},
		{"create role", []groups.Event{groups.RoleCreated{EventMeta: m}}, audit.OpCreateRole, "a", "ok", nil},
		{"update role", []groups.Event{groups.RoleUpdated{EventMeta: m}}, audit.OpUpdateRole, "a", "ok", nil},
		{"delete role", []groups.Event{groups.RoleDeleted{EventMeta: sys}}, audit.OpDeleteRole, "system", "ok", nil},
		{"assign role", []groups.Event{groups.RoleAssigned{EventMeta: m, Targets: []string{"x"}}}, audit.OpAssignRole, "a", "ok", []string{"x"}},
		{"unassign role", []groups.Event{groups.RoleUnassigned{EventMeta: m, Targets: []string{"x"}}}, audit.OpUnassignRole, "a", "ok", []string{"x"}},
	} {
		e, ok := audit.FromEvents(c.events, "r", "why")
		if !ok || e.Op != c.op || e.ActorID != c.actor || e.Outcome != c.outcome || !slices.Equal(e.Targets, c.targets) ||
			e.GroupID != "g" || !e.Time.Equal(now) || e.RequestID != "r" || e.Reason != "why" || e.ID != 0 {
			t.Errorf("%s: %+v, %v", c.name, e, ok)
		}
	}
	if e, ok := audit.FromEvents(nil, "r", ""); ok {
		t.Errorf("no events made %+v", e)
	}
}
