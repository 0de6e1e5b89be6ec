package runtime

import (
	goruntime "runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/guildhall/guildhall/groups"
)

// DefaultMaxCallMemory is the heap growth one script call may cause before
// it is interrupted (--runtime.max_call_memory); it is also the cap on a
// single string or array a builtin may build.
const DefaultMaxCallMemory = 64 << 20

// ErrMemoryLimit is the answer to a call the watchdog (or a guarded builtin)
// stopped: 500, code 13.
func ErrMemoryLimit() error {
	return &groups.Error{Code: groups.CodeInternal, Message: "script exceeded its memory limit"}
}

// MemWatch interrupts script calls whose heap growth passes a cap. The heap
// is process-wide, so growth is measured from each call's start: a call is
// stopped when the heap has grown by more than the cap since it began. One
// sampler goroutine runs only while calls are active, so an idle server pays
// nothing and a call pays one map insert and delete.
type MemWatch struct {
	limit    uint64
	interval time.Duration

	mu      sync.Mutex
	calls   map[*watchedCall]struct{}
	running bool
	sample  []metrics.Sample
}

type watchedCall struct {
	start     uint64
	interrupt func()
	fired     bool
}

// NewMemWatch returns a watchdog for limit bytes of growth per call; limit
// <= 0 disables it (Watch returns a no-op).
func NewMemWatch(limit int64) *MemWatch {
	w := &MemWatch{interval: 2 * time.Millisecond, calls: map[*watchedCall]struct{}{},
		sample: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}}
	if limit > 0 {
		w.limit = uint64(limit)
	}
	return w
}

func (w *MemWatch) heap() uint64 {
	metrics.Read(w.sample)
	if w.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return w.sample[0].Value.Uint64()
}

// Watch registers a call; interrupt is called (once, from the sampler
// goroutine) if the call's heap growth passes the limit. The returned stop
// unregisters it and reports whether interrupt fired.
func (w *MemWatch) Watch(interrupt func()) (stop func() bool) {
	if w == nil || w.limit == 0 {
		return func() bool { return false }
	}
	w.mu.Lock()
	c := &watchedCall{start: w.heap(), interrupt: interrupt}
	w.calls[c] = struct{}{}
	if !w.running {
		w.running = true
		go w.loop()
	}
	w.mu.Unlock()
	return func() bool {
		w.mu.Lock()
		delete(w.calls, c)
		fired := c.fired
		w.mu.Unlock()
		return fired
	}
}

func (w *MemWatch) loop() {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for range t.C {
		w.mu.Lock()
		if len(w.calls) == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		now := w.heap()
		if w.over(now) {
			// The heap figure counts garbage not yet collected, so a call that
			// only churns (a loop boxing numbers) looks like growth when the
			// collector's goal is high: confirm with a collection that the
			// growth is live before interrupting anything.
			w.mu.Unlock()
			goruntime.GC()
			w.mu.Lock()
			now = w.heap()
		}
		for c := range w.calls {
			if !c.fired && now > c.start && now-c.start > w.limit {
				c.fired = true
				c.interrupt()
			}
		}
		w.mu.Unlock()
	}
}

// over reports whether some call's heap growth passed the limit (w.mu held).
func (w *MemWatch) over(now uint64) bool {
	for c := range w.calls {
		if !c.fired && now > c.start && now-c.start > w.limit {
			return true
		}
	}
	return false
}
