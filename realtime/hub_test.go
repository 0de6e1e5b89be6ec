package realtime

import (
	"testing"
	"time"

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
