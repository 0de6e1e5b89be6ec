package console_test

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/console"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

type reasonKey struct{}

// history is a History over a fixed list, recording what it was asked.
type history struct {
	mu      sync.Mutex
	groupID string
	cursor  string
}

func (h *history) GroupHistory(ctx context.Context, groupID string, limit int, cursor string) ([]console.HistoryEntry, string, error) {
	h.mu.Lock()
	h.groupID, h.cursor = groupID, cursor
	h.mu.Unlock()
	return []console.HistoryEntry{{Time: time.Unix(1700000000, 0), Actor: "console", Action: "kick", Detail: "bob <x>", Reason: "griefing"}}, "older-page", nil
}

// TestConsoleExtensionPoints: an audit history plugged into the server
// shows on the group page, and a mutation's reason reaches the service's
// subscribers (where the audit log listens) through the context.
func TestConsoleExtensionPoints(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		h := &history{}
		var mu sync.Mutex
		var reasons []any
		f := newFixture(t, dialect, dbURL, func(a *testapp.App) {
			a.Server.Console.History = h
			a.Server.Console.WithReason = func(ctx context.Context, r string) context.Context {
				return context.WithValue(ctx, reasonKey{}, r)
			}
			a.Groups.Subscribe(func(ctx context.Context, events []groups.Event) {
				mu.Lock()
				reasons = append(reasons, ctx.Value(reasonKey{}))
				mu.Unlock()
			})
		})
		b := newBrowser(t, f.app.URL)
		b.login()
		got := b.get(f.path("/console/groups/{g}?history_cursor=abc"))
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got, `<table id="history">`, "griefing", esc("bob <x>"), "history_cursor=older-page", `name="reason"`)
		if h.groupID != f.group.ID || h.cursor != "abc" {
			t.Fatalf("history asked for %q %q", h.groupID, h.cursor)
		}
		mu.Lock()
		reasons = nil
		mu.Unlock()
		got = b.post(f.path("/console/groups/{g}/members/kick"), url.Values{"user_ids": {f.member.UserID}, "reason": {"griefing"}})
		wantStatus(t, got, http.StatusSeeOther)
		mu.Lock()
		defer mu.Unlock()
		if len(reasons) != 1 || reasons[0] != "griefing" {
			t.Fatalf("subscribers saw reasons %v, want [griefing]", reasons)
		}
	})
}

// Without the extensions, neither the history nor the reason field shows.
func TestConsoleWithoutExtensions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL, noAudit)
		b := newBrowser(t, f.app.URL)
		b.login()
		got := b.get(f.path("/console/groups/{g}"))
		wantNotIn(t, got, `id="history"`, `name="reason"`)
	})
}

// The server's console settings: its own password, or none (console off).
func TestConsoleServerSettings(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL, func(a *testapp.App) {
			a.Server.Config.ConsoleUsername, a.Server.Config.ConsolePassword = "ops", "s3cret"
		})
		b := newBrowser(t, f.app.URL)
		b.get("/console/login")
		wantStatus(t, b.post("/console/login", url.Values{"username": {"admin"}, "password": {"password"}}), http.StatusUnauthorized)
		got := b.post("/console/login", url.Values{"username": {"ops"}, "password": {"s3cret"}})
		wantStatus(t, got, http.StatusSeeOther)
		wantStatus(t, b.get("/console/groups"), http.StatusOK)

	})
}

func TestConsoleOffWithoutPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testdb.DialectSQLite, testdb.SQLite(t), func(a *testapp.App) { a.Server.Config.ConsolePassword = "" })
	b := newBrowser(t, f.app.URL)
	for _, p := range []string{"/console", "/console/login", "/console/static/console.css"} {
		if got := b.get(p); got.Status != http.StatusNotFound {
			t.Errorf("GET %s with the console off: %d, want 404", p, got.Status)
		}
	}
	wantStatus(t, b.post("/console/login", url.Values{"username": {"admin"}, "password": {""}}), http.StatusNotFound)
}

// TestConsoleAuditHistoryByDefault: a server with the audit log (the
// default) shows a group's history and the reason field in the console.
func TestConsoleAuditHistoryByDefault(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		b := newBrowser(t, f.app.URL)
		b.login()
		got := b.get(f.path("/console/groups/{g}"))
		wantIn(t, got, `id="history"`, `name="reason"`, "promote_group_users")
	})
}
