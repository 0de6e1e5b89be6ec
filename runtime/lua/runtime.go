// Package lua runs Nakama-style Lua modules (gopher-lua) and registers their
// hooks and RPCs into hooks.Registry.
//
// Every *.lua file under the runtime path is a module named by its relative
// path ("clans/rules.lua" → "clans.rules"). Each module is compiled once. A
// pool of VMs serves calls; every VM preloads all modules (require works
// between them, and require("nakama") gives the nk module), then runs each
// module's top level in module-name order, skipping those already required.
// Registrations (nk.register_req_before(fn, "KickGroupUsers"),
// nk.register_req_after(fn, name), nk.register_rpc(fn, id)) are top-level side
// effects: the first VM's registrations go into hooks; since every VM runs the
// same code, registration i of any VM is the same function, and a call to
// registration i runs that VM's own function value i.
//
// Only safe libraries are opened: base without dofile, loadfile, module,
// collectgarbage (load/loadstring compile strings only; print logs), table,
// string (its pattern functions bounded, see pattern.go; rep, format, gsub
// and table.concat size-capped, see limits.go), math, and os.time, os.clock,
// os.date. There is no io, no package library and no file searching: require
// finds only "nakama" and the preloaded modules.
//
// Every call runs on its VM's worker goroutine under Config.CallTimeout (and
// the request's context) and the memory watchdog (Config.MaxCallMemory); an
// overrun answers code 4 "Lua function timed out" (code 13 "script exceeded
// its memory limit") and the VM, interrupted midway, is replaced by a fresh
// one. A VM that does not stop (stuck in Go code) is abandoned and replaced,
// up to pool-size at a time.
package lua

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"time"

	glua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/runtime"
)

// Runtime is the loaded Lua modules and their pool of VMs.
type Runtime struct {
	cfg     runtime.Config
	log     *slog.Logger
	groups  *groups.Service
	nk      *runtime.NK
	chans   *runtime.Channels  // nk.channel_message_send (nk_channels.go)
	modules []*module          // in module-name order
	byName  map[string]*module // for require
	regs    []registration     // the first VM's registrations, in order

	pool   chan *vm
	done   chan struct{} // closed by Close
	mu     sync.Mutex    // guards closed and replacing.Add
	closed bool
	// replacing counts VMs being rebuilt after an interrupted call.
	replacing sync.WaitGroup
	// stuck counts abandoned VMs whose call has not come back yet (guarded
	// by mu); owed counts the pool places left empty because stuck reached
	// the pool size, refilled as stuck VMs come back.
	stuck, owed int

	mem      *runtime.MemWatch // per-call heap growth watchdog
	maxBuild int               // bytes one builtin may build (gsub, format, concat, rep)

	metrics runtime.Metrics
	waited  func(time.Duration) // records a get's wait for a VM
}

type module struct {
	name  string
	path  string
	proto *glua.FunctionProto
}

