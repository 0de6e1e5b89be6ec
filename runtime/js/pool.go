package js

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/dop251/goja"

	"github.com/guildhall/guildhall/groups"
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
}

// newVM makes a pooled VM: the compiled program runs (top level only, not
// InitModule) and every registered function is found by its global name.
func (r *Runtime) newVM(ctx context.Context) (*vm, error) {
	v := &vm{r: r, rt: goja.New(), args: make([]goja.Value, 0, 5), camelKeys: map[string]string{}}
	v.rt.SetMaxCallStackSize(maxCallStack)
	v.nk = v.newNK()
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
	return v, nil
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

// run calls f with an interrupt armed on ctx: when ctx ends (the call's
// deadline or the request's cancellation) the script stops at its next
// instruction. The interrupt is cleared before run returns, so the VM can go
// back to the pool.
func (v *vm) run(ctx context.Context, f func() (goja.Value, error)) (goja.Value, error) {
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		v.rt.Interrupt(errInterrupt)
		close(fired)
	})
	v.ctx = ctx
	val, err := f()
	if !stop() {
		<-fired // the interrupt was raised: wait until it is set before clearing it
	}
	v.rt.ClearInterrupt()
	v.ctx = nil
	return val, err
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

// pool is a bounded set of VMs, made on demand up to size.
type pool struct {
	free  chan *vm
	newVM func(context.Context) (*vm, error)

	mu      sync.Mutex
	created int
	size    int
}

func newPool(size int, newVM func(context.Context) (*vm, error)) *pool {
	return &pool{free: make(chan *vm, size), newVM: newVM, size: size}
}

// get takes an idle VM, makes one while under the bound, or waits for one
// until ctx ends.
func (p *pool) get(ctx context.Context) (*vm, error) {
	select {
	case v := <-p.free:
		return v, nil
	default:
	}
	p.mu.Lock()
	if p.created < p.size {
		p.created++
		p.mu.Unlock()
		v, err := p.newVM(ctx)
		if err != nil {
			p.mu.Lock()
			p.created--
			p.mu.Unlock()
			return nil, groups.Errorf(groups.CodeInternal, "Could not start a JavaScript runtime: %v", err)
		}
		return v, nil
	}
	p.mu.Unlock()
	select {
	case v := <-p.free:
		return v, nil
	case <-ctx.Done():
		if ctx.Err() == context.Canceled {
			return nil, groups.Errorf(groups.CodeCanceled, "Request canceled.")
		}
		return nil, groups.Errorf(groups.CodeDeadlineExceeded, "Timed out waiting for a JavaScript runtime.")
	}
}

// put returns a VM taken with get.
func (p *pool) put(v *vm) {
	p.free <- v // never blocks: at most size VMs exist
}

// close drops the idle VMs.
func (p *pool) close() {
	for {
		select {
		case <-p.free:
			p.mu.Lock()
			p.created--
			p.mu.Unlock()
		default:
			return
		}
	}
}
