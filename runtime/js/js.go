// Package js runs Nakama-style JavaScript modules on goja: one index.js in the
// runtime path, compiled once, whose InitModule registers before/after hooks
// and RPCs by naming top-level functions. Calls run on a bounded pool of VMs,
// each under a deadline, and see Nakama's ctx, logger and nk objects.
package js

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/runtime"
)

// maxCallStack bounds the JavaScript call depth of every VM; deeper recursion
// throws an uncatchable RangeError that fails the call with code 13.
const maxCallStack = 1024

// minLoadTimeout is the least time the top level and InitModule get at load.
const minLoadTimeout = 10 * time.Second

// Runtime is a loaded index.js: its registrations are in the hooks registry
// it was loaded with, and its pool of VMs serves their calls.
type Runtime struct {
	cfg     runtime.Config
	log     *slog.Logger
	module  string // file name shown in logs and stack traces
	path    string // full path, named in load errors
	prg     *goja.Program
	nk      *runtime.NK
	chans   *runtime.Channels // nk.channelMessageSend (nk_channels.go)
	regs    []*registration
	pool    *pool
	mem     *runtime.MemWatch
	envKeys []string // cfg.Env's keys, sorted once for every ctx
	metrics runtime.Metrics
}

// registration is one function InitModule registered.
type registration struct {
	kind string // "rpc", "before" or "after"
	name string // the operation (KickGroupUsers) or the RPC id
	fn   string // global path of the function: "name" or "object.name"
	log  *slog.Logger
}

func (g *registration) String() string { return g.kind + " " + g.name + " (" + g.fn + ")" }

// Load reads <cfg.Path>/index.js, runs its InitModule once and registers the
// hooks and RPCs it asks for into deps.Hooks. Without an index.js it returns
// a Runtime that does nothing. A module that does not compile, throws at load,
// lacks InitModule or registers an inline function is an error naming the
// file, so the server refuses to start.
func Load(ctx context.Context, cfg runtime.Config, deps runtime.Deps) (*Runtime, error) {
	cfg = cfg.WithDefaults()
	log := deps.Log
	if log == nil {
		log = slog.Default()
	}
	r := &Runtime{cfg: cfg, mem: runtime.NewMemWatch(cfg.MaxCallMemory), envKeys: sortedKeys(cfg.Env), metrics: deps.Metrics}
	m, _, err := cfg.Modules()
	if err != nil {
		return nil, fmt.Errorf("javascript: reading %s: %w", cfg.Path, err)
	}
	if m == nil {
		return r, nil
	}
	if deps.Hooks == nil {
		return nil, errors.New("javascript: no hooks registry to register into")
	}
	r.module, r.path = m.Name, m.Path
	r.chans = &runtime.Channels{Sender: deps.Channels}
	r.log = log.With("runtime", "javascript", "module", m.Name)
	if deps.Groups != nil {
		r.nk = runtime.NewNK(deps.Groups, deps.Hooks)
	}
	limitRegexps(cfg.CallTimeout)
	r.prg, err = goja.Compile(m.Name, m.Code, false)
	if err != nil {
		return nil, r.loadError(err)
	}
	if err := r.initModule(ctx); err != nil {
		return nil, err
	}
	r.pool = newPool(cfg.PoolSize, r.newVM)
	r.pool.waited = runtime.ObservePool(deps.Metrics, runtime.LangJavaScript, cfg.PoolSize, r.pool.inUse)
	// One pooled VM now: it proves every registered function is found the
	// way each VM will look it up.
	v, err := r.pool.get(ctx)
	if err != nil {
		return nil, r.loadError(err)
	}
	r.pool.put(v)
	r.register(deps.Hooks)
	r.log.Info("javascript module loaded", "path", m.Path, "registrations", len(r.regs))
	return r, nil
}

// Registrations lists what the module registered, as "before
// KickGroupUsers", "after ListGroups", "rpc resize_group", in registration
// order (the same form as runtime/lua's).
func (r *Runtime) Registrations() []string {
	out := make([]string, len(r.regs))
	for i, g := range r.regs {
		out[i] = g.kind + " " + g.name
	}
	return out
}

