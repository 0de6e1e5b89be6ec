package store

import (
	"net/url"
	"strings"
	"testing"
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
