package realtime

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/inbox"
)

// maxAmong is how many of this node's users a member read names: with more
// users online here, the read takes the group's whole member list instead.
const maxAmong = 256

// pushBroadcasts pushes live-only group notifications (inbox.Broadcast) to
// the sockets of this node's users who are members of the group now. Every
// node does this for itself, after the commit, on the hub's goroutine: a
// node without sockets reads nothing, and the committing request never waits
// for the member read.
func (h *Hub) pushBroadcasts(bs []inbox.Broadcast) {
	if len(bs) == 0 || h.members == nil {
		return
	}
	among, online := h.localUserSample()
	if !online {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	members := map[string][]string{} // group id → its members here, read once per delivery
	var ns []inbox.Notification
	for _, b := range bs {
		ids, ok := members[b.GroupID]
		if !ok {
			var err error
			if ids, err = h.members.GroupMemberIDs(ctx, b.GroupID, among); err != nil {
				h.log.Warn("realtime: reading group members for a notification", "group_id", b.GroupID, "error", err)
				continue
			}
			members[b.GroupID] = ids
		}
		for _, uid := range ids {
			if contains(b.Except, uid) {
				continue
			}
			n := b.Notification
			n.ID, n.UserID = uuid.NewString(), uid
			ns = append(ns, n)
		}
	}
	h.pushNotifications(ns)
}

// localUserSample returns the users with a socket on this node when they are
// few (nil when many), and whether there is any.
func (h *Hub) localUserSample() ([]string, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if len(h.users) == 0 {
		return nil, false
	}
	if len(h.users) > maxAmong {
		return nil, true
	}
	out := make([]string, 0, len(h.users))
	for u := range h.users {
		out = append(out, u)
	}
	return out, true
}
