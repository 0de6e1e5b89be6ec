package runtime

import (
	goruntime "runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/guildhall/guildhall/errs"
)

// DefaultMaxCallMemory is the heap growth one script call may cause before
// it is interrupted (--runtime.max_call_memory); it is also the cap on a
// single string or array a builtin may build.
const DefaultMaxCallMemory = 64 << 20

// ErrMemoryLimit is the answer to a call the watchdog (or a guarded builtin)
// stopped: 500, code 13.
func ErrMemoryLimit() error {
	return &errs.Error{Code: errs.CodeInternal, Message: "script exceeded its memory limit"}
}

// MemWatch interrupts script calls whose heap growth passes a cap. The heap
// is process-wide, so growth is measured from each call's start. Two figures
// are used, because the heap size alone counts garbage not yet collected (a
// call that only churns would look like growth, and garbage of an earlier call
// would hide real growth):
//
//   - the bytes allocated since the call began (monotonic, cheap to read)
//     select suspects: calls that allocated more than the cap;
//   - for suspects, one forced collection gives the live heap, which is
//     compared with the live heap at the call's start: past the cap, the call
//     is interrupted; under it, the call is re-armed and checked again after
//     another cap of allocation.
//
// One sampler goroutine runs only while calls are active, so an idle server
// pays nothing and a call pays one map insert and delete.
type MemWatch struct {
	limit    uint64
	interval time.Duration

	mu      sync.Mutex
	calls   map[*watchedCall]struct{}
	running bool
	sample  []metrics.Sample
	// the sampler's last figures (see read)
	lastAllocs, lastLive uint64
}

type watchedCall struct {
	allocs    uint64 // bytes allocated (process total) when last armed
	live      uint64 // live heap at the call's start
	interrupt func()
	fired     bool
}

// NewMemWatch returns a watchdog for limit bytes of growth per call; limit
// <= 0 disables it (Watch returns a no-op).
func NewMemWatch(limit int64) *MemWatch {
	w := &MemWatch{interval: 2 * time.Millisecond, calls: map[*watchedCall]struct{}{},
		sample: []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/live:bytes"}}}
	if limit > 0 {
		w.limit = uint64(limit)
	}
	return w
}

// read returns the bytes allocated so far and the live heap as of the last
// collection.
func (w *MemWatch) read() (allocs, live uint64) {
	metrics.Read(w.sample)
	if w.sample[0].Value.Kind() == metrics.KindUint64 {
		allocs = w.sample[0].Value.Uint64()
	}
	if w.sample[1].Value.Kind() == metrics.KindUint64 {
		live = w.sample[1].Value.Uint64()
	}
	return allocs, live
}

// Watch registers a call; interrupt is called (once, from the sampler
// goroutine) if the call's heap growth passes the limit. The returned stop
// unregisters it and reports whether interrupt fired.
func (w *MemWatch) Watch(interrupt func()) (stop func() bool) {
	if w == nil || w.limit == 0 {
		return func() bool { return false }
	}
	w.mu.Lock()
	// While the sampler runs, its last figures (at most one interval old)
	// serve as the start: reading the runtime's statistics costs more than
	// the rest of Watch.
	allocs, live := w.lastAllocs, w.lastLive
	if !w.running {
		allocs, live = w.read()
	}
	c := &watchedCall{allocs: allocs, live: live, interrupt: interrupt}
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
	var suspects []*watchedCall
	for range t.C {
		w.mu.Lock()
		if len(w.calls) == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		allocs, live := w.read()
		w.lastAllocs, w.lastLive = allocs, live
		suspects = suspects[:0]
		for c := range w.calls {
			if !c.fired && allocs-c.allocs > w.limit {
				suspects = append(suspects, c)
			}
		}
		if len(suspects) == 0 {
			w.mu.Unlock()
			continue
		}
		w.mu.Unlock()
		goruntime.GC()
		w.mu.Lock()
		_, live = w.read()
		w.lastLive = live
		for _, c := range suspects {
			if _, ok := w.calls[c]; !ok {
				continue // it ended meanwhile
			}
			if c.live == 0 {
				// No collection had measured the heap when the call began
				// (the runtime reports 0 until the first one): take this
				// one as its start instead of blaming it for the whole heap.
				c.allocs, c.live = allocs, live
				continue
			}
			if live > c.live && live-c.live > w.limit {
				c.fired = true
				c.interrupt()
			} else {
				// Churn, not growth: check again after another cap of
				// allocation. The start figure was the previous collection's
				// and may have counted data dead by then: never measure from
				// above a figure seen since.
				c.allocs = allocs
				c.live = min(c.live, live)
			}
		}
		w.mu.Unlock()
	}
}
