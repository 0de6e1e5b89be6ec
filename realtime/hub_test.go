package realtime

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/chat"
	"github.com/guildhall/guildhall/inbox"
)

// TestSlowConsumerClosed: a session that does not read is closed once its
// outgoing queue is full; delivering to it never waits.
func TestSlowConsumerClosed(t *testing.T) {
	h := New(nil, Options{QueueLen: 4})
	defer h.Close()
	slow := h.Register(SessionInfo{UserID: "00000000-0000-4000-8000-000000000001"})
	start := time.Now()
	for i := 0; i < 10; i++ {
		h.Deliver(Delivery{Notifications: []inbox.Notification{{ID: "n", UserID: slow.UserID, Subject: "s", Content: "{}", Code: 1}}})
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("Deliver took %v: it must hand off, not wait", d)
	}
	select {
	case <-slow.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a session with a full queue was not closed")
	}
	if r := slow.CloseReason(); r != ReasonQueueFull {
		t.Fatalf("closed with %q, want %q", r, ReasonQueueFull)
	}
	if n := len(slow.Outbound()); n != 4 {
		t.Fatalf("%d frames queued, want the queue's 4", n)
	}
}

// TestTimestamp: protojson's 0, 3, 6 or 9 fraction digits.
func TestTimestamp(t *testing.T) {
	base := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for ns, want := range map[int]string{
		0:         "2025-01-02T03:04:05Z",
		120000000: "2025-01-02T03:04:05.120Z",
		123456000: "2025-01-02T03:04:05.123456Z",
		123456789: "2025-01-02T03:04:05.123456789Z",
	} {
		if got := Timestamp(base.Add(time.Duration(ns))); got != want {
			t.Errorf("%d ns: %s, want %s", ns, got, want)
		}
	}
}

// memBus hands every delivery to the other hubs, as the PostgreSQL bus does.
type memBus struct {
	mu    sync.Mutex
	peers []*Hub
}

func (b *memBus) Publish(d Delivery) {
	b.mu.Lock()
	peers := append([]*Hub(nil), b.peers...)
	b.mu.Unlock()
	for _, p := range peers {
		p.Receive(d)
	}
}

// frames reads a session's queued frames until one contains want.
func frameWith(t *testing.T, s *Session, want string) string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case b := <-s.Outbound():
			if strings.Contains(string(*b), want) {
				return string(*b)
			}
		case <-deadline:
			t.Fatalf("no frame with %s", want)
		}
	}
}

// TestHubsAcrossNodes: presences, messages, a late node's snapshot and a
// node's shutdown travel between hubs over a bus (no database: rooms,
// non-persistent).
func TestHubsAcrossNodes(t *testing.T) {
	bus := &memBus{}
	c := chat.New(nil)
	a, b := New(c, Options{Node: "a", Bus: bus}), New(c, Options{Node: "b", Bus: bus})
	bus.peers = []*Hub{a, b}
	defer b.Close()
	ctx := context.Background()
	join := []byte(`{"cid":"j","channel_join":{"target":"lobby","type":1,"persistence":false}}`)

	sa := a.Register(SessionInfo{UserID: "00000000-0000-4000-8000-00000000000a", Username: "ann"})
	a.Handle(ctx, sa, join)
	frameWith(t, sa, `"cid":"j"`)
	sb := b.Register(SessionInfo{UserID: "00000000-0000-4000-8000-00000000000b", Username: "bob"})
	// Presences travel asynchronously: join until the other hub knows them.
	joinUntil := func(h *Hub, s *Session, names ...string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			h.Handle(ctx, s, join)
			reply := frameWith(t, s, `"cid":"j"`)
			all := true
			for _, n := range names {
				all = all && strings.Contains(reply, `"username":"`+n+`"`)
			}
			if all {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the join lists %s, want %v", reply, names)
			}
			h.Handle(ctx, s, []byte(`{"cid":"l","channel_leave":{"channel_id":"2...lobby"}}`))
			time.Sleep(10 * time.Millisecond)
		}
	}
	joinUntil(b, sb, "ann")
	frameWith(t, sa, `"joins":[{"user_id":"00000000-0000-4000-8000-00000000000b"`)

	b.Handle(ctx, sb, []byte(`{"cid":"m","channel_message_send":{"channel_id":"2...lobby","content":"{\"x\":1}"}}`))
	if m := frameWith(t, sa, `"channel_message"`); !strings.Contains(m, `"sender_id":"00000000-0000-4000-8000-00000000000b"`) {
		t.Fatalf("ann got %s", m)
	}

	// A hub started later learns the room's members from a snapshot.
	late := New(c, Options{Node: "late", Bus: bus})
	defer late.Close()
	bus.mu.Lock()
	bus.peers = append(bus.peers, late)
	bus.mu.Unlock()
	late.RequestSync()
	sl := late.Register(SessionInfo{UserID: "00000000-0000-4000-8000-00000000000c", Username: "cat"})
	joinUntil(late, sl, "ann", "bob")

	// Node a shuts down: b's session sees ann leave.
	a.Close()
	frameWith(t, sb, `"leaves":[{"user_id":"00000000-0000-4000-8000-00000000000a"`)
}

