// Package hooks is the typed before/after pipeline every client operation runs
// through, and the registry of RPC functions. Go code, and the script runtimes,
// register functions here at start-up; handlers call Run.
package hooks

import (
	"context"
	"log/slog"

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

// Point is one operation's hooks, run in registration order. Registration
// happens at start-up, before the server takes requests.
type Point[Req, Resp any] struct {
	name   string
	before []Before[Req]
	after  []After[Req, Resp]
	log    **slog.Logger
}

// Name is the operation's Nakama name, e.g. "KickGroupUsers".
func (p *Point[Req, Resp]) Name() string { return p.name }

// Before adds a before hook.
func (p *Point[Req, Resp]) Before(fn Before[Req]) { p.before = append(p.before, fn) }

// After adds an after hook.
func (p *Point[Req, Resp]) After(fn After[Req, Resp]) { p.after = append(p.after, fn) }

func (p *Point[Req, Resp]) counts() (int, int) { return len(p.before), len(p.after) }

// Hooked reports whether any hook is registered.
func (p *Point[Req, Resp]) Hooked() bool { return len(p.before)+len(p.after) > 0 }

// ErrRejected is what a before hook's nil request turns into.
var ErrRejected = errs.Errorf(errs.CodeNotFound, "Requested resource was not found.")

// Run runs p's before hooks, then op, then p's after hooks. With no hooks it
// costs two length checks.
func Run[Req comparable, Resp any](ctx context.Context, p *Point[Req, Resp], c *Caller, req Req,
	op func(context.Context, Req) (Resp, error)) (Resp, error) {
	var zero Resp
	for _, fn := range p.before {
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
	for _, fn := range p.after {
		if err := fn(ctx, c, req, resp); err != nil {
			(*p.log).WarnContext(ctx, "after hook failed", "hook", p.name, "error", err)
		}
	}
	return resp, nil
}
