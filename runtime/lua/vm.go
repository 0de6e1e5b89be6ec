package lua

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/runtime"
)

// Limits of one VM (Nakama's defaults for the call stack and registry).
const (
	callStackSize    = 128
	registrySize     = 512
	registryMaxSize  = 128 * 1024
	registryGrowStep = 256
	maxStringRep     = 16 << 20 // bytes string.rep may build
)

// Kinds of registration.
const (
	kindBefore = "before"
	kindAfter  = "after"
	kindRPC    = "rpc"
)

// registration is one nk.register_* call: what was registered, under which
// canonical name (operation name, or lowercased RPC id).
type registration struct {
	kind  string
	name  string
	where string // "file.lua:12" of the function, for logs
}

// vm is one Lua state with the modules loaded. Every VM runs the same module
// code, so its registrations match the first VM's one for one; fns[i] is this
// VM's own function value for the runtime's registration i.
type vm struct {
	r       *Runtime
	L       *glua.LState
	nk      *glua.LTable
	require *glua.LFunction
	fns     []*glua.LFunction
	regs    []registration
	loaded  map[string]glua.LValue // module name → require's result; nil while it loads
	loading bool                   // module top levels are running: register_* allowed

	// nkErr is the coded error the last failing nk call raised as a Lua error
	// (a string, as Nakama's scripts expect); if the call fails with that same
	// text, its code reaches the client instead of 13.
	nkErr *errs.Error
	// meta caches parsed group metadata for nk.groups_get_id.
	meta metaCache
	// broken is set when a call was interrupted (deadline, cancellation, Go
	// panic): the VM's state may be half-changed, so it is replaced.
	broken bool
	// blown is set when the memory watchdog stopped a call: once the VM is
	// replaced, a collection returns its memory (and gives the watchdog a
	// fresh live-heap figure for the calls that follow).
	blown bool
	// state is the running call's callRunning/Finished/Abandoned; result
	// carries its outcome from its goroutine.
	state  atomic.Int32
	jobs   chan int // a call's argument count, to the worker
	result chan callResult
}

// newVM builds a Lua state with the safe libraries and the nakama module, and
// runs every module's top level in module-name order.
func (r *Runtime) newVM(ctx context.Context) (*vm, error) {
	L := glua.NewState(glua.Options{
		SkipOpenLibs:     true,
		CallStackSize:    callStackSize,
		RegistrySize:     registrySize,
		RegistryMaxSize:  registryMaxSize,
		RegistryGrowStep: registryGrowStep,
		// A Go panic under a call logs its Go stack (errors stay cheap).
		IncludeGoStackTrace: true,
	})
	v := &vm{r: r, L: L, loaded: map[string]glua.LValue{}, result: make(chan callResult, 1)}
	v.openLibs()
	v.nk = v.nkModule()
	v.require = L.NewFunction(v.requireModule)
	L.SetGlobal("require", v.require)
	if err := v.loadModules(ctx); err != nil {
		L.Close()
		return nil, err
	}
	v.jobs = make(chan int)
	go v.worker()
	return v, nil
}

// openLibs opens base, table, string, math and os.time/clock/date only.
func (v *vm) openLibs() {
	L := v.L
	for _, lib := range []struct {
		name string
		open glua.LGFunction
	}{
		{glua.BaseLibName, glua.OpenBase},
		{glua.TabLibName, glua.OpenTable},
		{glua.StringLibName, glua.OpenString},
		{glua.MathLibName, glua.OpenMath},
		{glua.OsLibName, glua.OpenOs},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(glua.LString(lib.name))
		L.Call(1, 0)
	}
	// No file access (dofile, loadfile), no package system (module, the
	// file-searching require: ours only knows the preloaded modules), no
	// debugging or GC control. load/loadstring compile strings only.
	for _, name := range []string{"dofile", "loadfile", "module", "require", "_printregs", "collectgarbage"} {
		L.SetGlobal(name, glua.LNil)
	}
	L.SetGlobal("print", L.NewFunction(v.print))

	full := L.GetGlobal(glua.OsLibName).(*glua.LTable)
	os := L.CreateTable(0, 3)
	for _, name := range []string{"time", "clock", "date"} {
		os.RawSetString(name, full.RawGetString(name))
	}
	L.SetGlobal(glua.OsLibName, os)

	v.guardLibs()
	for name, fn := range testGlobals {
		L.SetGlobal(name, L.NewFunction(fn))
	}
}

