package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/guildhall/guildhall/groups"
)

// Groups implements groups.Store. Its hot paths use database/sql and pgx
// directly with hand-written scans (tx.go, list.go); GORM's reflection was most
// of the server's CPU on them. GORM still serves the rest (notifications).
type Groups struct {
	db    *DB
	sqlDB *sql.DB // the pool under db.Write (PostgreSQL: the only pool)
}

// NewGroups returns the store of groups over db.
func NewGroups(db *DB) *Groups {
	return &Groups{db: db, sqlDB: sqlDBOf(db)}
}

var _ groups.Store = (*Groups)(nil)

func micros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// Tx runs fn in one transaction (tx.go), retrying serialization failures and
// deadlocks, which PostgreSQL asks the client to retry.
func (s *Groups) Tx(ctx context.Context, fn func(groups.Tx) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if s.db.Dialect == Postgres {
			err = s.pgTx(ctx, fn)
		} else {
			err = s.sqliteTx(ctx, fn)
		}
		if !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
	return err
}

func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40001" || pg.Code == "40P01")
}

func uniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// foreignKeyViolation reports a missing referenced row (a member row's user).
func foreignKeyViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23503"
	}
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

// checkViolation reports a CHECK constraint failure (edge_count <= max_count).
func checkViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23514"
	}
	return err != nil && strings.Contains(err.Error(), "CHECK constraint failed")
}

type notificationRow struct {
	ID         string         `gorm:"column:id;primaryKey"`
	UserID     string         `gorm:"column:user_id"`
	Subject    string         `gorm:"column:subject"`
	Content    string         `gorm:"column:content"`
	Code       int            `gorm:"column:code"`
	SenderID   sql.NullString `gorm:"column:sender_id"`
	CreateTime int64          `gorm:"column:create_time"`
	Persistent bool           `gorm:"column:persistent"`
}

func (notificationRow) TableName() string { return "notifications" }
