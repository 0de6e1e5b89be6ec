package realtime

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/inbox"
)

// Live-only group notices (inbox.Broadcast: a new member, to every other
// member) are fanned out by each node to its own sockets' users who are
// members of the group, read after the commit. The read runs on a goroutine
// of its own, never on the delivery goroutine (which would wait for it
// before the next commit's pushes) nor in the request; under load it takes
// every notice queued meanwhile and reads each group's members once.

// maxAmong is how many of this node's users a member read names: with more
// users online here, the read takes the group's whole member list instead.
const maxAmong = 256

// maxCoalesce bounds the notices one member read serves.
const maxCoalesce = 256

// queueBroadcasts hands notices to the broadcast goroutine without waiting;
// a node without sockets, or a hub without a member reader, drops them at
// once (nobody here could receive them).
func (h *Hub) queueBroadcasts(bs []inbox.Broadcast) {
	if len(bs) == 0 || h.members == nil || !h.online() {
		return
	}
	select {
	case h.broadcasts <- bs:
	default:
		h.dropped("realtime: broadcast queue full, live group notices dropped")
	}
}

func (h *Hub) broadcastLoop() {
	defer h.stopped.Done()
	for {
		select {
		case <-h.stop:
			return
		case bs := <-h.broadcasts:
			all := append([]inbox.Broadcast(nil), bs...)
		drain:
			for len(all) < maxCoalesce {
				select {
				case more := <-h.broadcasts:
					all = append(all, more...)
				default:
					break drain
				}
			}
			h.pushBroadcasts(all)
		}
	}
}

// pushBroadcasts pushes notices, in order, to the sockets of this node's
// users who are members of their group now (each group read once).
func (h *Hub) pushBroadcasts(bs []inbox.Broadcast) {
	among, online := h.localUserSample()
	if !online {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	members := map[string][]string{} // group id → its members here
	var ns []inbox.Notification
	for _, b := range bs {
		ids, ok := members[b.GroupID]
		if !ok {
			var err error
			if ids, err = h.members.GroupMemberIDs(ctx, b.GroupID, among); err != nil {
				h.log.Warn("realtime: reading group members for a notification", "group_id", b.GroupID, "error", err)
			}
			members[b.GroupID] = ids
		}
		for _, uid := range ids {
			if !b.Skips(uid) {
				ns = append(ns, b.Notification(uid))
			}
		}
	}
	h.sendNotifications(ns, false)
}

// online reports whether this node has any socket.
func (h *Hub) online() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.users) > 0
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