// testGlobals are extra global functions tests give every VM.
var testGlobals map[string]glua.LGFunction

// print writes its arguments to the server log.
func (v *vm) print(L *glua.LState) int {
	parts := make([]string, L.GetTop())
	for i := range parts {
		parts[i] = L.ToStringMeta(L.Get(i + 1)).String()
	}
	v.r.log.Info(strings.Join(parts, "\t"))
	return 0
}

// requireModule is require: "nakama", or a module of the runtime path, run
// once per VM; the module's result (true when it returns nothing) is cached.
func (v *vm) requireModule(L *glua.LState) int {
	name := L.CheckString(1)
	if name == "nakama" {
		L.Push(v.nk)
		return 1
	}
	if res, ok := v.loaded[name]; ok {
		if res == nil {
			L.RaiseError("loop or previous error loading module '%s'", name)
		}
		L.Push(res)
		return 1
	}
	m, ok := v.r.byName[name]
	if !ok {
		L.RaiseError("module '%s' not found: only \"nakama\" and the modules of the runtime path can be required", name)
	}
	v.loaded[name] = nil
	L.Push(L.NewFunctionFromProto(m.proto))
	L.Push(glua.LString(name))
	L.Call(1, 1)
	res := L.Get(-1)
	L.Pop(1)
	if res == glua.LNil {
		res = glua.LTrue
	}
	v.loaded[name] = res
	L.Push(res)
	return 1
}

// loadModules runs each module not yet required, in module-name order, and
// checks the registrations match the runtime's (the first VM's).
func (v *vm) loadModules(ctx context.Context) error {
	L := v.L
	L.SetContext(ctx)
	defer L.RemoveContext()
	v.loading = true
	defer func() { v.loading = false }()
	for _, m := range v.r.modules {
		if _, ok := v.loaded[m.name]; ok {
			continue
		}
		L.Push(v.require)
		L.Push(glua.LString(m.name))
		if err := L.PCall(1, 0, nil); err != nil {
			return fmt.Errorf("lua: loading module %q (%s): %s", m.name, m.path, errorText(err))
		}
	}
	if v.r.regs == nil {
		return nil
	}
	if len(v.regs) != len(v.r.regs) {
		return fmt.Errorf("lua: modules registered %d functions in a new VM but %d in the first: registrations must not depend on state", len(v.regs), len(v.r.regs))
	}
	for i, reg := range v.regs {
		if reg != v.r.regs[i] {
			return fmt.Errorf("lua: registration %d is %s %q in a new VM but %s %q in the first: registrations must not depend on state",
				i+1, reg.kind, reg.name, v.r.regs[i].kind, v.r.regs[i].name)
		}
	}
	return nil
}

// errorText is a Lua error's message without the stack trace.
func errorText(err error) string {
	var ae *glua.ApiError
	if errors.As(err, &ae) {
		if t, ok := ae.Object.(*glua.LTable); ok {
			ge := tableError(t)
			// A table carries no position; the traceback has it.
			where := tracePosition.FindString(ae.StackTrace)
			return fmt.Sprintf("%s%s (code %d)", where, ge.Message, ge.Code)
		}
		return ae.Object.String()
	}
	return err.Error()
}

// register is nk.register_req_before / register_req_after / register_rpc:
// fn first, then the operation name or RPC id.
func (v *vm) register(kind, fname string) glua.LGFunction {
	return func(L *glua.LState) int {
		fn, ok := L.Get(1).(*glua.LFunction)
		if !ok {
			if _, swapped := L.Get(2).(*glua.LFunction); swapped {
				L.RaiseError("nk.%s takes the function first: nk.%s(fn, name)", fname, fname)
			}
			L.RaiseError("nk.%s expects a function as its first argument", fname)
		}
		name, ok := L.Get(2).(glua.LString)
		if !ok || name == "" {
			L.RaiseError("nk.%s expects a name as its second argument", fname)
		}
		if !v.loading {
			L.RaiseError("nk.%s may only be called while modules load (at their top level)", fname)
		}
		reg := registration{kind: kind, name: string(name)}
		if fn.Proto != nil {
			reg.where = fmt.Sprintf("%s:%d", fn.Proto.SourceName, fn.Proto.LineDefined)
		}
		if kind == kindRPC {
			reg.name = strings.ToLower(reg.name)
		} else {
			op, ok := runtime.OpByName(reg.name)
			if !ok {
				L.RaiseError("nk.%s: unknown hook name %q (known: %s)", fname, reg.name, strings.Join(runtime.Ops(), ", "))
			}
			reg.name = op.Name
		}
		v.fns = append(v.fns, fn)
		v.regs = append(v.regs, reg)
		return 0
	}
}

