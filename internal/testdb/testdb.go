// Package testdb gives tests fresh, isolated databases.
//
// PostgreSQL databases are created on the server named by the DATABASE_URL
// environment variable, which must allow CREATE DATABASE and DROP DATABASE.
// `make test` (scripts/with-postgres.sh) sets it, starting a throwaway
// PostgreSQL cluster when none is available. Tests never skip for lack of
// PostgreSQL: a missing DATABASE_URL is a test failure.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// Dialect names passed to the functions given to Each.
const (
	DialectPostgres = "postgres"
	DialectSQLite   = "sqlite"
)

// EnvVar names the environment variable holding the admin connection URL.
const EnvVar = "DATABASE_URL"

// dbPrefix starts the name of every database created by Postgres.
const dbPrefix = "gh_test_"

var admin struct {
	once sync.Once
	url  string // DATABASE_URL as read when the pool was opened
	db   *sql.DB
	err  error
}

// adminDB returns the process-wide admin connection pool, opening it on first
// use. One small pool per test binary keeps parallel tests from opening a
// storm of connections just to create and drop databases.
func adminDB(rawURL string) (*sql.DB, error) {
	admin.once.Do(func() {
		admin.url = rawURL
		db, err := sql.Open("pgx", rawURL)
		if err != nil {
			admin.err = err
			return
		}
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(2)
		db.SetConnMaxIdleTime(30 * time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			admin.err = err
			return
		}
		admin.db = db
	})
	if admin.err != nil {
		return nil, admin.err
	}
	if admin.url != rawURL {
		return nil, fmt.Errorf("%s changed during the test run (the admin connection was opened for a different URL)", EnvVar)
	}
	return admin.db, nil
}

// Postgres creates a fresh, empty PostgreSQL database for the test and
// returns its connection URL: DATABASE_URL with the database name replaced.
// The database is dropped (WITH (FORCE), so open connections do not prevent
// it) when the test and its subtests finish, so tests need not close their
// own connections first.
//
// If DATABASE_URL is not set the test fails; it is never skipped.
func Postgres(t testing.TB) string {
	t.Helper()
	rawURL := os.Getenv(EnvVar)
	if rawURL == "" {
		t.Fatal("DATABASE_URL is not set: run the tests with `make test`, which finds or starts PostgreSQL")
	}
	base, err := url.Parse(rawURL)
	if err != nil || (base.Scheme != "postgres" && base.Scheme != "postgresql") {
		t.Fatal("DATABASE_URL must be a postgres:// or postgresql:// URL (keyword/value connection strings are not supported)")
	}

	db, err := adminDB(rawURL)
	if err != nil {
		t.Fatalf("testdb: connecting to PostgreSQL at %s: %v", base.Redacted(), err)
	}

	name := dbPrefix + randomHex(8)
	ident := quoteIdent(name)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stmts := []string{
		"CREATE DATABASE " + ident + " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'",
		// The server may lack the C.UTF-8 locale, or forbid UTF8 with its
		// default locale.
		"CREATE DATABASE " + ident + " TEMPLATE template0 ENCODING 'UTF8'",
		"CREATE DATABASE " + ident,
	}
	var errs []string
	created := false
	for _, stmt := range stmts {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		created = true
		break
	}
	if !created {
		t.Fatalf("testdb: creating database %s: %s", name, strings.Join(errs, "; "))
	}

	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("testdb: dropping database %s: %v", name, err)
		}
	})

	u := *base
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// SQLite returns the path of a not yet existing SQLite database file,
// guildhall.db, in a fresh temporary directory removed after the test.
func SQLite(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "guildhall.db")
}

// Each runs fn once per supported database, as the subtests "postgres" and
// "sqlite". url is a PostgreSQL connection URL from Postgres, or a SQLite file
// path from SQLite.
func Each(t *testing.T, fn func(t *testing.T, dialect, url string)) {
	t.Helper()
	t.Run(DialectPostgres, func(t *testing.T) {
		fn(t, DialectPostgres, Postgres(t))
	})
	t.Run(DialectSQLite, func(t *testing.T) {
		fn(t, DialectSQLite, SQLite(t))
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand.Read does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
