package api_test

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/server"
)

// quietLog shows warnings and errors only (as testapp's servers log).
var quietLog = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// startEdited is start with the server configuration edited first (rate
// limits, trusted proxies).
func startEdited(t *testing.T, dialect, url string, edit func(*server.Config)) *env {
	t.Helper()
	cfg := testapp.Config(dialect, url)
	edit(&cfg)
	srv, err := server.New(context.Background(), cfg, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.DB.Close() })
	app := &testapp.App{Server: srv, DB: srv.DB, Groups: srv.Groups, Accounts: srv.Accounts, Hooks: srv.Hooks}
	app.Start(t)
	e := &env{t: t, app: app, hooks: &hookLog{reject: map[string]bool{}}, users: map[string]*user{},
		ids: map[string]string{"unknown": uuid.NewString()}}
	e.waitReady()
	return e
}

// authDevice authenticates a fresh device with extra headers.
func (e *env) authDevice(headers map[string]string) resp {
	e.t.Helper()
	return e.doWith("POST", "/v2/account/authenticate/device", serverKey,
		`{"id":"device-`+uuid.NewString()+`"}`, headers)
}

// wantTooMany checks a 429 answer: Nakama's error shape with code 8 and a
// Retry-After of whole seconds, at least 1.
func wantTooMany(t *testing.T, r resp) {
	t.Helper()
	if r.status != 429 || string(r.raw) != `{"code":8,"message":"Too many requests."}` {
		t.Fatalf("want 429 code 8, got %d %s", r.status, r.raw)
	}
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q, want whole seconds ≥ 1", r.header.Get("Retry-After"))
	}
}

// TestAuthRateLimit: with the default limits, a burst of 100 authenticate
// calls from one IP gets 429s past the burst (with Retry-After), and a
// refused call creates no account; the calls that pass are at most the burst
// plus what the rate refilled meanwhile.
func TestAuthRateLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := startEdited(t, dialect, url, func(c *server.Config) {
			d := server.DefaultConfig()
			c.RateLimitAuthRate, c.RateLimitAuthBurst = d.RateLimitAuthRate, d.RateLimitAuthBurst
		})
		def := server.DefaultConfig()
		before := e.sqlInt(t, "SELECT COUNT(*) FROM users")
		start := time.Now()
		ok, limited := 0, 0
		for i := range 100 {
			r := e.authDevice(nil)
			switch r.status {
			case 200:
				ok++
				if limited > 0 {
					continue // refilled meanwhile
				}
			case 429:
				wantTooMany(t, r)
				limited++
			default:
				t.Fatalf("call %d: %d %s", i, r.status, r.raw)
			}
		}
		elapsed := time.Since(start).Seconds()
		if ok < def.RateLimitAuthBurst || limited == 0 {
			t.Fatalf("%d passed and %d were limited; want the burst of %d to pass, then 429s", ok, limited, def.RateLimitAuthBurst)
		}
		if most := def.RateLimitAuthBurst + int(def.RateLimitAuthRate*elapsed) + 1; ok > most {
			t.Fatalf("%d passed in %.2fs, more than burst+rate allow (%d)", ok, elapsed, most)
		}
		if created := e.sqlInt(t, "SELECT COUNT(*) FROM users") - before; created != ok {
			t.Fatalf("%d accounts created by %d successful calls: a limited call wrote", created, ok)
		}
		// The limit is on the authenticate routes only: a session's routes still answer.
		sess, err := e.app.Accounts.AuthenticateDevice(context.Background(), accounts.AuthRequest{ID: "device-direct-" + uuid.NewString()})
		if err != nil {
			t.Fatal(err)
		}
		r := e.doWith("GET", "/v2/group?limit=1", noAuth, "", map[string]string{"Authorization": "Bearer " + sess.Token})
		if r.status != 200 {
			t.Fatalf("listing while authenticate is limited: %d %s", r.status, r.raw)
		}
	})
}

// TestTrustedProxies: X-Forwarded-For is ignored unless the peer is a
// trusted proxy; then the client is the rightmost address that is not a
// trusted proxy, so what a client writes to the left of it cannot dodge the
// limit.
func TestTrustedProxies(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		limit := func(c *server.Config) { c.RateLimitAuthRate, c.RateLimitAuthBurst = 0.01, 2 }
		// Not trusted (the default): three "different" clients share 127.0.0.1's bucket.
		plain := startEdited(t, dialect, url, limit)
		for i, xff := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"} {
			r := plain.authDevice(map[string]string{"X-Forwarded-For": xff})
			if i < 2 && r.status != 200 {
				t.Fatalf("call %d: %d %s", i, r.status, r.raw)
			}
			if i == 2 {
				wantTooMany(t, r)
			}
		}
		// 127.0.0.1 trusted: each forwarded client has its own bucket.
		proxied := startEdited(t, dialect, url, func(c *server.Config) {
			limit(c)
			c.HTTPTrustedProxies = []string{"10.0.0.0/8", "127.0.0.1"}
		})
		for _, xff := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3", "10.1.2.3, 198.51.100.4"} {
			if r := proxied.authDevice(map[string]string{"X-Forwarded-For": xff}); r.status != 200 {
				t.Fatalf("client %s: %d %s", xff, r.status, r.raw)
			}
		}
		// One client through two trusted hops, then spoofing a left part: all
		// the same client 203.0.113.9.
		for i, xff := range []string{"203.0.113.9", "203.0.113.9, 10.9.9.9", "1.2.3.4, 203.0.113.9"} {
			r := proxied.authDevice(map[string]string{"X-Forwarded-For": xff})
			if i < 2 && r.status != 200 {
				t.Fatalf("call %d (%s): %d %s", i, xff, r.status, r.raw)
			}
			if i == 2 {
				wantTooMany(t, r)
			}
		}
	})
}

// TestGroupRateLimit: group mutations are limited per user (429 with
// Retry-After, nothing written); another user and the same user's reads are
// not.
func TestGroupRateLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := startEdited(t, dialect, url, func(c *server.Config) {
			c.RateLimitGroupRate, c.RateLimitGroupBurst = 0.01, 3
		})
		e.addUsers("alice", "bob")
		for i := range 3 {
			if r := e.do("POST", "/v2/group", as("alice"), `{"name":"limited-`+strconv.Itoa(i)+`"}`); r.status != 200 {
				t.Fatalf("create %d: %d %s", i, r.status, r.raw)
			}
		}
		groups := e.sqlInt(t, "SELECT COUNT(*) FROM groups")
		wantTooMany(t, e.do("POST", "/v2/group", as("alice"), `{"name":"limited-3"}`))
		id := uuid.NewString()
		wantTooMany(t, e.do("POST", "/v2/group/"+id+"/join", as("alice"), ""))
		wantTooMany(t, e.do("DELETE", "/v2/group/"+id, as("alice"), ""))
		if n := e.sqlInt(t, "SELECT COUNT(*) FROM groups"); n != groups {
			t.Fatalf("a limited create wrote: %d groups, want %d", n, groups)
		}
		if r := e.do("GET", "/v2/group?limit=10", as("alice"), ""); r.status != 200 {
			t.Fatalf("alice's listing: %d %s", r.status, r.raw)
		}
		if r := e.do("POST", "/v2/group", as("bob"), `{"name":"bobs"}`); r.status != 200 {
			t.Fatalf("bob's create: %d %s", r.status, r.raw)
		}
		if r := e.do("POST", "/v2/server/group", httpKey, `{"user_id":"`+e.users["alice"].id+`","name":"by-the-server"}`); r.status != 200 {
			t.Fatalf("server API create for alice: %d %s", r.status, r.raw)
		}
	})
}