// peerBus is a bus that can tell whether another node is alive.
type peerBus struct {
	memBus
	peers bool
}

func (b *peerBus) HasPeers() bool { return b.peers }

// TestCommittedNobodySees: a commit no socket of this node can show and no
// other node is alive to receive is dropped in the committing goroutine
// (the hand-off to the hub's goroutine per commit was measurable); one a
// local socket can show, or any while another node listens, is handed off.
func TestCommittedNobodySees(t *testing.T) {
	const user = "00000000-0000-4000-8000-000000000001"
	gid := "00000000-0000-4000-8000-0000000000aa"
	msg := chat.Message{ID: "m", ChannelID: chat.GroupChannelID(gid), Code: 3, SenderID: user}
	note := inbox.Notification{ID: "n", UserID: user, Subject: "s", Content: "{}", Code: -4}
	for _, c := range []struct {
		name    string
		bus     Bus
		session bool
		want    int
	}{
		{"one node, no sockets", nil, false, 0},
		{"one node, the notified user's socket", nil, true, 1},
		{"no other node alive", &peerBus{}, false, 0},
		{"another node alive", &peerBus{peers: true}, false, 1},
		{"a bus that cannot tell", &memBus{}, false, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := New(nil, Options{Bus: c.bus})
			h.Close() // the hub's goroutine stops: what is handed off stays queued
			if c.session {
				h.Register(SessionInfo{UserID: user})
			}
			h.Committed(nil, []inbox.Notification{note}, []chat.Message{msg})
			if got := len(h.work); got != c.want {
				t.Fatalf("%d deliveries handed off, want %d", got, c.want)
			}
		})
	}
}

// TestIdleSessionHeap: an idle socket's session stays small (issue 15's
// 10,000 idle sockets at ≤ 20 KB each, of which the goroutines and the
// connection take most). Its outgoing queue of Nakama's 64 slots holds
// pointers, 8 bytes a slot: slices there (24 bytes a slot) made a session
// about 2.1 KiB, over the 1.5 KiB bound.
func TestIdleSessionHeap(t *testing.T) {
	h := New(nil, Options{QueueLen: 64})
	defer h.Close()
	const n = 2000
	ids := make([]string, n) // the users' ids exist before: a socket's token names them
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	}
	sessions := make([]*Session, 0, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		sessions = append(sessions, h.Register(SessionInfo{UserID: ids[i]}))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	runtime.KeepAlive(sessions)
	if per > 1536 {
		t.Fatalf("an idle session takes %.0f bytes of heap, want at most 1536", per)
	}
	t.Logf("%.0f bytes of heap per idle session", per)
}
