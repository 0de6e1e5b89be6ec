package realtime

import (
	"strconv"
	"sync"

	"github.com/guildhall/guildhall/chat"
	"github.com/guildhall/guildhall/inbox"
)

// CatchUpNode marks a delivery read back from the stored rows after a
// node's bus lost its connection: of it, only what this node has not
// delivered yet goes out.
const CatchUpNode = "catch-up"

// recent remembers the keys of the last deliveries (bounded), so a catch-up
// does not send twice what the bus did deliver.
type recent struct {
	mu   sync.Mutex
	keys map[string]struct{}
	ring []string
	next int
}

const recentLen = 1 << 14

func (r *recent) add(k string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys == nil {
		r.keys, r.ring = make(map[string]struct{}, recentLen), make([]string, recentLen)
	}
	if _, ok := r.keys[k]; ok {
		return
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.keys, old)
	}
	r.ring[r.next] = k
	r.next = (r.next + 1) % recentLen
	r.keys[k] = struct{}{}
}

func (r *recent) has(k string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.keys[k]
	return ok
}

func messageKey(m chat.Message) string {
	return m.ID + "/" + strconv.Itoa(m.Code) + "/" + strconv.FormatInt(m.UpdateTime.UnixMicro(), 10)
}

func notificationKey(n inbox.Notification) string { return "n/" + n.ID }

// fresh drops from a catch-up delivery what was delivered already.
func (h *Hub) fresh(d Delivery) Delivery {
	msgs := d.Messages[:0:0]
	for _, m := range d.Messages {
		if !h.recent.has(messageKey(m)) {
			msgs = append(msgs, m)
		}
	}
	ns := d.Notifications[:0:0]
	for _, n := range d.Notifications {
		if !h.recent.has(notificationKey(n)) {
			ns = append(ns, n)
		}
	}
	d.Messages, d.Notifications = msgs, ns
	return d
}

// LocalUsers are the users with a socket on this node.
func (h *Hub) LocalUsers() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]string, 0, len(h.users))
	for u := range h.users {
		out = append(out, u)
	}
	return out
}

// LocalChannels are the channels with a session of this node.
func (h *Hub) LocalChannels() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []string
	for id, cs := range h.channels {
		for _, m := range cs.members {
			if m.session != nil {
				out = append(out, id)
				break
			}
		}
	}
	return out
}
