package cluster_test

import (
	"testing"
	"time"

	"github.com/guildhall/guildhall/internal/testdb"
)

// TestLogoutOnOtherNode: two guildhall processes on one PostgreSQL. Node B
// has just verified a session (and caches the answer for 2 s); the session
// is logged out through node A; B refuses it within 1 s: the logout reaches
// B's session cache through the realtime bus, not only by the cache's
// expiry. (Without the bus, e.g. while B's listener reconnects, the bound is
// the cache's 2 s.)
func TestLogoutOnOtherNode(t *testing.T) {
	url := testdb.Postgres(t)
	env := map[string]string{"GUILDHALL_DATABASE_URL": url, "GUILDHALL_LOG_LEVEL": "warn"}
	a := startNode(t, env)
	b := startNode(t, env)
	for _, all := range []bool{false, true} {
		token, _ := a.session("logout-other-node")
		keep, _ := a.session("logout-other-node") // a second session of the user
		b.ok("GET", "/v2/account", keep, "")
		b.ok("GET", "/v2/account", token, "") // B caches both
		body := `{"token":"` + token + `"}`
		if all {
			body = `{}`
		}
		a.ok("POST", "/v2/session/logout", token, body)
		loggedOut := time.Now()
		for b.do("GET", "/v2/account", token, "").Status != 401 {
			if time.Since(loggedOut) > time.Second {
				t.Fatalf("logout (all %v) on A: B still accepts the session after %v", all, time.Since(loggedOut))
			}
			time.Sleep(10 * time.Millisecond)
		}
		// A logout of one session leaves the user's other sessions alone.
		want := 200
		if all {
			want = 401
		}
		if s := b.do("GET", "/v2/account", keep, "").Status; s != want {
			t.Fatalf("logout (all %v): the other session gets %d on B, want %d", all, s, want)
		}
	}
}
