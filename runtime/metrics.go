package runtime

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/hooks"
)

// Languages as the runtimes name themselves in logs and metrics.
const (
	LangJavaScript = "javascript"
	LangLua        = "lua"
)

// Metrics is what the script runtimes report to (package metrics implements
// it; the runtimes know only this). Each method is called once, at load, and
// returns the function the hot path calls, so a call pays no label lookup.
type Metrics interface {
	// Call is the recorder of one registration's calls: kind "before",
	// "after" or "rpc", point the operation name or RPC id.
	Call(kind, point, language string) func(d time.Duration, err error)
	// Pool reports a language's VM pool (inUse is read when scraped) and
	// returns the recorder of how long a call waited for a VM.
	Pool(language string, size int, inUse func() int) func(wait time.Duration)
}

// ObserveBefore wraps a before hook so each call reports its duration and
// outcome; with no metrics it returns fn itself.
func ObserveBefore(m Metrics, language, point string, fn BeforeFunc) BeforeFunc {
	if m == nil {
		return fn
	}
	rec := m.Call("before", point, language)
	return func(ctx context.Context, c *hooks.Caller, in *Payload) (any, error) {
		start := time.Now()
		out, err := fn(ctx, c, in)
		rec(time.Since(start), err)
		return out, err
	}
}

// ObserveAfter is ObserveBefore for after hooks.
func ObserveAfter(m Metrics, language, point string, fn AfterFunc) AfterFunc {
	if m == nil {
		return fn
	}
	rec := m.Call("after", point, language)
	return func(ctx context.Context, c *hooks.Caller, out any, in map[string]any) (any, error) {
		start := time.Now()
		res, err := fn(ctx, c, out, in)
		rec(time.Since(start), err)
		return res, err
	}
}

// ObserveRPC is ObserveBefore for RPC functions.
func ObserveRPC(m Metrics, language, id string, fn hooks.RPC) hooks.RPC {
	if m == nil {
		return fn
	}
	rec := m.Call("rpc", id, language)
	return func(ctx context.Context, c *hooks.Caller, payload string) (string, error) {
		start := time.Now()
		out, err := fn(ctx, c, payload)
		rec(time.Since(start), err)
		return out, err
	}
}

// ObservePool reports a VM pool and returns its wait recorder; with no
// metrics the recorder does nothing.
func ObservePool(m Metrics, language string, size int, inUse func() int) func(time.Duration) {
	if m == nil {
		return func(time.Duration) {}
	}
	return m.Pool(language, size, inUse)
}