// Functions lists the registered script functions by global name, in the
// order of Registrations.
func (r *Runtime) Functions() []string {
	out := make([]string, len(r.regs))
	for i, g := range r.regs {
		out[i] = g.fn
	}
	return out
}

// Close drops the idle VMs (a call made afterwards makes a new one). Nothing
// else needs releasing: goja VMs hold no files, sockets or goroutines.
func (r *Runtime) Close() {
	if r.pool != nil {
		r.pool.close()
	}
}

func (r *Runtime) loadError(err error) error {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return fmt.Errorf("javascript module %s: %s", r.path, exceptionText(ex))
	}
	return fmt.Errorf("javascript module %s: %w", r.path, err)
}

// initModule runs the top level and InitModule on a VM of its own, collecting
// the registrations.
func (r *Runtime) initModule(ctx context.Context) error {
	v := r.newBareVM()
	loadCtx, cancel := context.WithTimeout(ctx, max(r.cfg.CallTimeout, minLoadTimeout))
	defer cancel()
	if _, err := v.run(loadCtx, func() (goja.Value, error) { return v.rt.RunProgram(r.prg) }); err != nil {
		return r.loadError(r.interrupted(loadCtx, ctx, err))
	}
	// Only a function declaration or a var is a property of the global
	// object; let/const bindings are not found, as in Nakama.
	fn, ok := goja.AssertFunction(v.rt.GlobalObject().Get("InitModule"))
	if !ok {
		return fmt.Errorf("javascript module %s: InitModule function not found "+
			"(declare it at top level: function InitModule(ctx, logger, nk, initializer) {…} or var InitModule = function…)", r.path)
	}
	in := &initializer{v: v, warned: map[string]bool{}, byKey: map[string]int{}}
	in.build()
	initCtx := v.toJS(runtime.ContextData(r.cfg, runtime.ModeInit, nil), false)
	logger := v.newLogger(r.log.With("mode", runtime.ModeInit), nil)
	_, err := v.run(loadCtx, func() (goja.Value, error) {
		return fn(goja.Undefined(), initCtx, logger, v.nk, v.rt.NewDynamicObject(in))
	})
	if err != nil {
		return fmt.Errorf("javascript module %s: InitModule: %w", r.path, r.loadCause(r.interrupted(loadCtx, ctx, err)))
	}
	r.regs = in.regs
	for _, g := range r.regs {
		if g.kind == "rpc" {
			g.log = r.log.With("rpc_id", g.name)
		} else {
			g.log = r.log.With("hook", g.name, "mode", g.kind)
		}
	}
	return nil
}

// loadCause makes a load-time script error readable: the thrown message and
// where it was thrown.
func (r *Runtime) loadCause(err error) error {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return errors.New(exceptionText(ex))
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		var b strings.Builder
		b.WriteString("RangeError: Maximum call stack size exceeded")
		writePosition(&b, so.Stack())
		return errors.New(b.String())
	}
	return err
}

// interrupted turns an interruption (the memory watchdog's, or one caused by
// callCtx ending) into a coded error.
func (r *Runtime) interrupted(callCtx, parent context.Context, err error) error {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) && ie.Value() == errMemory {
		return runtime.ErrMemoryLimit()
	}
	if errors.As(err, &ie) || (err != nil && callCtx.Err() != nil) {
		if errors.Is(parent.Err(), context.Canceled) {
			return errs.Errorf(errs.CodeCanceled, "Request canceled.")
		}
		return errs.Errorf(errs.CodeDeadlineExceeded, "JavaScript function timed out")
	}
	return err
}

// register puts every registration into the hooks registry.
func (r *Runtime) register(reg *hooks.Registry) {
	for i, g := range r.regs {
		switch g.kind {
		case "rpc":
			reg.RegisterRPC(g.name, runtime.ObserveRPC(r.metrics, runtime.LangJavaScript, g.name, r.rpcFunc(i)))
		case "before":
			op, _ := runtime.OpByName(g.name)
			op.RegisterBefore(reg, runtime.ObserveBefore(r.metrics, runtime.LangJavaScript, op.Name, r.beforeFunc(i)))
		case "after":
			op, _ := runtime.OpByName(g.name)
			op.RegisterAfter(reg, runtime.ObserveAfter(r.metrics, runtime.LangJavaScript, op.Name, r.afterFunc(i)))
		}
	}
}

