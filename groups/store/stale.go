package store

import (
	"context"
	"fmt"

	"github.com/guildhall/guildhall/groups"
)

// dropStaleInvitations queues, for the users the transaction's events made
// members another way than by their invitation (a join, an add, an accepted
// join request), the deletion of their pending invitations to the group: an
// invitation to a group one is in can no longer be accepted, and would stay
// listed. On PostgreSQL it goes out in the COMMIT batch (no round trip).
func (t *txSQL) dropStaleInvitations(ctx context.Context) {
	for _, st := range t.staleInvitations() {
		t.ex.write(ctx, violations{}, deleteStaleInvitations(1, len(st.users)), idArgs(st.groupID, st.users)...)
	}
}

// staleInvitation names the users whose pending invitations to a group the
// transaction's events made stale.
type staleInvitation struct {
	groupID string
	users   []string
}

func (t *txSQL) staleInvitations() []staleInvitation {
	var out []staleInvitation
	for _, e := range t.events {
		var users []string
		switch e := e.(type) {
		case groups.MemberJoined:
			users = []string{e.ActorID}
		case groups.MembersAdded:
			users = e.Targets
		case groups.RequestsAccepted:
			users = e.Targets
		default:
			continue
		}
		if len(users) > 0 {
			out = append(out, staleInvitation{e.Meta().GroupID, users})
		}
	}
	return out
}

// deleteStaleInvitations deletes pending invitations of group $from to the
// n users after it.
func deleteStaleInvitations(from, n int) string {
	return fmt.Sprintf("DELETE FROM group_invitations WHERE group_id = $%d AND state = 0 AND user_id IN (%s)",
		from, placeholders(from+1, n))
}
