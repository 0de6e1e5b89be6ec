package inbox

import (
	"testing"
	"time"

	"github.com/guildhall/guildhall/groups"
)

// TestRoleAndTransferNotificationShapes: a role assigned (-108) or removed
// (-109: unassigned, or deleted while held) notifies each target but the
// actor, live only, with roleId; a
// leadership transfer (-110) notifies the new superadmin and the previous
// ones but the actor, stored, with from and to.
func TestRoleAndTransferNotificationShapes(t *testing.T) {
	m := groups.EventMeta{GroupID: "g", ActorID: "a", Time: time.Unix(100, 0).UTC()}
	sys := groups.EventMeta{GroupID: "g", Time: time.Unix(100, 0).UTC()}
	ns := GroupNotifications([]groups.Event{
		groups.RoleAssigned{EventMeta: m, RoleID: "r", RoleName: "Officer", GroupName: "G", Targets: []string{"x", "a"}},
		groups.RoleUnassigned{EventMeta: m, RoleID: "r", RoleName: "Officer", GroupName: "G", Targets: []string{"y"}},
		groups.RoleDeleted{EventMeta: m, RoleID: "r", RoleName: "Officer", GroupName: "G", Holders: []string{"a", "z"}},
		groups.LeadershipTransferred{EventMeta: m, GroupName: "G", To: "t", From: []string{"a"}},
		groups.LeadershipTransferred{EventMeta: sys, GroupName: "G", To: "t", From: []string{"o1", "o2"}},
	})
	want := []struct {
		user, sender string
		code         int
		persistent   bool
		content      string
	}{
		{"x", "a", -108, false, `{"group_id":"g","group_name":"G","kind":"role_assigned","roleId":"r","role_name":"Officer"}`},
		{"y", "a", -109, false, `{"group_id":"g","group_name":"G","kind":"role_removed","roleId":"r","role_name":"Officer"}`},
		{"z", "a", -109, false, `{"group_id":"g","group_name":"G","kind":"role_removed","roleId":"r","role_name":"Officer"}`},
		{"t", "a", -110, true, `{"from":["a"],"group_id":"g","group_name":"G","kind":"leadership_transferred","to":"t"}`},
		{"t", "", -110, true, `{"from":["o1","o2"],"group_id":"g","group_name":"G","kind":"leadership_transferred","to":"t"}`},
		{"o1", "", -110, true, `{"from":["o1","o2"],"group_id":"g","group_name":"G","kind":"leadership_transferred","to":"t"}`},
		{"o2", "", -110, true, `{"from":["o1","o2"],"group_id":"g","group_name":"G","kind":"leadership_transferred","to":"t"}`},
	}
	if len(ns) != len(want) {
		t.Fatalf("got %d: %+v", len(ns), ns)
	}
	for i, w := range want {
		n := ns[i]
		if n.UserID != w.user || n.Code != w.code || n.Persistent != w.persistent || n.Content != w.content ||
			n.SenderID != w.sender || !n.CreateTime.Equal(m.Time) || n.ID == "" || n.Subject == "" {
			t.Errorf("%d: %+v, want %+v", i, n, w)
		}
	}
	if ns[3].Subject == ns[5].Subject {
		t.Errorf("the new and a previous superadmin got the same subject %q", ns[2].Subject)
	}
}