// errBeforeResult is Nakama's answer to a before hook returning something
// that is not a request object.
var errBeforeResult = errs.Errorf(errs.CodeInternal, "Could not complete runtime Before function.")

func (r *Runtime) beforeFunc(i int) runtime.BeforeFunc {
	return func(ctx context.Context, c *hooks.Caller, in *runtime.Payload) (any, error) {
		return r.call(ctx, i, runtime.ModeBefore, c,
			func(v *vm) goja.Value { return v.payloadObject(in) }, nil,
			func(v *vm, ret goja.Value) (any, error) {
				if ret == nil || goja.IsUndefined(ret) || goja.IsNull(ret) {
					return nil, nil // refused: hooks.Run answers 404
				}
				if req, ok := v.fromPayloadObject(in, ret); ok {
					return req, nil
				}
				x, err := v.export(ret)
				if err != nil {
					return nil, resultError(err)
				}
				m, ok := x.(map[string]any)
				if !ok {
					r.regs[i].log.WarnContext(ctx, "before hook returned a non-object", "type", ret.ExportType())
					return nil, errBeforeResult
				}
				return in.Decode(m)
			})
	}
}

func (r *Runtime) afterFunc(i int) runtime.AfterFunc {
	return func(ctx context.Context, c *hooks.Caller, out any, in map[string]any) (any, error) {
		return r.call(ctx, i, runtime.ModeAfter, c,
			func(v *vm) goja.Value { return v.toJS(out, false) },
			func(v *vm) goja.Value { return v.toJS(in, false) },
			func(v *vm, ret goja.Value) (any, error) {
				// Nakama ignores what an after hook returns; Guildhall lets
				// a listing's after hook return the rows to keep (an object or
				// a list; anything else is ignored, as in Nakama).
				if ret == nil || goja.IsUndefined(ret) || goja.IsNull(ret) {
					return nil, nil
				}
				obj, ok := ret.(*goja.Object)
				if !ok {
					return nil, nil
				}
				x, err := v.export(obj)
				if err != nil {
					return nil, resultError(err)
				}
				switch x.(type) {
				case map[string]any, []any:
					return x, nil
				}
				return nil, nil
			})
	}
}

// errRPCResult is Nakama's answer to an RPC returning something else than a string.
var errRPCResult = errs.Errorf(errs.CodeInternal,
	"Runtime function returned invalid data - only allowed one return value of type string.")

func (r *Runtime) rpcFunc(i int) hooks.RPC {
	return func(ctx context.Context, c *hooks.Caller, payload string) (string, error) {
		out, err := r.call(ctx, i, runtime.ModeRPC, c,
			func(v *vm) goja.Value { return v.rt.ToValue(payload) }, nil,
			func(v *vm, ret goja.Value) (any, error) {
				if ret == nil || goja.IsUndefined(ret) || goja.IsNull(ret) {
					return "", nil
				}
				if obj, ok := ret.(*goja.Object); ok && obj.ClassName() == "String" {
					return obj.String(), nil // a String object exports as its string
				}
				if !goja.IsString(ret) {
					r.regs[i].log.WarnContext(ctx, "rpc returned a non-string", "type", ret.ExportType())
					return nil, errRPCResult
				}
				return ret.String(), nil
			})
		s, _ := out.(string)
		return s, err
	}
}

// resultError is the answer to a returned value that cannot be exported
// (cyclic, too deep, too large).
func resultError(err error) error {
	return errs.Errorf(errs.CodeInternal, "Runtime function returned invalid data: %v.", err)
}

// flight is the handshake between a call and the goroutine running its
// script: whichever finishes second (the goroutine returning, or the caller
// leaving at the deadline) settles what happens to the VM.
type flight struct {
	mu        sync.Mutex
	returned  bool // the goroutine has its outcome
	left      bool // the caller left at its deadline
	abandoned bool // ... and freed the VM's pool slot for a replacement
}

type outcome struct {
	val   any
	err   error
	reuse bool // the VM may serve another call
}

