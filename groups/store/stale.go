package store

import (
	"context"

	"github.com/guildhall/guildhall/groups"
)

// dropStaleInvitations queues, for the users the transaction's events made
// members another way than by their invitation (a join, an add, an accepted
// join request), the deletion of their pending invitations to the group: an
// invitation to a group one is in can no longer be accepted, and would stay
// listed. On PostgreSQL it goes out in the COMMIT batch (no round trip).
func (t *txSQL) dropStaleInvitations(ctx context.Context) {
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
		if len(users) == 0 {
			continue
		}
		gid := e.Meta().GroupID
		t.ex.write(ctx, violations{}, "DELETE FROM group_invitations WHERE group_id = $1 AND state = 0 AND user_id IN ("+
			placeholders(2, len(users))+")", idArgs(gid, users)...)
	}
}
