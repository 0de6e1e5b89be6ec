// Package store is the GORM implementation of the groups.Store port, and the
// opening and migrating of Guildhall's database (PostgreSQL, or embedded SQLite).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/guildhall/guildhall/migrations"
)

// Dialects.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// DB holds the connection pools. On PostgreSQL Write and Read are the same pool.
// On SQLite, Write is a single connection, so write transactions never contend
// for the database lock ("database is locked" cannot happen), and Read is a pool
// of read-only connections that WAL lets run beside the writer.
type DB struct {
	Dialect string
	Write   *gorm.DB
	Read    *gorm.DB
	// Replica is the pool of Options.ReadURL (PostgreSQL only; nil without
	// one): the group listings read from it (replica.go). Read stays on the
	// primary: accounts verify sessions there, and a logout must not wait
	// for replication.
	Replica *sql.DB
	// Pooler is the effective Options.Pooler: PoolerTransaction when it was
	// asked for or detected, else PoolerNone (and "" on SQLite).
	Pooler string
	log    *slog.Logger
}

// Options configure Open.
type Options struct {
	URL      string // postgres://… or postgresql://…; empty selects SQLite in DataDir
	DataDir  string // SQLite directory (default ./data)
	MaxConns int    // PostgreSQL pool size (default 32)
	// ReadURL is a PostgreSQL streaming replica of URL's database that the
	// group listings read from; empty reads everything from URL.
	ReadURL string
	// Pooler says what sits between Guildhall and PostgreSQL: PoolerNone,
	// PoolerTransaction (a transaction-pooling PgBouncer or the like), or
	// PoolerAuto / "" (PoolerNone unless the server refuses Guildhall's
	// startup parameter as PgBouncer does, then PoolerTransaction).
	Pooler string
	// Log receives the replica's outages; nil is slog.Default().
	Log *slog.Logger
}

// Pooler settings (Options.Pooler).
const (
	PoolerAuto        = "auto"
	PoolerNone        = "none"
	PoolerTransaction = "transaction"
)

