package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/internal/childserver"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestConsoleLogoutEndsSessionOnEveryNode: two servers on one database
// accept one console session (the cookie is signed with their shared
// settings); a logout through one ends it on the other as well.
func TestConsoleLogoutEndsSessionOnEveryNode(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		other := testapp.New(t, dialect, dbURL)
		other.Start(t)
		logoutElsewhere(t, f.app.URL, other.URL)
	})
}

// TestConsoleLogoutAcrossProcesses: the same with two guildhall processes
// on one PostgreSQL database (how nodes share a console).
func TestConsoleLogoutAcrossProcesses(t *testing.T) {
	t.Parallel()
	env := map[string]string{"GUILDHALL_DATABASE_URL": testdb.Postgres(t), "GUILDHALL_LOG_LEVEL": "warn"}
	a := childserver.Start(t, childserver.Options{Env: env})
	b := childserver.Start(t, childserver.Options{Env: env}) // after A: A has migrated
	logoutElsewhere(t, a.URL, b.URL)
	a.RequireAlive(t)
	b.RequireAlive(t)
}

// logoutElsewhere logs in on node A, uses the session on node B, logs out
// on A, and expects B to refuse the session at once (pages and mutations).
func logoutElsewhere(t *testing.T, nodeA, nodeB string) {
	t.Helper()
	a := newBrowser(t, nodeA)
	a.login()
	au, _ := url.Parse(nodeA + "/console")
	cookies := a.c.Jar.Cookies(au)
	b := newBrowser(t, nodeB)
	bu, _ := url.Parse(nodeB + "/console")
	b.c.Jar.SetCookies(bu, cookies)
	step(t, "A's session used on B", b.get("/console/groups"), http.StatusOK)
	keep := b.csrf

	// A second session stays valid: only the one logged out ends.
	a2 := newBrowser(t, nodeA)
	a2.login()
	b2 := newBrowser(t, nodeB)
	b2.c.Jar.SetCookies(bu, a2.c.Jar.Cookies(au))

	got := a.post("/console/logout", nil)
	if got.Status != http.StatusSeeOther || got.Location != "/console/login" {
		t.Fatalf("logout on A: %d %q %s", got.Status, got.Location, got.Body)
	}
	if got := b.get("/console/groups"); got.Status != http.StatusSeeOther || !strings.HasPrefix(got.Location, "/console/login") {
		t.Fatalf("the session on B after the logout on A: %d %q", got.Status, got.Location)
	}
	wantStatus(t, b.post("/console/rpc", url.Values{"csrf": {keep}, "id": {"x"}}), http.StatusUnauthorized)
	// And A refuses a replay of the cookie too.
	replay := newBrowser(t, nodeA)
	replay.c.Jar.SetCookies(au, cookies)
	wantStatus(t, replay.get("/console/groups"), http.StatusSeeOther)

	step(t, "a second session on B after the logout of the first", b2.get("/console/groups"), http.StatusOK)
	step(t, "a second session on A after the logout of the first", a2.get("/console/groups"), http.StatusOK)
}

// step is wantStatus naming the step (logoutElsewhere's checks share one
// caller line).
func step(t *testing.T, what string, p page, status int) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("%s: status %d (location %q), want %d: %.500s", what, p.Status, p.Location, status, p.Body)
	}
}
