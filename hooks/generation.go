package hooks

import (
	"context"
	"fmt"
	"reflect"
	goruntime "runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/guildhall/guildhall/errs"
)

// Script hooks and RPCs come in generations: the script runtimes register a
// load of the modules into a staged registry (Stage), and Swap makes it live
// at once for every point and RPC. Calls that started on the previous
// generation finish on it; once they have, Drained says its VMs may close.
// Go hooks and RPCs, registered on the registry itself, stay across swaps.

// Generation is one load of the script modules.
type Generation struct {
	ID       int64
	inflight atomic.Int64
	retired  atomic.Bool
	once     sync.Once
	drained  chan struct{}
}

func newGeneration(id int64) *Generation {
	return &Generation{ID: id, drained: make(chan struct{})}
}

// enter counts a call in; it fails once the generation is retired (the
// caller then takes the live one). The counter is raised before the retired
// flag is read, and retire sets the flag before it reads the counter, so a
// call is either counted before the drain is judged or sees the flag.
func (g *Generation) enter() bool {
	g.inflight.Add(1)
	if g.retired.Load() {
		g.exit()
		return false
	}
	return true
}

func (g *Generation) exit() {
	if g.inflight.Add(-1) == 0 && g.retired.Load() {
		g.once.Do(func() { close(g.drained) })
	}
}

func (g *Generation) retire() {
	g.retired.Store(true)
	if g.inflight.Load() == 0 {
		g.once.Do(func() { close(g.drained) })
	}
}

// Drained is closed when the generation is retired and no call runs on it.
func (g *Generation) Drained() <-chan struct{} { return g.drained }

// swappable is a point as the swap sees it, whatever its types.
type swappable interface {
	adopt(from swappable, gen *Generation)
	goHooks() []GoHook
}

// scriptSet is the registry's part for generations.
type scriptSet struct {
	points []swappable // every point, in New's order
	mu     sync.Mutex  // serialises swaps
	gen    *Generation
	nextID int64
	// scriptRPCs is the live generation's RPCs (ids lower-cased), each
	// wrapped to run inside the generation.
	scriptRPCs atomic.Pointer[map[string]RPC]
}

// Stage returns an empty registry for the script runtimes to register a
// new generation into. nk.event of the staged scripts reaches this
// registry's event handlers.
func (r *Registry) Stage() *Registry {
	s := New(r.log)
	s.events = r.events
	return s
}

// Swap makes staged's hooks and RPCs (a registry from Stage, filled by the
// script runtimes) the live script generation in place of the previous one,
// and returns both. Wait for old.Drained() before releasing the old
// generation's VMs. old is nil at the first swap.
func (r *Registry) Swap(staged *Registry) (old, live *Generation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextID++
	gen := newGeneration(r.nextID)
	for i, p := range r.points {
		p.adopt(staged.points[i], gen)
	}
	rpcs := make(map[string]RPC, len(staged.rpcs))
	for id, fn := range staged.rpcs {
		rpcs[id] = r.inGeneration(gen, id, fn)
	}
	r.scriptRPCs.Store(&rpcs)
	old, r.gen = r.gen, gen
	if old != nil {
		old.retire()
	}
	return old, gen
}

// Live is the live script generation, nil before the first Swap.
func (r *Registry) Live() *Generation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gen
}

// inGeneration runs an RPC of gen inside it; a call that finds gen retired
// (a swap between lookup and call) is served by the live generation.
func (r *Registry) inGeneration(gen *Generation, id string, fn RPC) RPC {
	return func(ctx context.Context, c *Caller, payload string) (string, error) {
		if !gen.enter() {
			live, ok := r.RPC(id)
			if !ok {
				return "", errs.Errorf(errs.CodeNotFound, "RPC function not found")
			}
			return live(ctx, c, payload)
		}
		defer gen.exit()
		return fn(ctx, c, payload)
	}
}

// scriptRPC finds an RPC of the live generation.
func (r *Registry) scriptRPC(id string) (RPC, bool) {
	m := r.scriptRPCs.Load()
	if m == nil {
		return nil, false
	}
	fn, ok := (*m)[strings.ToLower(id)]
	return fn, ok
}

// addScriptRPCIDs appends the live generation's RPC ids not in ids.
func (r *Registry) addScriptRPCIDs(ids []string) []string {
	m := r.scriptRPCs.Load()
	if m == nil {
		return ids
	}
	for id := range *m {
		if _, goToo := r.rpcs[id]; !goToo {
			ids = append(ids, id)
		}
	}
	return ids
}

// GoHook is a hook or RPC registered from Go, as listings show it.
type GoHook struct {
	Kind     string // "before", "after" or "rpc"
	Name     string // the operation or the RPC id
	Function string // the Go function's name
	File     string // its file:line
}

// goFunc names a Go function and where it is defined.
func goFunc(fn any) (name, file string) {
	f := goruntime.FuncForPC(reflect.ValueOf(fn).Pointer())
	if f == nil {
		return "?", "?"
	}
	path, line := f.FileLine(f.Entry())
	return f.Name(), fmt.Sprintf("%s:%d", path, line)
}

func (p *Point[Req, Resp]) goHooks() []GoHook {
	var out []GoHook
	for _, fn := range p.before {
		name, file := goFunc(fn)
		out = append(out, GoHook{Kind: "before", Name: p.name, Function: name, File: file})
	}
	for _, fn := range p.after {
		name, file := goFunc(fn)
		out = append(out, GoHook{Kind: "after", Name: p.name, Function: name, File: file})
	}
	return out
}

// GoHooks lists the hooks and RPCs registered from Go (not the scripts'),
// by operation in the registry's order, then the RPCs by id.
func (r *Registry) GoHooks() []GoHook {
	var out []GoHook
	for _, p := range r.points {
		out = append(out, p.goHooks()...)
	}
	ids := make([]string, 0, len(r.rpcs))
	for id := range r.rpcs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		name, file := goFunc(r.rpcs[id])
		out = append(out, GoHook{Kind: "rpc", Name: id, Function: name, File: file})
	}
	return out
}
