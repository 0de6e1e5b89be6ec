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

// New builds the stack without listening; register hooks on app.Hooks, then
// call Start.
func New(t testing.TB, dialect, url string) *App {
	t.Helper()
	db := OpenDB(t, dialect, url)
	a := &App{
		DB:     db,
		Groups: groups.NewService(store.NewGroups(db)),
		Accounts: accounts.New(db.Write, accounts.Config{
			EncryptionKey: accounts.DefaultEncryptionKey, RefreshEncryptionKey: accounts.DefaultRefreshEncryptionKey,
		}, accounts.WithReadDB(db.Read)),
		Hooks: hooks.New(nil),
	}
	return a
}

// Start serves the app on a free loopback port until the test ends.
func (a *App) Start(t testing.TB) *App {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a.Fiber = api.New(api.Config{ServerKey: ServerKey, HTTPKey: HTTPKey, Logger: log}, a.Groups, a.Accounts, a.Hooks)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a.URL = fmt.Sprintf("http://%s", ln.Addr())
	ln = api.NewListener(ln, log) // as server.Run serves
	go func() { _ = a.Fiber.Listener(ln) }()
	t.Cleanup(func() { _ = a.Fiber.ShutdownWithTimeout(5 * time.Second) })
	return a
}