// Load compiles the Lua modules of cfg.Path, builds the pool of VMs (running
// each module's top level in each) and registers the modules' hooks and RPCs
// into deps.Hooks. With no modules it returns a Runtime that does nothing. An
// error (syntax, a failing top level, an unknown hook name) names the file and
// line; the server should refuse to start. ctx bounds the module top levels.
func Load(ctx context.Context, cfg runtime.Config, deps runtime.Deps) (*Runtime, error) {
	cfg = cfg.WithDefaults()
	log := deps.Log
	if log == nil {
		log = slog.Default()
	}
	r := &Runtime{cfg: cfg, log: log.With("runtime", "lua"), done: make(chan struct{}), byName: map[string]*module{},
		mem: runtime.NewMemWatch(cfg.MaxCallMemory), maxBuild: maxBuildOff, metrics: deps.Metrics,
		waited: func(time.Duration) {}}
	if cfg.MaxCallMemory > 0 && cfg.MaxCallMemory < maxBuildOff {
		r.maxBuild = int(cfg.MaxCallMemory)
	}
	_, mods, err := cfg.Modules()
	if err != nil {
		return nil, fmt.Errorf("lua: reading %s: %w", cfg.Path, err)
	}
	if len(mods) == 0 {
		return r, nil
	}
	if deps.Groups == nil || deps.Hooks == nil {
		return nil, fmt.Errorf("lua: Deps.Groups and Deps.Hooks are required")
	}
	r.groups = deps.Groups
	r.nk = runtime.NewNK(deps.Groups, deps.Hooks)
	r.chans = &runtime.Channels{Sender: deps.Channels}
	for _, m := range mods {
		cm, err := compile(cfg.Path, m)
		if err != nil {
			return nil, err
		}
		r.modules = append(r.modules, cm)
		r.byName[cm.name] = cm
	}

	vms := make([]*vm, 0, cfg.PoolSize)
	fail := func(err error) (*Runtime, error) {
		for _, v := range vms {
			v.close()
		}
		return nil, err
	}
	for len(vms) < cfg.PoolSize {
		v, err := r.newVM(ctx)
		if err != nil {
			return fail(err)
		}
		if r.regs == nil {
			r.regs = append([]registration{}, v.regs...)
		}
		vms = append(vms, v)
	}
	r.pool = make(chan *vm, cfg.PoolSize)
	for _, v := range vms {
		r.pool <- v
	}
	r.waited = runtime.ObservePool(deps.Metrics, runtime.LangLua, cfg.PoolSize, r.inUse)
	r.register(deps.Hooks)
	names := make([]string, len(r.modules))
	for i, m := range r.modules {
		names[i] = m.name
	}
	r.log.Info("Lua modules loaded", "modules", names, "registrations", len(r.regs), "pool", cfg.PoolSize)
	return r, nil
}

// compile parses and compiles one module; the chunk is named by its path
// relative to the runtime path ("bouncer.lua"), which error messages show.
func compile(root string, m runtime.Module) (*module, error) {
	chunk := m.Name + ".lua"
	if rel, err := filepath.Rel(root, m.Path); err == nil {
		chunk = filepath.ToSlash(rel)
	}
	stmts, err := parse.Parse(strings.NewReader(m.Code), chunk)
	if err != nil {
		if pe, ok := err.(*parse.Error); ok {
			where := fmt.Sprintf("%s:%d", chunk, pe.Pos.Line)
			if pe.Pos.Line == parse.EOF {
				where = chunk + ": at end of file"
			}
			return nil, fmt.Errorf("lua: module %q (%s): %s: %s near '%s'", m.Name, m.Path, where, pe.Message, pe.Token)
		}
		return nil, fmt.Errorf("lua: module %q (%s): %s: %v", m.Name, m.Path, chunk, err)
	}
	proto, err := glua.Compile(stmts, chunk)
	if err != nil {
		if ce, ok := err.(*glua.CompileError); ok {
			return nil, fmt.Errorf("lua: module %q (%s): %s:%d: %s", m.Name, m.Path, chunk, ce.Line, ce.Message)
		}
		return nil, fmt.Errorf("lua: module %q (%s): %v", m.Name, m.Path, err)
	}
	return &module{name: m.Name, path: m.Path, proto: proto}, nil
}

// register adds each registration to the hooks registry.
func (r *Runtime) register(reg *hooks.Registry) {
	for i, rg := range r.regs {
		switch rg.kind {
		case kindBefore:
			op, _ := runtime.OpByName(rg.name)
			op.RegisterBefore(reg, runtime.ObserveBefore(r.metrics, runtime.LangLua, op.Name, r.before(i)))
		case kindAfter:
			op, _ := runtime.OpByName(rg.name)
			op.RegisterAfter(reg, runtime.ObserveAfter(r.metrics, runtime.LangLua, op.Name, r.after(i)))
		case kindRPC:
			reg.RegisterRPC(rg.name, runtime.ObserveRPC(r.metrics, runtime.LangLua, rg.name, r.rpc(i)))
		}
	}
}

// Registrations lists what the modules registered, as "before KickGroupUsers",
// "after ListGroups", "rpc resize_group", in registration order.
func (r *Runtime) Registrations() []string {
	out := make([]string, len(r.regs))
	for i, rg := range r.regs {
		out[i] = rg.kind + " " + rg.name
	}
	return out
}

// inUse is how many of the pool's places are not idle: VMs running a call
// (or being replaced after one).
func (r *Runtime) inUse() int {
	return max(r.cfg.PoolSize-len(r.pool), 0)
}

