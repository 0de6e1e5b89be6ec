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
	db        *sql.DB
	log       *slog.Logger
	downUntil atomic.Int64 // unix nanoseconds; while ahead, listings read the primary
}

func (r *replica) up() bool { return time.Now().UnixNano() >= r.downUntil.Load() }

// failed sends the listings to the primary for replicaRetry, logging the
// first failure of an outage.
func (r *replica) failed(err error) {
	now := time.Now()
	if r.downUntil.Swap(now.Add(replicaRetry).UnixNano()) < now.UnixNano()-int64(replicaRetry) {
		r.log.Warn("read replica unavailable; listings read the primary", "retry_in", replicaRetry.String(), "error", err)
	}
}

// list runs a listing's query on the replica when there is one and it is up,
// else (or when it fails before its first row) on the primary.
func (s *Groups) list(ctx context.Context, query string, args []any, scan func(rowScanner) error) error {
	r := s.replica
	if r == nil || !r.up() {
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
	// Rows already scanned are in the caller's page: only a failure before
	// the first one can be answered again from the primary.
	if err == nil || rows > 0 || ctx.Err() != nil {
		return err
	}
	r.failed(err)
	return s.read(ctx, query, args, scan)
}
