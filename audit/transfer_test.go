package audit_test

import (
	"slices"
	"testing"
	"time"

	"github.com/guildhall/guildhall/audit"
	"github.com/guildhall/guildhall/groups"
)

// TestFromEventsIssue11: a transfer is logged with the new superadmin as
// target; attribute puts and deletes are logged without targets.
func TestFromEventsIssue11(t *testing.T) {
	m := groups.EventMeta{GroupID: "g", ActorID: "a", Time: time.Now()}
	for _, c := range []struct {
		ev      groups.Event
		op      string
		targets []string
	}{
		{groups.LeadershipTransferred{EventMeta: m, To: "x", From: []string{"a"}}, audit.OpTransferGroup, []string{"x"}},
		{groups.AttributePut{EventMeta: m}, audit.OpPutAttribute, nil},
		{groups.AttributeDeleted{EventMeta: m, Key: "k"}, audit.OpDelAttribute, nil},
	} {
		e, ok := audit.FromEvents([]groups.Event{c.ev}, "r", "")
		if !ok || e.Op != c.op || !slices.Equal(e.Targets, c.targets) || e.ActorID != "a" {
			t.Errorf("%T: %+v %v", c.ev, e, ok)
		}
	}
}
