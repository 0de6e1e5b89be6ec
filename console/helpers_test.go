package console_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/internal/testapp"
)

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see each answer.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
	csrf string // the last page's CSRF token
}

type page struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

func newBrowser(t testing.TB, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{
		Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	p := page{Status: res.StatusCode, Body: string(raw), Location: res.Header.Get("Location"), Header: res.Header}
	if m := csrfRE.FindStringSubmatch(p.Body); m != nil {
		b.csrf = html.UnescapeString(m[1])
	}
	return p
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	return b.do(req)
}

// post sends a form; the CSRF token of the last page is added unless the
// form sets csrf itself (to "" to leave it out).
func (b *browser) post(path string, form url.Values, header ...string) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, set := form["csrf"]; !set {
		form.Set("csrf", b.csrf)
	} else if form.Get("csrf") == "" {
		form.Del("csrf")
	}
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// login logs in with the default credentials.
func (b *browser) login() {
	b.t.Helper()
	b.get("/console/login")
	p := b.post("/console/login", url.Values{"username": {"admin"}, "password": {"password"}})
	if p.Status != http.StatusSeeOther || p.Location != "/console" {
		b.t.Fatalf("login: %d %q %s", p.Status, p.Location, p.Body)
	}
	if p := b.get("/console"); p.Status != 200 {
		b.t.Fatalf("overview after login: %d", p.Status)
	}
}

// fixture is a running server with a group of four users: an owner
// (superadmin), an admin, a member and a join request on a closed group.
type fixture struct {
	app                                 *testapp.App
	owner, admin, member, requester     testapp.Session
	group                               groups.Group
	ownerDev, adminDev, memberDev, rDev string
}

func newFixture(t *testing.T, dialect, dbURL string, setup ...func(*testapp.App)) *fixture {
	t.Helper()
	app := testapp.New(t, dialect, dbURL)
	for _, s := range setup {
		s(app)
	}
	app.Start(t)
	f := &fixture{app: app, ownerDev: "owner-device-0001", adminDev: "admin-device-0001",
		memberDev: "member-device-001", rDev: "request-device-01"}
	f.owner = app.Session(t, f.ownerDev)
	f.admin = app.Session(t, f.adminDev)
	f.member = app.Session(t, f.memberDev)
	f.requester = app.Session(t, f.rDev)
	ctx := context.Background()
	g, err := app.Groups.CreateGroup(ctx, groups.UserActor(f.owner.UserID, ""), groups.CreateGroupRequest{
		Name: "Night Watch", Description: "guards", Open: ptr(false), MaxCount: 10})
	if err != nil {
		t.Fatal(err)
	}
	sys := groups.SystemActor()
	must(t, app.Groups.AddUsers(ctx, sys, groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{f.admin.UserID, f.member.UserID}}))
	must(t, app.Groups.PromoteUsers(ctx, sys, groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{f.admin.UserID}}))
	must(t, app.Groups.JoinGroup(ctx, groups.UserActor(f.requester.UserID, ""), groups.JoinGroupRequest{GroupID: g.ID}))
	f.group = g
	f.group = f.groupNow(t)
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) groupNow(t testing.TB) groups.Group {
	t.Helper()
	gs, err := f.app.Groups.GetGroups(context.Background(), []string{f.group.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) == 0 {
		return groups.Group{}
	}
	return gs[0]
}

// stateOf is a user's state in the fixture's group (-1: no row).
func (f *fixture) stateOf(t testing.TB, userID string) int {
	t.Helper()
	for _, st := range []groups.State{groups.Superadmin, groups.Admin, groups.Member, groups.JoinRequest, groups.Banned} {
		list, err := f.app.Groups.ListGroupUsers(context.Background(), groups.ListGroupUsersRequest{GroupID: f.group.ID, State: &st})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range list.GroupUsers {
			if u.User.ID == userID {
				return int(u.State)
			}
		}
	}
	return -1
}

func wantStatus(t testing.TB, p page, status int) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d: %.2000s", p.Status, status, p.Body)
	}
}

func wantIn(t testing.TB, p page, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("page lacks %q: %.3000s", s, p.Body)
		}
	}
}

func wantNotIn(t testing.TB, p page, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(p.Body, s) {
			t.Fatalf("page has %q: %.3000s", s, p.Body)
		}
	}
}

// esc is text as html/template writes it.
func esc(s string) string { return html.EscapeString(s) }