// call runs registration i on a pooled VM under the call deadline, with
// (ctx, logger, nk, a(v)[, b(v)]) as arguments; done converts the return
// value while the VM is still held. The script runs on the VM's own
// goroutine so the caller gets its answer at the deadline even when the VM is
// stuck in native code (a regexp, a huge string): such a VM is abandoned and
// replaced, never reused.
func (r *Runtime) call(ctx context.Context, i int, mode string, c *hooks.Caller,
	a, b func(*vm) goja.Value, done func(*vm, goja.Value) (any, error)) (any, error) {
	v, err := r.pool.get(ctx)
	if err != nil {
		r.failed(ctx, i, err)
		return nil, err
	}
	callCtx, cancel := context.WithTimeout(ctx, r.cfg.CallTimeout)
	defer cancel()
	// The arguments are made here, before the VM's goroutine starts, so it
	// never reads the caller's data after the caller has left.
	args := v.args[:0]
	args = append(args, v.ctxObject(mode, c), v.logger(i), v.nk, a(v))
	if b != nil {
		args = append(args, b(v))
	}
	// The VM is ours and its goroutine idle: the handshake starts afresh. A
	// VM is dropped after a call its caller left, so no late outcome of an
	// earlier call can be waiting in v.res.
	f := &v.flight
	*f = flight{}
	v.jobs <- job{callCtx: callCtx, ctx: ctx, i: i, args: args, done: done}
	var out outcome
	left := false
	select {
	case out = <-v.res:
	case <-callCtx.Done():
		f.mu.Lock()
		if f.returned {
			f.mu.Unlock()
			out = <-v.res
			break
		}
		left = true
		f.left = true
		f.abandoned = r.pool.abandon()
		abandoned := f.abandoned
		f.mu.Unlock()
		if !abandoned {
			r.regs[i].log.ErrorContext(ctx, "javascript VM still busy after its deadline and too many VMs are abandoned already; "+
				"its pool slot stays taken until it returns", "pool_size", r.cfg.PoolSize)
		}
		out.err = r.interrupted(callCtx, ctx, errInterrupt)
	}
	if !left {
		// The caller puts the VM back only once it has the outcome, so the
		// next caller's outcome cannot be confused with this one.
		if out.reuse {
			r.pool.put(v)
		} else {
			v.drop()
			r.pool.discard()
		}
	}
	if out.err != nil {
		r.failed(ctx, i, out.err)
	}
	return out.val, out.err
}

// job is one call handed to a VM's goroutine.
type job struct {
	callCtx, ctx context.Context
	i            int
	args         []goja.Value
	done         func(*vm, goja.Value) (any, error)
}

// work runs a pooled VM's calls until the VM is dropped. A long-lived
// goroutine keeps its grown stack, which a goroutine per call would have to
// grow again every time.
func (v *vm) work() {
	for j := range v.jobs {
		v.r.invoke(v, j)
	}
}

// invoke runs a call on the VM's goroutine and hands the outcome to the
// caller, or, when the caller has left, drops the VM.
func (r *Runtime) invoke(v *vm, j job) {
	callCtx, ctx, i, args, done, f := j.callCtx, j.ctx, j.i, j.args, j.done, &v.flight
	var out outcome
	reuse := false
	func() {
		defer func() {
			if p := recover(); p != nil {
				// A script value's getter interrupted during the conversion
				// of the result lands here, as does any bug in a builtin.
				if ie, ok := p.(*goja.InterruptedError); ok {
					out = outcome{err: r.interrupted(callCtx, ctx, ie)}
				} else {
					out = outcome{err: errs.Errorf(errs.CodeInternal, "javascript function failed: %v", p)}
				}
				reuse = false
			}
		}()
		// The result is converted (and a thrown value read) while the
		// interrupts are still armed: getters and proxies run script code.
		_, err := v.run(callCtx, func() (goja.Value, error) {
			ret, err := v.fns[i](goja.Undefined(), args...)
			if err != nil {
				return nil, err
			}
			if done != nil {
				out.val, out.err = done(v, ret)
			}
			return nil, nil
		})
		// A VM whose call was interrupted is not reused: goja may leave its
		// promise jobs stuck, and a memory-limited call may have filled its
		// globals.
		var ie *goja.InterruptedError
		reuse = !errors.As(err, &ie) && callCtx.Err() == nil
		if err != nil {
			out.err = r.callError(callCtx, ctx, i, err)
		}
		if v.memHit.Load() {
			out, reuse = outcome{err: runtime.ErrMemoryLimit()}, false
		}
	}()
	clear(args)
	f.mu.Lock()
	if f.left {
		abandoned := f.abandoned
		f.mu.Unlock()
		v.drop()
		if abandoned {
			r.pool.finished()
		} else {
			r.pool.discard()
		}
		r.regs[i].log.WarnContext(ctx, "abandoned javascript VM returned and was dropped")
		return
	}
	f.returned = true
	f.mu.Unlock()
	out.reuse = reuse
	v.res <- out
}

