package store

import (
	"context"
	"database/sql"
	"sync/atomic"
	"time"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/inbox"
)

// Groups implements groups.Store and inbox.Store. Every statement is
// hand-written SQL run by database/sql or pgx directly, with hand-written
// scans (tx.go, txsql.go, list.go, notifications.go): GORM's reflection was
// most of the server's CPU on the hot paths, and one way of writing SQL is
// simpler than two. GORM only opens the pools (open.go) for the packages that
// still use it.
type Groups struct {
	db     *DB
	sqlDB  *sql.DB // the pool under db.Write (PostgreSQL: the only pool)
	readDB *sql.DB // the pool under db.Read (SQLite's read-only connections)
	// batches counts the PostgreSQL batches transactions sent: their round
	// trips, which tests hold to account.
	batches atomic.Int64
	// auditRequestID is set by EnableAudit: transactions then write their
	// audit entry (audit.go); nil writes none.
	auditRequestID func(context.Context) string
	// written is the OnWritten hook (chat.go).
	written writtenHook
	// replica serves the listings (replica.go); nil without one.
	replica *replica
}

// NewGroups returns the store of groups over db.
func NewGroups(db *DB) *Groups {
	s := &Groups{db: db, sqlDB: sqlDBOf(db)}
	if db != nil && db.Read != nil {
		s.readDB, _ = db.Read.DB()
	}
	if db != nil && db.Replica != nil {
		s.replica = &replica{db: db.Replica, log: db.log, now: time.Now}
	}
	return s
}

var (
	_ groups.Store = (*Groups)(nil)
	_ inbox.Store  = (*Groups)(nil)
)

func micros(v int64) time.Time { return time.UnixMicro(v).UTC() }
