package hooks

import (
	"context"
	"log/slog"
	"sort"
	"strings"
)

// SessionRefreshRequest is a refresh call: the refresh token and new vars.
type SessionRefreshRequest struct {
	Token string
	Vars  map[string]string
}

// RPC is a function clients (session) or game servers (http key) call by id.
type RPC func(ctx context.Context, c *Caller, payload string) (string, error)

// Registry holds one hook point per operation of the table (ops.go) and
// the RPC functions. Each point runs around its operation's client route
// (the /v2/server/… routes and nk run no hooks): before hooks may rewrite or
// refuse the request, after hooks see the result. Go code reaches a point
// through its row: hooks.KickGroupUsers.Before(reg, fn).
type Registry struct {
	rpcs   map[string]RPC
	events []EventHandler
	log    *slog.Logger

	// scriptSet holds the points (one per operation, by its index in the
	// table) and the live script generation (generation.go).
	scriptSet
}

// New returns a registry with every point empty.
func New(log *slog.Logger) *Registry {
	if log == nil {
		log = slog.Default()
	}
	r := &Registry{rpcs: map[string]RPC{}, log: log}
	r.points = make([]swappable, len(table))
	for i, o := range table {
		r.points[i] = o.newPoint(r)
	}
	return r
}

// PointInfo is one hook point as an operator sees it.
type PointInfo struct {
	Name          string
	Method, Path  string
	Before, After int // hooks registered
}

// Points lists every hook point with its route and how many hooks run
// there now (Go and live script hooks), in table order.
func (r *Registry) Points() []PointInfo {
	out := make([]PointInfo, len(table))
	for i, o := range table {
		in := o.Info()
		b, a := r.points[i].(interface{ counts() (int, int) }).counts()
		out[i] = PointInfo{Name: in.Name, Method: in.Method, Path: in.Path, Before: b, After: a}
	}
	return out
}

// RegisterRPC adds an RPC function; ids are case-insensitive, as in Nakama.
func (r *Registry) RegisterRPC(id string, fn RPC) {
	r.rpcs[strings.ToLower(id)] = fn
}

// RPC finds a registered RPC function.
func (r *Registry) RPC(id string) (RPC, bool) {
	if fn, ok := r.scriptRPC(id); ok {
		return fn, true
	}
	fn, ok := r.rpcs[strings.ToLower(id)]
	return fn, ok
}

// RPCIDs lists the registered RPC ids, sorted.
func (r *Registry) RPCIDs() []string {
	ids := make([]string, 0, len(r.rpcs))
	for id := range r.rpcs {
		ids = append(ids, id)
	}
	ids = r.addScriptRPCIDs(ids)
	sort.Strings(ids)
	return ids
}
