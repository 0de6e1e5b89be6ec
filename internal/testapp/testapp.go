// Package testapp builds real Guildhall stacks for tests: a migrated database
// (PostgreSQL or SQLite), the services, and the Fiber app on a loopback port.
package testapp

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/api"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/server"
)

// OpenDB opens and migrates the database testdb.Each handed out.
func OpenDB(t testing.TB, dialect, url string) *store.DB {
	t.Helper()
	if dialect == testdb.DialectSQLite {
		url = "sqlite://" + url
	}
	db, err := store.Open(store.Options{URL: url, MaxConns: 64})
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", dialect, err)
	}
	return db
}

// CreateUsers inserts n users directly and returns their ids.
func CreateUsers(t testing.TB, db *store.DB, n int) []string {
	t.Helper()
	ids := make([]string, n)
	now := time.Now().UnixMicro()
	for i := range ids {
		ids[i] = uuid.NewString()
		name := "user-" + ids[i]
		err := db.Write.Exec(`INSERT INTO users (id, username, username_key, create_time, update_time)
			VALUES (?, ?, ?, ?, ?)`, ids[i], name, name, now, now).Error
		if err != nil {
			t.Fatalf("create user: %v", err)
		}
	}
	return ids
}

// App is a running server.
type App struct {
	Server   *server.Server // built by server.New, as production does
	DB       *store.DB
	Groups   *groups.Service
	Accounts *accounts.Service
	Hooks    *hooks.Registry
	URL      string // http://127.0.0.1:port
	Fiber    *fiber.App
}

// Keys the test server uses.
const (
	ServerKey = "defaultkey"
	HTTPKey   = "test-http-key"
)

// Config is the server configuration New uses: server.DefaultConfig on the
// test database, with the test keys, a pool large enough for the race tests,
// and the rate limits off (tests drive many users from one address and many
// mutations per user; the rate-limit tests turn them on).
func Config(dialect, url string) server.Config {
	cfg := server.DefaultConfig()
	if dialect == testdb.DialectSQLite {
		url = "sqlite://" + url
	}
	cfg.DatabaseURL = url
	cfg.DatabaseMaxConns = 64
	cfg.ServerKey, cfg.HTTPKey = ServerKey, HTTPKey
	cfg.RateLimitAuthRate, cfg.RateLimitGroupRate = 0, 0
	return cfg
}

// testLog shows warnings and errors only.
var testLog = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// New builds the stack through server.New (database opened and migrated,
// services, hook registry) without listening; register hooks on app.Hooks,
// then call Start.
func New(t testing.TB, dialect, url string) *App {
	t.Helper()
	return NewWith(t, dialect, url, nil)
}

// NewWith is New with Config changed by mod (nil: unchanged) first.
func NewWith(t testing.TB, dialect, url string, mod func(*server.Config)) *App {
	t.Helper()
	cfg := Config(dialect, url)
	if mod != nil {
		mod(&cfg)
	}
	srv, err := server.New(context.Background(), cfg, testLog)
	if err != nil {
		t.Fatalf("server.New on %s: %v", dialect, err)
	}
	t.Cleanup(func() { srv.DB.Close() })
	return &App{Server: srv, DB: srv.DB, Groups: srv.Groups, Accounts: srv.Accounts, Hooks: srv.Hooks}
}

// Start serves the server's app (server.App) on a free loopback port until
// the test ends.
func (a *App) Start(t testing.TB) *App {
	t.Helper()
	a.Fiber = a.Server.App()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a.URL = fmt.Sprintf("http://%s", ln.Addr())
	ln = api.NewListener(ln, testLog) // as server.Run serves
	go func() { _ = a.Fiber.Listener(ln) }()
	t.Cleanup(func() { _ = a.Fiber.ShutdownWithTimeout(5 * time.Second) })
	return a
}
