package accounts

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/migrations"
)

// pools says how a test opens its database.
type pools int

const (
	// productionPools mirrors groups/store.Open: prepared statements, no default
	// transaction; on SQLite a single-connection writer (BEGIN IMMEDIATE) and a
	// query-only read pool passed with WithReadDB.
	productionPools pools = iota
	// plainPools is one default gorm pool per database, several SQLite writer
	// connections included (they then wait on busy_timeout).
	plainPools
)

// openDB opens a fresh database of the dialect, applies the embedded migrations
// and returns the write and read pools. goose's Provider is used instead of its
// package-level functions because those keep the dialect in global state, which
// parallel tests on both dialects would race on.
func openDB(t *testing.T, dialect, url string, mode pools) (write, read *gorm.DB) {
	t.Helper()
	cfg := &gorm.Config{Logger: logger.Default.LogMode(logger.Silent)}
	if mode == productionPools {
		cfg.SkipDefaultTransaction, cfg.PrepareStmt = true, true
	}
	open := func(d gorm.Dialector) *gorm.DB {
		db, err := gorm.Open(d, cfg)
		if err != nil {
			t.Fatalf("open %s: %v", dialect, err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sqlDB.Close() })
		return db
	}
	var gooseDial goose.Dialect
	switch dialect {
	case testdb.DialectPostgres:
		gooseDial = goose.DialectPostgres
		write = open(postgres.Open(url))
		read = write
	case testdb.DialectSQLite:
		gooseDial = goose.DialectSQLite3
		const pragmas = "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)"
		if mode == plainPools {
			write = open(sqlite.Open(url + pragmas))
			read = write
			break
		}
		write = open(sqlite.Open(url + pragmas + "&_txlock=immediate"))
		w, _ := write.DB()
		w.SetMaxOpenConns(1)
	default:
		t.Fatalf("unknown dialect %q", dialect)
	}

	sqlDB, _ := write.DB()
	sub, err := fs.Sub(migrations.FS, dialect)
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(gooseDial, sqlDB, sub)
	if err != nil {
		t.Fatalf("goose provider: %v", err)
	}
	if _, err := p.Up(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", dialect, err)
	}
	if read == nil {
		read = open(sqlite.Open(url + "?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=query_only(1)"))
	}
	return write, read
}

// eachDB runs fn on a fresh, migrated PostgreSQL and SQLite database opened as in
// production, with a Service using cfg. db is the write pool.
func eachDB(t *testing.T, cfg Config, fn func(t *testing.T, s *Service, db *gorm.DB)) {
	t.Helper()
	eachDBWith(t, productionPools, cfg, fn)
}

// keyed gives cfg Nakama's published default keys where it has none: New
// requires keys, and most tests use the defaults (as a default server does).
func keyed(cfg Config) Config {
	if cfg.EncryptionKey == "" {
		cfg.EncryptionKey = DefaultEncryptionKey
	}
	if cfg.RefreshEncryptionKey == "" {
		cfg.RefreshEncryptionKey = DefaultRefreshEncryptionKey
	}
	return cfg
}

func eachDBWith(t *testing.T, mode pools, cfg Config, fn func(t *testing.T, s *Service, db *gorm.DB)) {
	t.Helper()
	cfg = keyed(cfg)
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		t.Parallel()
		write, read := openDB(t, dialect, url, mode)
		s := New(write, cfg, WithReadDB(read))
		// The minimum bcrypt cost keeps the many password hashes of the race tests
		// fast; TestDefaultBcryptCost checks the production cost.
		s.bcryptCost = bcrypt.MinCost
		fn(t, s, write)
	})
}

// wantErr fails unless err is a coded error with exactly code and message.
func wantErr(t *testing.T, err error, code errs.Code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %d %q", code, msg)
	}
	e, ok := errs.AsError(err)
	if !ok {
		t.Fatalf("got uncoded error %v, want %d %q", err, code, msg)
	}
	if e.Code != code || e.Message != msg {
		t.Fatalf("got %d %q, want %d %q", e.Code, e.Message, code, msg)
	}
}

// payload decodes a JWT's payload segment.
func payload(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("payload base64: %v", err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("payload json %q: %v", raw, err)
	}
	return m
}

func count(t *testing.T, db *gorm.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func exec(t *testing.T, db *gorm.DB, query string, args ...any) {
	t.Helper()
	if err := db.Exec(query, args...).Error; err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func boolPtr(b bool) *bool { return &b }