// failed logs a failed call once: the registration (rpc id or hook), the
// language and the error; the request's context goes to the handler.
func (r *Runtime) failed(ctx context.Context, i int, err error) {
	level := slog.LevelError
	if ge, ok := errs.AsError(err); ok && ge.Code != errs.CodeInternal && ge.Code != errs.CodeDeadlineExceeded {
		level = slog.LevelWarn // the script refused the call with a code of its own
	}
	r.regs[i].log.Log(ctx, level, "javascript function failed", "language", "javascript", "error", err.Error())
}

// callError turns what a script call failed with into the coded error the
// client sees.
func (r *Runtime) callError(callCtx, parent context.Context, i int, err error) error {
	if e := r.interrupted(callCtx, parent, err); e != err {
		return e
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		ge, _ := thrownError(ex)
		return ge
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		var b strings.Builder
		b.WriteString("RangeError: Maximum call stack size exceeded")
		writePosition(&b, so.Stack())
		return errs.Errorf(errs.CodeInternal, "%s", b.String())
	}
	return errs.Errorf(errs.CodeInternal, "%s", err.Error())
}

// thrownError reads a thrown value as Nakama does: an object with a numeric
// code and/or a string message among its own enumerable properties is the
// error the script means (custom); anything else is an INTERNAL error with
// the exception text.
func thrownError(ex *goja.Exception) (*errs.Error, bool) {
	e := &errs.Error{Code: errs.CodeInternal}
	custom, hasMessage := false, false
	if obj, ok := ex.Value().(*goja.Object); ok {
		// Only the two fields are read: exporting the whole thrown value
		// would follow its cycles.
		for _, k := range obj.Keys() {
			switch k {
			case "message":
				if m := obj.Get(k); goja.IsString(m) {
					e.Message, custom, hasMessage = m.String(), true, true
				}
			case "code":
				if c := obj.Get(k); c != nil {
					if _, isObj := c.(*goja.Object); !isObj {
						if code, ok := runtime.ToInt(c.Export()); ok {
							custom = true
							if code > 0 {
								e.Code = errs.Code(code)
							}
						}
					}
				}
			}
		}
	}
	if !hasMessage {
		var b strings.Builder
		if v := ex.Value(); v != nil {
			b.WriteString(v.String())
		}
		writePosition(&b, ex.Stack())
		e.Message = b.String()
	}
	return e, custom
}

// exceptionText is a thrown value (the custom message, or the value as a
// string) with the script position it was thrown from.
func exceptionText(ex *goja.Exception) string {
	var b strings.Builder
	if ge, custom := thrownError(ex); custom {
		b.WriteString(ge.Message)
	} else if v := ex.Value(); v != nil {
		b.WriteString(v.String())
	}
	writePosition(&b, ex.Stack())
	return b.String()
}

// writePosition appends " at fn (file:line:col)" for the innermost frame of
// the script, skipping native functions (nk, initializer).
func writePosition(b *strings.Builder, stack []goja.StackFrame) {
	for _, f := range stack {
		p := f.Position()
		if f.SrcName() == "" || p.Line == 0 {
			continue
		}
		b.WriteString(" at ")
		if name := f.FuncName(); name != "" {
			fmt.Fprintf(b, "%s (%s:%d:%d)", name, p.Filename, p.Line, p.Column)
		} else {
			fmt.Fprintf(b, "%s:%d:%d", p.Filename, p.Line, p.Column)
		}
		return
	}
}
