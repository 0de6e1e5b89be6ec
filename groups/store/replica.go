package store

import (
	"context"
	"database/sql"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// The group listings (ListGroups, ListGroupUsers, ListUserGroups, and the nk
// functions over them) read from the replica when there is one: they are the
// bulk of the read traffic, and a listing a moment behind is still a correct
// page (its cursor is a keyset, not an offset). Everything else stays on the
// primary: every read inside a transaction (locks, rule checks), GetGroup and
// GetGroups (a client reads its group right after changing it), channel
// history (membership is checked on it), the audit log (it answers "who kicked
// me?" right after the kick), accounts and sessions (a logout must not wait
// for replication), notifications and idempotency keys.

// replicaRetry is how long listings stay on the primary after the replica
// failed: a replica that is down costs one failed attempt per period, not a
// connection timeout per request.
const replicaRetry = 5 * time.Second

// replica is the listings' pool and its health.
type replica struct {
	db  *sql.DB
	log *slog.Logger
	// downUntil is 0 while the replica is healthy; after a failure, the unix
	// nanoseconds until which listings read the primary.
	downUntil atomic.Int64
	now       func() time.Time // time.Now; tests move it
}

// use reports whether a listing reads the replica: always while it is
// healthy; after a failure, none for replicaRetry, then one listing probes it
// while the others still read the primary (an unreachable replica then costs
// one request's wait per period, not every request's).
func (r *replica) use() bool {
	d := r.downUntil.Load()
	if d == 0 {
		return true
	}
	now := r.now().UnixNano()
	return now >= d && r.downUntil.CompareAndSwap(d, now+int64(replicaRetry))
}

// failed sends the listings to the primary for replicaRetry, logging the
// first failure of an outage.
func (r *replica) failed(err error) {
	if r.downUntil.Swap(r.now().Add(replicaRetry).UnixNano()) == 0 {
		r.log.Warn("read replica unavailable; listings read the primary", "retry_every", replicaRetry.String(), "error", err)
	}
}

// worked marks the replica healthy again after an outage.
func (r *replica) worked() {
	if r.downUntil.Load() != 0 && r.downUntil.Swap(0) != 0 {
		r.log.Info("read replica is back; listings read it again")
	}
}

// list runs a listing's query on the replica when there is one and it is up,
// else (or when it fails before its first row) on the primary.
func (s *Groups) list(ctx context.Context, query string, args []any, scan func(rowScanner) error) error {
	r := s.replica
	if r == nil || !r.use() {
		return s.read(ctx, query, args, scan)
	}
	rows := 0
	err := s.pgConnOn(ctx, r.db, func(c *pgx.Conn) error {
		res, err := c.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer res.Close()
		for res.Next() {
			rows++
			if err := scan(res); err != nil {
				return err
			}
		}
		return res.Err()
	})
	if err == nil {
		r.worked()
		return nil
	}
	// Rows already scanned are in the caller's page: only a failure before
	// the first one can be answered again from the primary.
	if rows > 0 {
		return err
	}
	// A replica that made the request run out of time counts as down too
	// (an unreachable host fails by the deadline, not by an error).
	r.failed(err)
	if ctx.Err() != nil {
		return err
	}
	return s.read(ctx, query, args, scan)
}