// Open connects to the configured database.
func Open(opts Options) (*DB, error) {
	cfg := &gorm.Config{
		SkipDefaultTransaction: true,
		PrepareStmt:            true,
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
	switch {
	case isPostgresURL(opts.URL):
		// GORM's PrepareStmt re-prepared every statement inside a transaction
		// and deallocated it at commit (database/sql's Tx.Stmt on a statement
		// prepared on another connection): three round trips per statement.
		// pgx's own per-connection statement cache prepares each query once.
		pgcfg := *cfg
		pgcfg.PrepareStmt = false
		return openPostgres(opts, &pgcfg)
	case opts.URL == "" || strings.HasPrefix(opts.URL, "sqlite://") || strings.HasPrefix(opts.URL, "file:"):
		path := strings.TrimPrefix(strings.TrimPrefix(opts.URL, "sqlite://"), "file:")
		if path == "" {
			dir := opts.DataDir
			if dir == "" {
				dir = "data"
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create data dir: %w", err)
			}
			path = filepath.Join(dir, "guildhall.db")
		}
		if opts.ReadURL != "" {
			return nil, errors.New("a read replica URL needs PostgreSQL (--database.url postgres://…)")
		}
		return openSQLite(path, cfg)
	}
	return nil, fmt.Errorf("unsupported database URL %q: use postgres://… or leave it empty for SQLite", opts.URL)
}

func isPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// openPostgres opens the primary pool and, with opts.ReadURL, the replica's.
func openPostgres(opts Options, cfg *gorm.Config) (*DB, error) {
	pooler := opts.Pooler
	switch pooler {
	case "", PoolerAuto, PoolerNone, PoolerTransaction:
	default:
		return nil, fmt.Errorf("unknown database pooler %q: use auto, none or transaction", pooler)
	}
	if opts.ReadURL != "" && !isPostgresURL(opts.ReadURL) {
		return nil, errors.New("the read replica URL must be a postgres://… URL")
	}
	n := opts.MaxConns
	if n <= 0 {
		n = 32
	}
	pooled := pooler == PoolerTransaction
	db, err := openPrimary(opts.URL, pooled, n, cfg)
	if err != nil && (pooler == "" || pooler == PoolerAuto) && pgbouncerRefused(err) {
		// PgBouncer refuses startup parameters it does not track (ours is
		// plan_cache_mode): it is in front, and may pool transactions.
		pooled = true
		db, err = openPrimary(opts.URL, true, n, cfg)
	}
	if err != nil {
		return nil, err
	}
	out := &DB{Dialect: Postgres, Write: db, Read: db, Pooler: PoolerNone, log: opts.Log}
	if pooled {
		out.Pooler = PoolerTransaction
	}
	if out.log == nil {
		out.log = slog.Default()
	}
	if opts.ReadURL != "" {
		// Not pinged: a replica that is down when the server starts is a
		// replica that is down (listings go to the primary until it is back).
		rcfg, err := pgx.ParseConfig(pgURL(opts.ReadURL, pooled))
		if err != nil {
			out.Close()
			return nil, fmt.Errorf("read replica URL: %w", err)
		}
		out.Replica = stdlib.OpenDB(*rcfg)
		setPoolSize(out.Replica, n)
	}
	return out, nil
}

// openPrimary opens and pings the main PostgreSQL pool; pooled makes it safe
// behind a transaction pooler (see pgURL).
func openPrimary(raw string, pooled bool, n int, cfg *gorm.Config) (*gorm.DB, error) {
	db, err := gorm.Open(postgres.Open(pgURL(raw, pooled)), cfg)
	if err != nil {
		if db != nil && db.ConnPool != nil { // gorm's own ping failed
			if p, e := db.DB(); e == nil {
				p.Close()
			}
		}
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	setPoolSize(sqlDB, n)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return db, nil
}

func setPoolSize(db *sql.DB, n int) {
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
}

// pgbouncerRefused reports PgBouncer's answer to a startup parameter it does
// not know ("unsupported startup parameter: plan_cache_mode", 08P01).
func pgbouncerRefused(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "08P01" && strings.Contains(pg.Message, "unsupported startup parameter")
	}
	return strings.Contains(err.Error(), "unsupported startup parameter")
}

// pgURL adds Guildhall's session defaults to a PostgreSQL URL unless it sets
// them itself.
//
// Direct (pooled false): plan_cache_mode=force_generic_plan, because every
// statement here is a prepared one served by an index whatever its
// parameters, and PostgreSQL's default (a custom plan per execution while it
// compares the costs, which for a LIMIT keyset query never settles)
// re-planned each execution: planning was the largest part of a listing's
// database CPU.
//
// Behind a transaction pooler (pooled): no session state at all. Consecutive
// transactions of one client connection may run on different server
// connections, so pgx's named prepared statements (its default statement
// cache) would be missing on the next one; default_query_exec_mode=
// cache_describe keeps only the statements' descriptions and sends each
// query as an unnamed statement in its own Parse/Bind/Execute, still one
// round trip per batch. No startup parameter either: PgBouncer refuses those
// it does not track, and plan_cache_mode only matters for named statements.
func pgURL(raw string, pooled bool) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw // gorm reports the error
	}
	q := u.Query()
	if pooled {
		if q.Has("default_query_exec_mode") {
			return raw
		}
		q.Set("default_query_exec_mode", "cache_describe")
	} else {
		if q.Has("plan_cache_mode") {
			return raw
		}
		q.Set("plan_cache_mode", "force_generic_plan")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func openSQLite(path string, cfg *gorm.Config) (*DB, error) {
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	// The writer checkpoints the WAL every 10,000 pages (~40 MB) instead of
	// SQLite's 1,000: a hot page (a group row, an index leaf) is then copied
	// back once per checkpoint rather than ten times, and the checkpoint's
	// fsync is ten times rarer (measured: mixed 0.72 → 0.55 ms CPU per op).
	w, err := gorm.Open(sqlite.Open(path+"?"+pragmas+"&_pragma=wal_autocheckpoint(10000)&_txlock=immediate"), cfg)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	wdb, _ := w.DB()
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxIdleTime(0)
	if err := wdb.Ping(); err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := gorm.Open(sqlite.Open(path+"?"+pragmas+"&_pragma=query_only(1)"), cfg)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	rdb, _ := r.DB()
	rdb.SetMaxOpenConns(8)
	rdb.SetMaxIdleConns(8)
	return &DB{Dialect: SQLite, Write: w, Read: r}, nil
}

// Close closes the pools.
func (d *DB) Close() error {
	w, _ := d.Write.DB()
	err := w.Close()
	if d.Replica != nil {
		if e := d.Replica.Close(); err == nil {
			err = e
		}
	}
	if d.Read != d.Write {
		r, _ := d.Read.DB()
		if e := r.Close(); err == nil {
			err = e
		}
	}
	return err
}

// provider is a goose provider of this database's dialect folder. A provider
// keeps its own state (goose's package-level functions share a global dialect
// and filesystem, so two migrations in one process would race).
func (d *DB) provider() (*goose.Provider, error) {
	db, err := d.Write.DB()
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectPostgres
	if d.Dialect == SQLite {
		dialect = goose.DialectSQLite3
	}
	dir, err := fs.Sub(migrations.FS, d.Dialect)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(dialect, db, dir)
}

// Migrate applies every pending migration.
func (d *DB) Migrate(ctx context.Context) error {
	p, err := d.provider()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// MigrateDown rolls back the newest migration.
func (d *DB) MigrateDown(ctx context.Context) error {
	p, err := d.provider()
	if err != nil {
		return err
	}
	_, err = p.Down(ctx)
	return err
}

// MigrationStatus logs each migration and whether it is applied.
func (d *DB) MigrationStatus(ctx context.Context, log *slog.Logger) error {
	p, err := d.provider()
	if err != nil {
		return err
	}
	all, err := p.Status(ctx)
	if err != nil {
		return err
	}
	for _, m := range all {
		applied := ""
		if !m.AppliedAt.IsZero() {
			applied = m.AppliedAt.UTC().Format(time.RFC3339)
		}
		log.Info("migration", "version", m.Source.Version, "file", m.Source.Path, "state", string(m.State), "applied_at", applied)
	}
	return nil
}