// errTimeout is the answer to a call that overran its deadline (code 4, as the
// JavaScript runtime answers).
func errTimeout() error {
	return &errs.Error{Code: errs.CodeDeadlineExceeded, Message: "Lua function timed out"}
}

// abandonGrace is how long a call past its deadline waits for its VM to
// notice (gopher-lua checks the context between instructions) before the VM
// is abandoned as stuck in Go code and the caller answers at once.
const abandonGrace = 50 * time.Millisecond

// States of a call's goroutine (vm.state).
const (
	callRunning   int32 = iota
	callFinished        // the goroutine handed its result over
	callAbandoned       // the caller gave up; the goroutine reclaims the VM
)

// callResult is what a call's goroutine hands back.
type callResult struct {
	val glua.LValue
	err error
}

// call runs fn(args...) under the call deadline and the memory watchdog and
// returns its first result. The Lua code runs on its own goroutine so that a
// call stuck in Go code (where the context is not looked at) cannot hold the
// caller: past the deadline plus abandonGrace the VM is abandoned (see
// Runtime.abandon) and the caller gets its error at once.
func (v *vm) call(ctx context.Context, fn *glua.LFunction, args ...glua.LValue) (glua.LValue, error) {
	cctx, cancel := context.WithTimeout(ctx, v.r.cfg.CallTimeout)
	defer cancel()
	stopWatch := v.r.mem.Watch(cancel)
	L := v.L
	L.SetContext(cctx)
	v.nkErr = nil
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	v.state.Store(callRunning)
	v.jobs <- len(args)
	var res callResult
	select {
	case res = <-v.result:
	case <-cctx.Done():
		t := time.NewTimer(abandonGrace)
		select {
		case res = <-v.result:
			t.Stop()
		case <-t.C:
			if v.state.CompareAndSwap(callRunning, callAbandoned) {
				memory := stopWatch()
				v.r.abandon(v)
				return nil, interrupted(ctx, memory)
			}
			res = <-v.result // it finished just now
		}
	}
	memory := stopWatch()
	if res.err != nil {
		if cctx.Err() != nil {
			v.broken = true
			v.blown = memory
			return nil, interrupted(ctx, memory)
		}
		var ae *glua.ApiError
		if errors.As(res.err, &ae) && ae.Type == glua.ApiErrorPanic {
			// A Go panic below a Lua call: log it, keep its text from the client.
			v.broken = true
			v.r.log.ErrorContext(ctx, "Lua call panicked", "error", ae.Object.String(), "stack", ae.StackTrace)
			return nil, &errs.Error{Code: errs.CodeInternal, Message: "Internal error in the Lua runtime."}
		}
		return nil, v.scriptError(res.err)
	}
	return res.val, nil
}

// worker runs the VM's calls, one goroutine per VM for its life (a fresh
// goroutine per call would grow its stack anew each time).
func (v *vm) worker() {
	for nargs := range v.jobs {
		v.run(nargs)
	}
}

// run runs one call: fn and its nargs arguments are on the stack.
func (v *vm) run(nargs int) {
	L := v.L
	err := L.PCall(nargs, 1, nil)
	var val glua.LValue
	if err == nil {
		val = L.Get(-1)
		L.Pop(1)
	}
	L.RemoveContext()
	if !v.state.CompareAndSwap(callRunning, callFinished) {
		v.r.reclaim(v) // abandoned: nobody waits for the result
		return
	}
	v.result <- callResult{val, err}
}

// interrupted is the answer to a call its context stopped: the memory
// watchdog (memory), the client's cancellation, or the deadline. The call
// wrapper logs it (logFailure).
func interrupted(ctx context.Context, memory bool) error {
	switch {
	case memory:
		return runtime.ErrMemoryLimit()
	case errors.Is(ctx.Err(), context.Canceled):
		return &errs.Error{Code: errs.CodeCanceled, Message: "Request canceled."}
	}
	return errTimeout()
}

