// Package store is the GORM implementation of the groups.Store port, and the
// opening and migrating of Guildhall's database (PostgreSQL, or embedded SQLite).
package store

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
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
}

// Options configure Open.
type Options struct {
	URL      string // postgres://… or postgresql://…; empty selects SQLite in DataDir
	DataDir  string // SQLite directory (default ./data)
	MaxConns int    // PostgreSQL pool size (default 32)
}

// Open connects to the configured database.
func Open(opts Options) (*DB, error) {
	cfg := &gorm.Config{
		SkipDefaultTransaction: true,
		PrepareStmt:            true,
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
	switch {
	case strings.HasPrefix(opts.URL, "postgres://"), strings.HasPrefix(opts.URL, "postgresql://"):
		// GORM's PrepareStmt re-prepared every statement inside a transaction
		// and deallocated it at commit (database/sql's Tx.Stmt on a statement
		// prepared on another connection): three round trips per statement.
		// pgx's own per-connection statement cache prepares each query once.
		pgcfg := *cfg
		pgcfg.PrepareStmt = false
		db, err := gorm.Open(postgres.Open(pgURL(opts.URL)), &pgcfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, err
		}
		n := opts.MaxConns
		if n <= 0 {
			n = 32
		}
		sqlDB.SetMaxOpenConns(n)
		sqlDB.SetMaxIdleConns(n)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := sqlDB.PingContext(ctx); err != nil {
			return nil, fmt.Errorf("connect to postgres: %w", err)
		}
		return &DB{Dialect: Postgres, Write: db, Read: db}, nil
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
		return openSQLite(path, cfg)
	}
	return nil, fmt.Errorf("unsupported database URL %q: use postgres://… or leave it empty for SQLite", opts.URL)
}

// pgURL adds Guildhall's session defaults to a PostgreSQL URL unless it sets
// them itself: plan_cache_mode=force_generic_plan, because every statement here
// is a prepared one served by an index whatever its parameters, and
// PostgreSQL's default (a custom plan per execution while it compares the
// costs, which for a LIMIT keyset query never settles) re-planned each
// execution: planning was the largest part of a listing's database CPU.
func pgURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw // gorm reports the error
	}
	q := u.Query()
	if q.Has("plan_cache_mode") {
		return raw
	}
	q.Set("plan_cache_mode", "force_generic_plan")
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