// get takes a VM from the pool, waiting as long as ctx allows.
func (r *Runtime) get(ctx context.Context) (*vm, error) {
	select {
	case v := <-r.pool:
		r.waited(0)
		return v, nil
	default:
	}
	start := time.Now()
	defer func() { r.waited(time.Since(start)) }()
	select {
	case v := <-r.pool:
		return v, nil
	case <-r.done:
		return nil, &errs.Error{Code: errs.CodeUnavailable, Message: "Lua runtime is closed."}
	case <-ctx.Done():
		if ctx.Err() == context.Canceled {
			return nil, &errs.Error{Code: errs.CodeCanceled, Message: "Request canceled."}
		}
		return nil, &errs.Error{Code: errs.CodeDeadlineExceeded, Message: "No Lua VM became free before the deadline."}
	}
}

// put returns a VM to the pool; an interrupted VM is replaced by a fresh one.
func (r *Runtime) put(v *vm) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case v.state.Load() == callAbandoned:
		// abandon took care of it; its goroutine closes it.
	case r.closed:
		v.close()
	case v.broken:
		r.replacing.Add(1)
		go r.replace(v)
	default:
		r.pool <- v
	}
}

// maxBuildOff is the size cap of builtins when the memory limit is off.
const maxBuildOff = 1 << 30

// abandon gives up on a VM stuck in Go code past its call's deadline: a
// fresh VM takes its place in the pool, unless pool-size VMs are stuck
// already (then the place stays empty until one comes back: memory stays
// bounded at twice the pool).
func (r *Runtime) abandon(v *vm) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stuck++
	if r.closed {
		return
	}
	if r.stuck > r.cfg.PoolSize {
		r.owed++
		r.log.Error("Lua VM stuck in Go code past its deadline; too many are stuck to replace it", "stuck", r.stuck,
			"pool", r.cfg.PoolSize, "empty_places", r.owed)
		return
	}
	r.log.Warn("Lua VM stuck in Go code past its deadline; abandoned and replaced", "stuck", r.stuck)
	r.replacing.Add(1)
	go r.replace(nil)
}

// reclaim closes an abandoned VM whose call finally came back, and refills
// a place its fellows left empty.
func (r *Runtime) reclaim(v *vm) {
	v.close()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stuck--
	r.log.Info("abandoned Lua VM came back and was closed", "stuck", r.stuck)
	if r.owed > 0 && !r.closed {
		r.owed--
		r.replacing.Add(1)
		go r.replace(nil)
	}
}

// replace builds a fresh VM for old (nil: for an abandoned VM); if that fails
// (a module's top level depends on something gone), old goes back, as its
// state is most likely fine.
func (r *Runtime) replace(old *vm) {
	defer r.replacing.Done()
	v, err := r.newVM(context.Background())
	if err != nil && old == nil {
		r.log.Error("could not replace an abandoned Lua VM", "error", err)
		r.mu.Lock()
		r.owed++
		r.mu.Unlock()
		return
	}
	if err != nil {
		r.log.Error("could not replace an interrupted Lua VM; reusing it", "error", err)
		old.broken = false
		v = old
	} else if old != nil {
		old.close()
		if old.blown {
			goruntime.GC()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		v.close()
		return
	}
	r.pool <- v
}

// Close closes the VMs; later calls fail with code 14. Call it after the
// server stopped taking requests.
func (r *Runtime) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	close(r.done)
	r.mu.Unlock()
	r.replacing.Wait()
	for {
		select {
		case v := <-r.pool:
			v.close()
		default:
			return
		}
	}
}

// errBefore is Nakama's answer to a before hook returning something that is
// not a request.
func errBefore() error {
	return &errs.Error{Code: errs.CodeInternal, Message: "Could not complete runtime Before function."}
}

// before runs registration i as a before hook: fn(context, payload) returns
// the payload (changed or not) or nil to refuse.
func (r *Runtime) before(i int) runtime.BeforeFunc {
	return func(ctx context.Context, c *hooks.Caller, in *runtime.Payload) (any, error) {
		out, err := r.runBefore(ctx, i, c, in.Map())
		if err != nil {
			r.logFailure(ctx, i, err)
			return nil, err
		}
		if out == nil {
			return nil, nil // refused
		}
		return in.Decode(out)
	}
}