// position matches the "file.lua:12: " prefix Lua puts on error messages.
var position = regexp.MustCompile(`^[^\s:]+\.lua:\d+: `)

// tracePosition finds the innermost Lua position in a traceback.
var tracePosition = regexp.MustCompile(`[^\s:]+\.lua:\d+: `)

// stripPosition removes the position prefixes of a Lua error message.
func stripPosition(msg string) string {
	for {
		loc := position.FindStringIndex(msg)
		if loc == nil {
			return msg
		}
		msg = msg[loc[1]:]
	}
}

// scriptError turns a Lua error into the coded error the client sees:
// error({"message", code}) or error({message=…, code=…}) carry their code;
// a string (error("text"), a failing nk call) is code 13 with the text —
// unless it is the text of a coded nk error, whose code it keeps.
func (v *vm) scriptError(err error) error {
	var ae *glua.ApiError
	if !errors.As(err, &ae) {
		return &errs.Error{Code: errs.CodeInternal, Message: err.Error()}
	}
	switch o := ae.Object.(type) {
	case *glua.LTable:
		return tableError(o)
	case glua.LString:
		msg := stripPosition(string(o))
		if v.nkErr != nil && v.nkErr.Message == msg {
			return &errs.Error{Code: v.nkErr.Code, Message: msg}
		}
		return &errs.Error{Code: errs.CodeInternal, Message: msg}
	}
	return &errs.Error{Code: errs.CodeInternal, Message: ae.Object.String()}
}

// tableError reads Nakama's error table: message at [1] and code at [2], or
// the fields message and code. A missing or unknown code is 13.
func tableError(t *glua.LTable) *errs.Error {
	msg, code := t.RawGetInt(1), t.RawGetInt(2)
	if msg == glua.LNil {
		msg = t.RawGetString("message")
	}
	if code == glua.LNil {
		code = t.RawGetString("code")
	}
	e := &errs.Error{Code: errs.CodeInternal}
	if s, ok := msg.(glua.LString); ok {
		e.Message = string(s)
	} else if msg != glua.LNil {
		e.Message = msg.String()
	}
	if n, ok := code.(glua.LNumber); ok {
		if c, ok := runtime.ToInt(float64(n)); ok && c >= int(errs.CodeCanceled) && c <= int(errs.CodeUnauthenticated) {
			e.Code = errs.Code(c)
		}
	}
	return e
}

// contextTable is the context argument of a call: runtime.ContextData's
// fields, built straight into a Lua table (it is made for every call; a test
// keeps the two equal).
func (v *vm) contextTable(mode string, c *hooks.Caller) glua.LValue {
	L, cfg := v.L, &v.r.cfg
	tb := L.CreateTable(0, 12)
	env := L.CreateTable(0, len(cfg.Env))
	for k, e := range cfg.Env {
		env.RawSetString(k, glua.LString(e))
	}
	tb.RawSetString("env", env)
	tb.RawSetString("execution_mode", glua.LString(mode))
	tb.RawSetString("node", glua.LString(cfg.Node))
	tb.RawSetString("version", glua.LString(cfg.Version))
	if c == nil {
		return tb
	}
	if c.UserID != "" {
		tb.RawSetString("user_id", glua.LString(c.UserID))
		tb.RawSetString("username", glua.LString(c.Username))
		vars := L.CreateTable(0, len(c.Vars))
		for k, e := range c.Vars {
			vars.RawSetString(k, glua.LString(e))
		}
		tb.RawSetString("vars", vars)
		tb.RawSetString("user_session_exp", glua.LNumber(c.SessionExp))
	}
	if c.ClientIP != "" {
		tb.RawSetString("client_ip", glua.LString(c.ClientIP))
	}
	if c.ClientPort != "" {
		tb.RawSetString("client_port", glua.LString(c.ClientPort))
	}
	if mode == runtime.ModeRPC {
		tb.RawSetString("headers", toLua(L, c.Headers))
		tb.RawSetString("query_params", toLua(L, c.Query))
	}
	return tb
}

// ctx is the context of the running call (or of the module load).
func (v *vm) ctx() context.Context {
	if ctx := v.L.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// close closes the Lua state and drops it, so that its memory is garbage
// even while the vm value is still referenced.
func (v *vm) close() {
	close(v.jobs)
	v.L.Close()
	v.L, v.fns, v.nk, v.require, v.loaded = nil, nil, nil, nil, nil
}
