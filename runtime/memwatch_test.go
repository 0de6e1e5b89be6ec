package runtime

import (
	goruntime "runtime"
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

// A call that began before any collection had measured the heap (the
// runtime reports a live heap of 0 until the first) is not blamed for the
// heap the rest of the process holds: the first collection becomes its start.
func TestMemWatchUnknownStart(t *testing.T) {
	others := make([][]byte, 32) // the process's own data: 32 MiB, live before the call
	for i := range others {
		others[i] = make([]byte, 1<<20)
	}
	w := NewMemWatch(8 << 20)
	w.mu.Lock()
	w.running = true // the sampler "runs" and has not read anything yet: lastLive 0
	w.mu.Unlock()
	go w.loop()
	stop := w.Watch(func() { t.Error("interrupted a call that only churned, for the heap others hold") })
	var sink []byte
	for i := 0; i < 64; i++ { // 64 MiB of garbage, never more than 1 MiB live
		sink = make([]byte, 1<<20)
		time.Sleep(time.Millisecond)
	}
	_ = sink
	if stop() {
		t.Fatal("stop() = true for a call that only churned")
	}
	goruntime.KeepAlive(others)
}
