package hooks

import (
	"context"
	"time"
)

// Event is what a script hands to nk.event (Nakama's analytics-style event):
// a name, string properties, a time and whether it came from outside the
// server.
type Event struct {
	Name       string
	Properties map[string]string
	Timestamp  time.Time
	External   bool
}

// EventHandler receives events from nk.event.
type EventHandler func(ctx context.Context, e Event)

// RegisterEvent adds a handler for nk.event; handlers run in registration order.
func (r *Registry) RegisterEvent(fn EventHandler) {
	r.events = append(r.events, fn)
}

// Emit hands e to every registered event handler, or logs it when there is
// none. A handler that panics is logged and does not stop the others.
func (r *Registry) Emit(ctx context.Context, e Event) {
	if len(r.events) == 0 {
		r.log.InfoContext(ctx, "event", "name", e.Name, "properties", e.Properties,
			"timestamp", e.Timestamp, "external", e.External)
		return
	}
	for _, fn := range r.events {
		func() {
			defer func() {
				if p := recover(); p != nil {
					r.log.ErrorContext(ctx, "event handler panicked", "name", e.Name, "panic", p)
				}
			}()
			fn(ctx, e)
		}()
	}
}
