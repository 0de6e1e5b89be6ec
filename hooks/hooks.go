// Package hooks is the typed before/after pipeline every client operation runs
// through, and the registry of RPC functions. Go code, and the script runtimes,
// register functions here at start-up; handlers call Run.
package hooks

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
)

// Caller is who made a client call, as the hooks see it.
type Caller struct {
	UserID     string
	Username   string
	Vars       map[string]string
	SessionExp int64 // unix seconds
	ClientIP   string
	ClientPort string
	// HTTPKey is set for server-to-server calls authenticated with the http key.
	HTTPKey bool
	Headers map[string][]string // RPC calls only
	Query   map[string][]string // RPC calls only
}

// Actor is the groups actor a call acts as.
func (c *Caller) Actor() groups.Actor {
	if c == nil || c.HTTPKey {
		return groups.SystemActor()
	}
	return groups.UserActor(c.UserID, c.Username)
}

// Empty is the response of operations that answer {}.
type Empty struct{}

// Before may return a changed request, or an error (a *errs.Error carries its
// code to the client) to refuse the call. Returning a nil request refuses it
// with Nakama's 404 "Requested resource was not found.".
type Before[Req any] func(ctx context.Context, c *Caller, req Req) (Req, error)

// After sees the request and the response of a successful call. It cannot undo
// the call; its error is logged.
type After[Req, Resp any] func(ctx context.Context, c *Caller, req Req, resp Resp) error

// Point is one operation's hooks, run in registration order: the Go hooks
// (registered at start-up, before the server takes requests), then the
// hooks of the live script generation (see Registry.Swap).
type Point[Req, Resp any] struct {
	name   string
	before []Before[Req]
	after  []After[Req, Resp]
	log    **slog.Logger
	// live is what Run reads: the Go hooks followed by the live script
	// generation's, or nil when there are none.
	live atomic.Pointer[chain[Req, Resp]]
	// scripts is the live generation's staged point (nil: no script hooks
	// here) and gen that generation; both change under the registry's swap lock.
	scripts *Point[Req, Resp]
	gen     *Generation
}

// chain is one published set of a point's hooks.
type chain[Req, Resp any] struct {
	before []Before[Req]
	after  []After[Req, Resp]
	gen    *Generation // the script hooks' generation; nil when only Go hooks run
}

// Name is the operation's Nakama name, e.g. "KickGroupUsers".
func (p *Point[Req, Resp]) Name() string { return p.name }

// Before adds a before hook.
func (p *Point[Req, Resp]) Before(fn Before[Req]) {
	p.before = append(p.before, fn)
	p.publish()
}

// After adds an after hook.
func (p *Point[Req, Resp]) After(fn After[Req, Resp]) {
	p.after = append(p.after, fn)
	p.publish()
}

func (p *Point[Req, Resp]) counts() (int, int) {
	if c := p.live.Load(); c != nil {
		return len(c.before), len(c.after)
	}
	return 0, 0
}

// Hooked reports whether any hook is registered.
func (p *Point[Req, Resp]) Hooked() bool { return p.live.Load() != nil }

// publish makes the Go hooks and the live generation's the chain Run sees.
func (p *Point[Req, Resp]) publish() {
	c := &chain[Req, Resp]{before: p.before, after: p.after}
	if s := p.scripts; s != nil {
		c.before = append(append([]Before[Req]{}, p.before...), s.before...)
		c.after = append(append([]After[Req, Resp]{}, p.after...), s.after...)
		c.gen = p.gen
	}
	if len(c.before)+len(c.after) == 0 {
		p.live.Store(nil)
		return
	}
	p.live.Store(c)
}

// adopt takes the script hooks of from (the same operation's point of a
// staged registry) as generation gen's.
func (p *Point[Req, Resp]) adopt(from swappable, gen *Generation) {
	s := from.(*Point[Req, Resp])
	p.scripts, p.gen = nil, gen
	if len(s.before)+len(s.after) > 0 {
		p.scripts = s
	}
	p.publish()
}

// enter returns the live chain with its generation entered (the caller
// exits it), or nil when no hook is registered. A generation retired
// between the load and the entry is skipped: its successor is live already.
func (p *Point[Req, Resp]) enter() *chain[Req, Resp] {
	for {
		c := p.live.Load()
		if c == nil || c.gen == nil || c.gen.enter() {
			return c
		}
	}
}

// ErrRejected is what a before hook's nil request turns into.
var ErrRejected = errs.Errorf(errs.CodeNotFound, "Requested resource was not found.")

// Run runs p's before hooks, then op, then p's after hooks, all of one
// script generation (a reload during the call does not mix two). With no
// hooks it costs one atomic load.
func Run[Req comparable, Resp any](ctx context.Context, p *Point[Req, Resp], c *Caller, req Req,
	op func(context.Context, Req) (Resp, error)) (Resp, error) {
	ch := p.enter()
	if ch == nil {
		return op(ctx, req)
	}
	if ch.gen != nil {
		defer ch.gen.exit()
	}
	var zero Resp
	for _, fn := range ch.before {
		var err error
		if req, err = fn(ctx, c, req); err != nil {
			return zero, err
		}
		var none Req
		if req == none {
			return zero, ErrRejected
		}
	}
	resp, err := op(ctx, req)
	if err != nil {
		return zero, err
	}
	for _, fn := range ch.after {
		if err := fn(ctx, c, req, resp); err != nil {
			(*p.log).WarnContext(ctx, "after hook failed", "hook", p.name, "error", err)
		}
	}
	return resp, nil
}
