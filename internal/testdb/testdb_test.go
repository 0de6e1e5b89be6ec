package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func openPG(t *testing.T, rawURL string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", rawURL)
	if err != nil {
		t.Fatalf("open %s: %v", rawURL, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatalf("ping %s: %v", rawURL, err)
	}
	return db
}

func dbName(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("parse %q: %v", rawURL, err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

func userTables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT table_schema || '.' || table_name FROM information_schema.tables
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)
	if err != nil {
		t.Fatalf("listing tables: %v", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

func dbExists(t *testing.T, name string) bool {
	t.Helper()
	admin, err := adminDB(os.Getenv(EnvVar))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := admin.QueryRow(`SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func TestPostgresFreshDistinctDatabases(t *testing.T) {
	urlA, urlB := Postgres(t), Postgres(t)
	nameA, nameB := dbName(t, urlA), dbName(t, urlB)
	if nameA == nameB {
		t.Fatalf("two calls returned the same database %q", nameA)
	}
	for _, n := range []string{nameA, nameB} {
		if !strings.HasPrefix(n, dbPrefix) {
			t.Errorf("database name %q lacks prefix %q", n, dbPrefix)
		}
	}

	// The URL keeps DATABASE_URL's user, host and query.
	base, _ := url.Parse(os.Getenv(EnvVar))
	got, _ := url.Parse(urlA)
	if got.Host != base.Host || got.User.String() != base.User.String() || got.RawQuery != base.RawQuery {
		t.Errorf("URL %q does not match DATABASE_URL apart from the path", urlA)
	}

	a, b := openPG(t, urlA), openPG(t, urlB)
	var current string
	if err := a.QueryRow(`SELECT current_database()`).Scan(&current); err != nil {
		t.Fatal(err)
	}
	if current != nameA {
		t.Fatalf("connected to %q, want %q", current, nameA)
	}
	var enc string
	if err := a.QueryRow(`SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = $1`, nameA).Scan(&enc); err != nil {
		t.Fatal(err)
	}
	if enc != "UTF8" {
		t.Errorf("encoding = %q, want UTF8", enc)
	}

	if tables := userTables(t, a); len(tables) != 0 {
		t.Fatalf("fresh database has tables: %v", tables)
	}
	if _, err := a.Exec(`CREATE TABLE only_in_a (id int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	if tables := userTables(t, a); len(tables) != 1 || tables[0] != "public.only_in_a" {
		t.Fatalf("tables in A = %v, want [public.only_in_a]", tables)
	}
	if tables := userTables(t, b); len(tables) != 0 {
		t.Fatalf("table created in A is visible in B: %v", tables)
	}
}

func TestPostgresDroppedAfterCleanup(t *testing.T) {
	var name string
	var db *sql.DB
	t.Run("sub", func(t *testing.T) {
		u := Postgres(t)
		name = dbName(t, u)
		if !dbExists(t, name) {
			t.Fatalf("database %s not in pg_database", name)
		}
		// Leave a connection open across the cleanup: DROP ... WITH (FORCE)
		// must still succeed.
		var err error
		db, err = sql.Open("pgx", u)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		_ = conn // deliberately not closed before the cleanup runs
		if _, err := db.Exec(`CREATE TABLE leftover (x int)`); err != nil {
			t.Fatal(err)
		}
	})
	if db != nil {
		defer db.Close()
	}
	if name == "" {
		t.Fatal("subtest did not create a database")
	}
	if dbExists(t, name) {
		t.Fatalf("database %s still exists after the subtest's cleanup", name)
	}
}

func TestPostgresParallel(t *testing.T) {
	seen := sync.Map{}
	for i := 0; i < 8; i++ {
		t.Run("p", func(t *testing.T) {
			t.Parallel()
			u := Postgres(t)
			if _, dup := seen.LoadOrStore(dbName(t, u), true); dup {
				t.Errorf("duplicate database %s", u)
			}
			db := openPG(t, u)
			if _, err := db.Exec(`CREATE TABLE t (id int)`); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// fatalTB records Fatal/Skip calls instead of failing the enclosing test.
type fatalTB struct {
	testing.TB
	mu      sync.Mutex
	fatal   string
	skipped bool
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatal(args ...any) {
	f.mu.Lock()
	f.fatal = fmt.Sprint(args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fatalTB) Fatalf(format string, args ...any) { f.Fatal(fmt.Sprintf(format, args...)) }

func (f *fatalTB) Skip(args ...any) { f.skipped = true; runtime.Goexit() }

func (f *fatalTB) Skipf(string, ...any) { f.skipped = true; runtime.Goexit() }

func (f *fatalTB) SkipNow() { f.skipped = true; runtime.Goexit() }

func TestPostgresWithoutDatabaseURLFails(t *testing.T) {
	t.Setenv(EnvVar, "")
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	returned := false
	go func() {
		defer close(done)
		Postgres(f)
		returned = true
	}()
	<-done
	if returned {
		t.Fatal("Postgres returned without DATABASE_URL")
	}
	if f.skipped {
		t.Fatal("Postgres skipped without DATABASE_URL; it must fail")
	}
	if !strings.Contains(f.fatal, "DATABASE_URL is not set") || !strings.Contains(f.fatal, "make test") {
		t.Fatalf("unexpected failure message %q", f.fatal)
	}
}

func TestSQLite(t *testing.T) {
	a, b := SQLite(t), SQLite(t)
	if a == b {
		t.Fatalf("two calls returned the same path %q", a)
	}
	for _, p := range []string{a, b} {
		if filepath.Base(p) != "guildhall.db" {
			t.Errorf("path %q is not named guildhall.db", p)
		}
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s already exists (err=%v)", p, err)
		}
		if st, err := os.Stat(filepath.Dir(p)); err != nil || !st.IsDir() {
			t.Errorf("directory of %s missing: %v", p, err)
		}
	}
}

func TestEach(t *testing.T) {
	var got []string
	Each(t, func(t *testing.T, dialect, u string) {
		got = append(got, t.Name()+"="+dialect)
		switch dialect {
		case DialectPostgres:
			db := openPG(t, u)
			if _, err := db.Exec(`SELECT 1`); err != nil {
				t.Fatal(err)
			}
		case DialectSQLite:
			if filepath.Base(u) != "guildhall.db" {
				t.Errorf("sqlite url %q", u)
			}
		default:
			t.Errorf("unknown dialect %q", dialect)
		}
	})
	want := "TestEach/postgres=postgres,TestEach/sqlite=sqlite"
	if strings.Join(got, ",") != want {
		t.Fatalf("subtests = %v, want %s", got, want)
	}
}
