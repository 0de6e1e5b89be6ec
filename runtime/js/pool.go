package js

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"

	"github.com/guildhall/guildhall/codec"
	"github.com/guildhall/guildhall/errs"
)

// vm is one pooled goja runtime with the module's top level run in it and
// the registered functions looked up once.
type vm struct {
	r       *Runtime
	rt      *goja.Runtime
	fns     []goja.Callable // by registration index
	loggers []goja.Value    // by registration index, made on first use
	nk      goja.Value
	ctx     context.Context // the running call's context, for nk and logger
	args    []goja.Value    // reused argument buffer
	// camelKeys caches lowerCamelCase field names.
	camelKeys map[string]string
	// planKeys caches a request plan's payload keys (payloadKeys).
	planKeys map[*codec.Plan][]string
	// memInterrupt stops the running call for the memory watchdog.
	memInterrupt func()
	// memHit is set when the running call was stopped for memory.
	memHit atomic.Bool

	// A pooled VM runs its calls on a goroutine of its own (work).
	jobs   chan job
	res    chan outcome // cap 1: the outcome of the running call
	flight flight       // the running call's handshake
}

// newVM makes a pooled VM: the compiled program runs (top level only, not
// InitModule) and every registered function is found by its global name.
func (r *Runtime) newVM(ctx context.Context) (*vm, error) {
	v := r.newBareVM()
	v.args = make([]goja.Value, 0, 5)
	v.jobs, v.res = make(chan job), make(chan outcome, 1)
	loadCtx, cancel := context.WithTimeout(ctx, max(r.cfg.CallTimeout, minLoadTimeout))
	defer cancel()
	if _, err := v.run(loadCtx, func() (goja.Value, error) { return v.rt.RunProgram(r.prg) }); err != nil {
		return nil, fmt.Errorf("running the module: %w", r.loadCause(r.interrupted(loadCtx, ctx, err)))
	}
	v.fns = make([]goja.Callable, len(r.regs))
	v.loggers = make([]goja.Value, len(r.regs))
	for i, g := range r.regs {
		fn, ok := lookup(v.rt, g.fn)
		if !ok {
			return nil, fmt.Errorf("%s: function %s is not a top-level function in every VM", g, g.fn)
		}
		v.fns[i] = fn
	}
	go v.work()
	return v, nil
}

// newBareVM makes a goja runtime with Guildhall's limits and nk, nothing run.
func (r *Runtime) newBareVM() *vm {
	v := &vm{r: r, rt: goja.New(), camelKeys: map[string]string{}}
	v.rt.SetMaxCallStackSize(maxCallStack)
	v.memInterrupt = v.stopForMemory
	v.guard()
	v.nk = v.newNK()
	return v
}

// lookup finds a function by its global path ("name" or "object.name").
func lookup(rt *goja.Runtime, path string) (goja.Callable, bool) {
	first, rest, nested := strings.Cut(path, ".")
	val := rt.GlobalObject().Get(first)
	if nested {
		obj, ok := val.(*goja.Object)
		if !ok {
			return nil, false
		}
		val = obj.Get(rest)
	}
	return goja.AssertFunction(val)
}

// errInterrupt is the value a VM is interrupted with; the caller turns it into
// a coded error by looking at the call's context.
var errInterrupt = fmt.Errorf("javascript call interrupted")

// run calls f with interrupts armed: when ctx ends (the call's deadline or
// the request's cancellation) or the call's heap growth passes the memory
// limit, the script stops at its next instruction. The interrupt is cleared
// before run returns (even if f panics), so the VM can be used again.
func (v *vm) run(ctx context.Context, f func() (goja.Value, error)) (goja.Value, error) {
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		v.rt.Interrupt(errInterrupt)
		close(fired)
	})
	v.memHit.Store(false)
	stopMem := v.r.mem.Watch(v.memInterrupt)
	v.ctx = ctx
	defer func() {
		stopMem() // after it returns, the watchdog no longer interrupts
		if !stop() {
			<-fired // the interrupt was raised: wait until it is set before clearing it
		}
		v.rt.ClearInterrupt()
		v.ctx = nil
	}()
	return f()
}

// context returns the running call's context.
func (v *vm) context() context.Context {
	if v.ctx == nil {
		return context.Background()
	}
	return v.ctx
}

// logger is registration i's logger object, made once per VM.
func (v *vm) logger(i int) goja.Value {
	if v.loggers[i] == nil {
		v.loggers[i] = v.newLogger(v.r.regs[i].log, nil)
	}
	return v.loggers[i]
}

// pool is a bounded set of VMs, made on demand up to size. A VM whose call
// timed out is never reused (goja leaves an interrupted VM's promise job
// queue stuck); one that has not come back by its call's deadline is
// abandoned: its slot is freed at once so a replacement can be made, while it
// finishes in the background. At most size abandoned VMs are alive at once;
// past that, a late VM keeps its slot until it finishes.
type pool struct {
	free  chan *vm
	slots chan struct{} // one token per live VM counted against size
	newVM func(context.Context) (*vm, error)

	mu        sync.Mutex
	abandoned int
	size      int

	waited func(time.Duration) // records a get's wait (metrics)
}

func newPool(size int, newVM func(context.Context) (*vm, error)) *pool {
	return &pool{free: make(chan *vm, size), slots: make(chan struct{}, size), newVM: newVM, size: size,
		waited: func(time.Duration) {}}
}

// inUse is how many VMs are running a call (live VMs minus idle ones).
func (p *pool) inUse() int {
	return max(len(p.slots)-len(p.free), 0)
}

// get takes an idle VM, makes one while under the bound, or waits for one
// until ctx ends.
func (p *pool) get(ctx context.Context) (*vm, error) {
	select {
	case v := <-p.free:
		p.waited(0)
		return v, nil
	default:
	}
	start := time.Now()
	defer func() { p.waited(time.Since(start)) }()
	select {
	case v := <-p.free:
		return v, nil
	case p.slots <- struct{}{}:
		v, err := p.newVM(ctx)
		if err != nil {
			<-p.slots
			return nil, errs.Errorf(errs.CodeInternal, "Could not start a JavaScript runtime: %v", err)
		}
		return v, nil
	case <-ctx.Done():
		if ctx.Err() == context.Canceled {
			return nil, errs.Errorf(errs.CodeCanceled, "Request canceled.")
		}
		return nil, errs.Errorf(errs.CodeDeadlineExceeded, "Timed out waiting for a JavaScript runtime.")
	}
}

// put returns a VM taken with get.
func (p *pool) put(v *vm) {
	p.free <- v // never blocks: at most size VMs hold a slot
}

// discard drops a VM taken with get instead of returning it; a new one is
// made on demand.
func (p *pool) discard() {
	<-p.slots
}

// abandon frees the slot of a VM still busy after its deadline, if fewer
// than size VMs are abandoned already; it reports whether it did. The VM's
// goroutine calls abandoned(true) when it finally returns, or discard if
// abandon returned false.
func (p *pool) abandon() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.abandoned >= p.size {
		return false
	}
	p.abandoned++
	<-p.slots
	return true
}

// finished records that an abandoned VM has returned and is dropped.
func (p *pool) finished() {
	p.mu.Lock()
	p.abandoned--
	p.mu.Unlock()
}

// drop ends a pooled VM's goroutine once its running call (if any) is done.
func (v *vm) drop() {
	close(v.jobs)
}

// close drops the idle VMs.
func (p *pool) close() {
	for {
		select {
		case v := <-p.free:
			v.drop()
			<-p.slots
		default:
			return
		}
	}
}
