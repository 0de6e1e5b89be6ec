package api

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLimiterConcurrent: many goroutines on one key at one instant get
// exactly the burst, however they interleave (one bucket per key even when
// its first requests race to create it); the refused are told the time until
// the next token; another key has its own bucket.
func TestLimiterConcurrent(t *testing.T) {
	l := newLimiter(RateLimit{Rate: 2, Burst: 5})
	now := time.Now()
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if allowed, wait := l.allow("203.0.113.1", now); allowed {
				ok.Add(1)
			} else if wait <= 0 || wait > 500*time.Millisecond {
				t.Errorf("wait %v, want (0, 500ms] at 2/s", wait)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 5 {
		t.Fatalf("%d allowed, want the burst of 5", ok.Load())
	}
	if allowed, _ := l.allow("203.0.113.2", now); !allowed {
		t.Fatal("another key shares the bucket")
	}
	if allowed, _ := l.allow("203.0.113.1", now.Add(600*time.Millisecond)); !allowed {
		t.Fatal("no token after the rate refilled one")
	}
	if newLimiter(RateLimit{}) != nil || newLimiter(RateLimit{Rate: -1, Burst: 3}) != nil {
		t.Fatal("a zero or negative rate must turn the limiter off")
	}
	if l := newLimiter(RateLimit{Rate: 1}); l.burst != 1 {
		t.Fatalf("burst 0 counts as %d, want 1", l.burst)
	}
}
