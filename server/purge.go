package server

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/api"
	"github.com/guildhall/guildhall/idempotency"
)

// startAuditPurge deletes audit entries older than AuditRetention now and
// then every AuditPurgeInterval; a retention of 0 keeps them forever.
func (s *Server) startAuditPurge(ctx context.Context) (stop func()) {
	if s.Config.AuditRetention <= 0 || s.Audit == nil {
		return func() {}
	}
	every := s.Config.AuditPurgeInterval
	if every <= 0 {
		every = DefaultAuditPurgeInterval
	}
	return s.startPurge(ctx, every, "audit entries", func(ctx context.Context) (int64, error) {
		return s.Audit.Purge(ctx, s.Config.AuditRetention)
	})
}

// IdempotencyPurgeInterval is how often Run deletes expired idempotency keys.
const IdempotencyPurgeInterval = 10 * time.Minute

// startIdempotencyPurge deletes expired idempotency keys now and then every
// IdempotencyPurgeInterval.
func (s *Server) startIdempotencyPurge(ctx context.Context) (stop func()) {
	if s.Idempotency == nil {
		return func() {}
	}
	return s.startPurge(ctx, IdempotencyPurgeInterval, "idempotency keys", s.Idempotency.Purge)
}

// idempotencyLease is how long a key may stay pending before another request
// takes it over: well past any request's deadline, so only the key of a
// request whose node died is taken.
func idempotencyLease(c Config) time.Duration {
	timeout := c.RequestTimeout
	if timeout <= 0 {
		timeout = api.DefaultRequestTimeout
	}
	return max(idempotency.DefaultLease, 3*timeout)
}

// startPurge runs purge now and then every interval, in a goroutine, until ctx
// ends or the returned function is called (which waits for the goroutine to
// finish). Every node purges: the deletes are idempotent.
func (s *Server) startPurge(ctx context.Context, every time.Duration, what string,
	purge func(context.Context) (int64, error)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			n, err := purge(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				s.log.Error("purging "+what, "error", err)
			case n > 0:
				s.log.Info("purged "+what, "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}