func (r *Runtime) runBefore(ctx context.Context, i int, c *hooks.Caller, in map[string]any) (map[string]any, error) {
	v, err := r.get(ctx)
	if err != nil {
		return nil, err
	}
	defer r.put(v)
	res, err := v.call(ctx, v.fns[i], v.contextTable(runtime.ModeBefore, c), toLua(v.L, in))
	if err != nil {
		return nil, err
	}
	switch t := res.(type) {
	case *glua.LNilType:
		return nil, nil
	case *glua.LTable:
		m, err := tableToMap(t)
		if err != nil {
			r.log.WarnContext(ctx, "Lua before hook returned an unusable payload", "hook", r.regs[i].name, "error", err)
			return nil, errBefore()
		}
		return m, nil
	}
	r.log.WarnContext(ctx, "Lua before hook returned neither a table nor nil", "hook", r.regs[i].name, "type", res.Type().String())
	return nil, errBefore()
}

// after runs registration i as an after hook: fn(context, outgoing, incoming).
// A returned table is handed back as the replacement response (only listings
// use it: see runtime.AfterFunc); anything else is ignored.
func (r *Runtime) after(i int) runtime.AfterFunc {
	return func(ctx context.Context, c *hooks.Caller, out any, in map[string]any) (any, error) {
		res, err := r.runAfter(ctx, i, c, out, in)
		if err != nil {
			r.logFailure(ctx, i, err)
		}
		return res, err
	}
}

func (r *Runtime) runAfter(ctx context.Context, i int, c *hooks.Caller, out any, in map[string]any) (any, error) {
	v, err := r.get(ctx)
	if err != nil {
		return nil, err
	}
	defer r.put(v)
	res, err := v.call(ctx, v.fns[i], v.contextTable(runtime.ModeAfter, c), toLua(v.L, out), toLua(v.L, in))
	if err != nil {
		return nil, err
	}
	if t, ok := res.(*glua.LTable); ok {
		return toGo(t, "")
	}
	return nil, nil
}

// rpc runs registration i as an RPC: fn(context, payload) returns a string
// (nil: "").
func (r *Runtime) rpc(i int) hooks.RPC {
	return func(ctx context.Context, c *hooks.Caller, payload string) (string, error) {
		out, err := r.runRPC(ctx, i, c, payload)
		if err != nil {
			r.logFailure(ctx, i, err)
		}
		return out, err
	}
}

func (r *Runtime) runRPC(ctx context.Context, i int, c *hooks.Caller, payload string) (string, error) {
	v, err := r.get(ctx)
	if err != nil {
		return "", err
	}
	defer r.put(v)
	res, err := v.call(ctx, v.fns[i], v.contextTable(runtime.ModeRPC, c), glua.LString(payload))
	if err != nil {
		return "", err
	}
	switch t := res.(type) {
	case *glua.LNilType:
		return "", nil
	case glua.LString:
		return string(t), nil
	}
	return "", &errs.Error{Code: errs.CodeInternal,
		Message: "Runtime function returned invalid data - only allowed one return value of type string."}
}

// Stuck is how many abandoned VMs are still busy in Go code past their
// call's deadline.
func (r *Runtime) Stuck() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stuck
}

// logFailure logs a failed call once: the RPC id or hook, the language, the
// error (with its code when it has one) and where the function is defined.
func (r *Runtime) logFailure(ctx context.Context, i int, err error) {
	rg := r.regs[i]
	attrs := make([]any, 0, 10)
	if rg.kind == kindRPC {
		attrs = append(attrs, "rpc", rg.name)
	} else {
		attrs = append(attrs, "hook", rg.kind+" "+rg.name)
	}
	attrs = append(attrs, "language", "lua", "error", err.Error())
	if ge, ok := errs.AsError(err); ok {
		attrs = append(attrs, "code", int(ge.Code))
	}
	if rg.where != "" {
		attrs = append(attrs, "function", rg.where)
	}
	r.log.WarnContext(ctx, "Lua call failed", attrs...)
}
