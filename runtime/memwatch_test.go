package runtime

import (
	"testing"
	"time"
)

// A call that grows the heap past the limit is interrupted; one that stays
// under it is not.
func TestMemWatchInterruptsGrowth(t *testing.T) {
	w := NewMemWatch(8 << 20)
	fired := make(chan struct{}, 1)
	stop := w.Watch(func() { fired <- struct{}{} })
	var keep [][]byte
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-fired:
			if !stop() {
				t.Fatal("stop() = false after the interrupt fired")
			}
			_ = keep
			return
		default:
		}
		keep = append(keep, make([]byte, 1<<20))
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no interrupt after %d MiB of growth", len(keep))
}

func TestMemWatchQuietCall(t *testing.T) {
	w := NewMemWatch(512 << 20)
	stop := w.Watch(func() { t.Error("interrupted a call that allocated nothing") })
	time.Sleep(20 * time.Millisecond)
	if stop() {
		t.Fatal("stop() = true for a quiet call")
	}
	if stop := NewMemWatch(0).Watch(func() {}); stop() {
		t.Fatal("a disabled watchdog fired")
	}
}
