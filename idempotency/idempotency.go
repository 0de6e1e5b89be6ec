// Package idempotency makes retried mutations safe: the first answer to a
// request carrying an Idempotency-Key is stored per user and key, and a retry
// with the same key gets that answer back without the operation running
// again. Keys live in the database, so they hold across nodes.
//
// The protocol, per (user, key):
//
//  1. Begin reserves the key with one INSERT … ON CONFLICT DO NOTHING of a
//     pending row (status 0) holding the request's fingerprint. The request
//     that inserts it runs the operation; every other one reads the row.
//  2. A row with another fingerprint is a different request: refused (400).
//     A finished row is replayed. A pending row means the first request is
//     still running: Begin polls until it finishes (then replays), is
//     released (then reserves again) or the caller's deadline passes (409).
//  3. Finish stores the answer; an answer that says nothing about the
//     operation's effect (5xx, 429) releases the key instead, so a retry runs
//     the operation.
//
// A pending row older than the lease belongs to a node that died mid-request;
// Begin takes it over (at most once: the takeover is a conditional delete).
// Rows expire after the TTL and are purged in the background.
package idempotency

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/errs"
)

// MaxKeyLen is the longest key accepted.
const MaxKeyLen = 64

// DefaultTTL is how long an answer is kept for replay.
const DefaultTTL = 24 * time.Hour

// DefaultLease is how long a pending key may stay pending before another
// request may take it over.
const DefaultLease = time.Minute

// Record is one key's row.
type Record struct {
	Hash       string // fingerprint of the request (method, path, query, body)
	Status     int    // 0 while the first request runs
	Body       []byte
	CreateTime time.Time
	ExpireTime time.Time
}

// Store keeps the keys.
type Store interface {
	// ReserveIdempotencyKey inserts r as userID's pending key unless a row
	// exists; it returns the existing row (nil when r was inserted). An
	// expired row is replaced.
	ReserveIdempotencyKey(ctx context.Context, userID, key string, r Record) (*Record, error)
	// GetIdempotencyKey reads a key's row; nil when there is none.
	GetIdempotencyKey(ctx context.Context, userID, key string) (*Record, error)
	// CompleteIdempotencyKey stores the answer of a pending key created at
	// created (a holder whose key was taken over stores nothing).
	CompleteIdempotencyKey(ctx context.Context, userID, key string, created time.Time, status int, body []byte) error
	// ReleaseIdempotencyKey deletes a pending key created at created (so a
	// takeover deletes only the row it saw).
	ReleaseIdempotencyKey(ctx context.Context, userID, key string, created time.Time) error
	// PurgeIdempotencyKeys deletes rows expired before now, batch per statement.
	PurgeIdempotencyKeys(ctx context.Context, now time.Time, batch int) (int64, error)
}

// Service applies the protocol over a Store.
type Service struct {
	store Store
	ttl   time.Duration
	lease time.Duration
	poll  time.Duration
	now   func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithTTL sets how long answers are kept (DefaultTTL when <= 0).
func WithTTL(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.ttl = d
		}
	}
}

// WithLease sets how long a key may stay pending (DefaultLease when <= 0).
func WithLease(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.lease = d
		}
	}
}

// WithClock replaces the service's clock (tests).
func WithClock(now func() time.Time) Option {
	return func(s *Service) { s.now = now }
}

// New returns the service over st.
func New(st Store, opts ...Option) *Service {
	s := &Service{store: st, ttl: DefaultTTL, lease: DefaultLease, poll: 10 * time.Millisecond,
		now: func() time.Time { return time.Now().UTC() }}
	for _, o := range opts {
		o(s)
	}
	return s
}

// CheckKey refuses a key that is empty, longer than MaxKeyLen or has
// anything but visible ASCII.
func CheckKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return errs.Invalid("Idempotency key must be 1 to 64 characters.")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return errs.Invalid("Idempotency key must be visible ASCII characters.")
		}
	}
	return nil
}

var (
	errMismatch = errs.Invalid("Idempotency key was used for a different request.")
	errBusy     = errs.Errorf(errs.CodeAborted, "A request with this idempotency key is still in progress.")
)

// Claim is a reserved key: the caller runs the operation, then calls Finish.
type Claim struct {
	s           *Service
	userID, key string
	created     time.Time
	finished    bool
	replay      *Record
}

// Replay is the stored answer to send instead of running the operation, or
// nil when the caller holds the key and must run it.
func (c *Claim) Replay() *Record { return c.replay }

// Begin reserves userID's key for a request with fingerprint hash, or finds
// the answer to replay. It waits while another request holds the key, until
// ctx ends.
func (s *Service) Begin(ctx context.Context, userID, key, hash string) (*Claim, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	wait := s.poll
	for {
		now := s.now()
		r := Record{Hash: hash, CreateTime: now, ExpireTime: now.Add(s.ttl)}
		old, err := s.store.ReserveIdempotencyKey(ctx, userID, key, r)
		if err != nil {
			return nil, err
		}
		if old == nil {
			return &Claim{s: s, userID: userID, key: key, created: r.CreateTime}, nil
		}
		// Polling re-reads until the row changes; the reservation above is
		// only retried when the row is gone.
		for old != nil {
			if old.Hash != hash {
				return nil, errMismatch
			}
			if old.Status != 0 {
				return &Claim{replay: old, finished: true}, nil
			}
			if s.now().Sub(old.CreateTime) > s.lease {
				// Abandoned by a node that died mid-request: take it over.
				if err := s.store.ReleaseIdempotencyKey(ctx, userID, key, old.CreateTime); err != nil {
					return nil, err
				}
				break
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, errBusy
			case <-t.C:
			}
			if wait < 100*time.Millisecond {
				wait *= 2
			}
			if old, err = s.store.GetIdempotencyKey(ctx, userID, key); err != nil {
				return nil, err
			}
		}
	}
}

// Finish stores the answer of the operation the claim ran, or releases the
// key when the answer says nothing certain about its effect (a server error,
// 429): then a retry runs the operation. A claim that replays does nothing.
// It runs even when the request's context has ended.
func (c *Claim) Finish(ctx context.Context, status int, body []byte) error {
	if c == nil || c.finished {
		return nil
	}
	c.finished = true
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if status >= 100 && status < 500 && status != 429 {
		err := c.s.store.CompleteIdempotencyKey(ctx, c.userID, c.key, c.created, status, body)
		if err == nil {
			return nil
		}
		// Unstored, the key would stay pending until the lease ends: release it.
		_ = c.s.store.ReleaseIdempotencyKey(ctx, c.userID, c.key, c.created)
		return err
	}
	return c.s.store.ReleaseIdempotencyKey(ctx, c.userID, c.key, c.created)
}

// Abandon releases the key of a claim whose request failed without an
// answer (a panic); a finished claim is left alone.
func (c *Claim) Abandon(ctx context.Context) {
	_ = c.Finish(ctx, 0, nil)
}

// Purge deletes expired keys.
func (s *Service) Purge(ctx context.Context) (int64, error) {
	return s.store.PurgeIdempotencyKeys(ctx, s.now(), 1000)
}
