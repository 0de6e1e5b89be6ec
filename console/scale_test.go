package console_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// seedGroups inserts n groups owned by owner, each with its owner as
// superadmin and every tenth with a join request of requester, in batches
// (the service's one transaction per group would take minutes).
func seedGroups(t *testing.T, app *testapp.App, n int, owner, requester string) {
	t.Helper()
	now := time.Now().UnixMicro()
	const batch = 500
	for start := 0; start < n; start += batch {
		var gs, ms []string
		var gargs, margs []any
		for i := start; i < start+batch && i < n; i++ {
			id := uuid.NewString()
			name := fmt.Sprintf("Guild %05d", i)
			gs = append(gs, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			gargs = append(gargs, id, owner, name, strings.ToLower(name), []string{"en", "fr", "de"}[i%3], i%2 == 0, 1, 50, now+int64(i), now+int64(i))
			ms = append(ms, "(?, ?, 0, ?, ?)")
			margs = append(margs, id, owner, int64(i), now)
			if i%10 == 0 {
				ms = append(ms, "(?, ?, 3, ?, ?)")
				margs = append(margs, id, requester, int64(i)+1, now)
			}
		}
		must(t, app.DB.Write.Exec("INSERT INTO groups (id, creator_id, name, name_key, lang_tag, open, edge_count, max_count, create_time, update_time) VALUES "+
			strings.Join(gs, ", "), gargs...).Error)
		must(t, app.DB.Write.Exec("INSERT INTO group_members (group_id, user_id, state, position, update_time) VALUES "+
			strings.Join(ms, ", "), margs...).Error)
	}
}

// TestConsoleTenThousandGroups: every page pages and counts cheaply, so it
// answers quickly with 10,000 groups. The bound is loose (a shared test
// machine); the timings are logged (go test -v) for docs.
func TestConsoleTenThousandGroups(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		seedGroups(t, f.app, 10_000, f.owner.UserID, f.requester.UserID)
		b := newBrowser(t, f.app.URL)
		b.login()
		pages := []string{"/console", "/console/groups", "/console/groups?q=guild%2005",
			"/console/groups?open=true&lang_tag=fr", "/console/groups?members=10", f.path("/console/groups/{g}"),
			"/console/users?q=" + f.ownerDev, "/console/users/" + f.owner.UserID}
		for _, p := range pages {
			b.get(p) // warm the statement caches
			best := time.Hour
			for i := 0; i < 3; i++ {
				start := time.Now()
				got := b.get(p)
				if d := time.Since(start); d < best {
					best = d
				}
				wantStatus(t, got, http.StatusOK)
			}
			t.Logf("%s: %v", p, best)
			if best > time.Second {
				t.Errorf("%s took %v with 10,000 groups", p, best)
			}
		}
		got := b.get("/console")
		wantIn(t, got, `id="count-groups">10001<`, `id="count-requests">1001<`)
		got = b.get("/console/groups?q=guild%2005")
		if n := strings.Count(got.Body, `<a href="/console/groups/`); n != 25 {
			t.Fatalf("a page of groups has %d rows, want 25", n)
		}
	})
}
