package store

import (
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestPgURL: a direct URL gets plan_cache_mode; a pooled one gets pgx's
// cache_describe mode and no startup parameter; what the URL sets itself wins.
func TestPgURL(t *testing.T) {
	for _, c := range []struct {
		in     string
		pooled bool
		want   map[string]string // query parameters; "" means absent
	}{
		{"postgres://u@h/db?sslmode=disable", false,
			map[string]string{"plan_cache_mode": "force_generic_plan", "default_query_exec_mode": "", "sslmode": "disable"}},
		{"postgres://u@h/db?plan_cache_mode=auto", false, map[string]string{"plan_cache_mode": "auto"}},
		{"postgres://u@h/db?sslmode=disable", true,
			map[string]string{"plan_cache_mode": "", "default_query_exec_mode": "cache_describe", "sslmode": "disable"}},
		{"postgres://u@h/db?default_query_exec_mode=exec", true,
			map[string]string{"plan_cache_mode": "", "default_query_exec_mode": "exec"}},
	} {
		u, err := url.Parse(pgURL(c.in, c.pooled))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range c.want {
			if got := u.Query().Get(k); got != v {
				t.Errorf("pgURL(%q, %v): %s = %q, want %q", c.in, c.pooled, k, got, v)
			}
		}
	}
}

// TestOpenRefusesBadSettings: an unknown pooler, a read URL that is not
// PostgreSQL's, and a read URL with SQLite are refused before connecting.
func TestOpenRefusesBadSettings(t *testing.T) {
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{URL: "postgres://u@127.0.0.1:1/db", Pooler: "session"}, "unknown database pooler"},
		{Options{URL: "postgres://u@127.0.0.1:1/db", ReadURL: "mysql://x"}, "must be a postgres://"},
		{Options{URL: "sqlite://" + t.TempDir() + "/g.db", ReadURL: "postgres://u@h/db"}, "needs PostgreSQL"},
	} {
		db, err := Open(c.opts)
		if err == nil {
			db.Close()
			t.Fatalf("Open(%+v) succeeded", c.opts)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%+v): %v, want %q", c.opts, err, c.want)
		}
	}
}

// TestReplicaHealth: after a failure the listings leave the replica for
// replicaRetry; then exactly one listing probes it while the others stay on
// the primary, and a success brings them all back.
func TestReplicaHealth(t *testing.T) {
	now := time.Unix(1000, 0)
	var logs strings.Builder
	r := &replica{log: slog.New(slog.NewTextHandler(&logs, nil)), now: func() time.Time { return now }}
	if !r.use() {
		t.Fatal("a healthy replica is not used")
	}
	r.failed(errors.New("connection refused"))
	r.failed(errors.New("connection refused")) // a second request of the same outage
	if n := strings.Count(logs.String(), "read replica unavailable"); n != 1 {
		t.Fatalf("%d warnings for one outage, want 1:\n%s", n, logs.String())
	}
	if r.use() {
		t.Fatal("the replica is used right after a failure")
	}
	now = now.Add(replicaRetry)
	if !r.use() {
		t.Fatal("no probe after replicaRetry")
	}
	if r.use() {
		t.Fatal("a second listing probes the replica at once")
	}
	r.worked()
	for i := 0; i < 2; i++ {
		if !r.use() {
			t.Fatal("the replica is not used after a successful probe")
		}
	}
	if !strings.Contains(logs.String(), "read replica is back") {
		t.Fatalf("no recovery line:\n%s", logs.String())
	}
}
