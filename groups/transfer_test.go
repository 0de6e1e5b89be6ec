package groups

import "testing"

// TestTransferRules: who may transfer (superadmins and the system) and to
// whom (admins and members only).
func TestTransferRules(t *testing.T) {
	for _, c := range []struct {
		a    Actor
		st   State
		want bool
	}{
		{SystemActor(), none, true},
		{UserActor("u", ""), Superadmin, true},
		{UserActor("u", ""), Admin, false},
		{UserActor("u", ""), Member, false},
		{UserActor("u", ""), JoinRequest, false},
		{UserActor("u", ""), Banned, false},
		{UserActor("u", ""), none, false},
	} {
		if got := canTransfer(c.a, c.st, c.st != none); got != c.want {
			t.Errorf("canTransfer(%+v, %d) = %v", c.a, c.st, got)
		}
	}
	for st, want := range map[State]bool{Superadmin: false, Admin: true, Member: true, JoinRequest: false, Banned: false, none: false} {
		if got := transferTarget(st, st != none); got != want {
			t.Errorf("transferTarget(%d) = %v, want %v", st, got, want)
		}
	}
}
