package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// pages and mutations of the console, with {g} for the fixture's group and
// {u} for the member's user id.
var (
	consolePages = []string{"/console", "/console/", "/console/groups", "/console/groups?q=night",
		"/console/groups/{g}", "/console/groups/{g}/members?state=2", "/console/users?q=x", "/console/users/{u}", "/console/rpc"}
	consoleMutations = []string{"/console/logout", "/console/groups/{g}/members/kick", "/console/groups/{g}/members/add",
		"/console/groups/{g}/members/ban", "/console/groups/{g}/members/unban", "/console/groups/{g}/members/promote",
		"/console/groups/{g}/members/demote", "/console/groups/{g}/edit", "/console/groups/{g}/metadata",
		"/console/groups/{g}/delete", "/console/rpc"}
)

func (f *fixture) path(p string) string {
	return strings.NewReplacer("{g}", f.group.ID, "{u}", f.member.UserID).Replace(p)
}

// memberForm is a mutation form that, were it to reach the service, would
// change the group: kick the member, etc.
func (f *fixture) memberForm() url.Values {
	return url.Values{"user_ids": {f.member.UserID}, "name": {"Renamed"}, "max_count": {"50"},
		"metadata": {`{"x":1}`}, "confirm_name": {f.group.Name}, "id": {"echo"}}
}

func TestConsoleNeedsLogin(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		b := newBrowser(t, f.app.URL)
		for _, p := range consolePages {
			got := b.get(f.path(p))
			if got.Status != http.StatusSeeOther || !strings.HasPrefix(got.Location, "/console/login?next=") {
				t.Errorf("GET %s without login: %d %q, want a redirect to the login page", p, got.Status, got.Location)
			}
		}
		// An htmx request is told where to go instead.
		req, _ := http.NewRequest("GET", f.app.URL+f.path("/console/groups/{g}/members"), nil)
		req.Header.Set("HX-Request", "true")
		if got := b.do(req); got.Status != http.StatusUnauthorized || got.Header.Get("HX-Redirect") != "/console/login" {
			t.Errorf("htmx GET without login: %d %q", got.Status, got.Header.Get("HX-Redirect"))
		}
		for _, p := range consoleMutations {
			got := b.post(f.path(p), f.memberForm())
			if got.Status != http.StatusUnauthorized {
				t.Errorf("POST %s without login: %d, want 401", p, got.Status)
			}
		}
		// A forged cookie is no session.
		u, _ := url.Parse(f.app.URL + "/console")
		b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "guildhall_console", Value: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAA", Path: "/console"}})
		if got := b.get("/console/groups"); got.Status != http.StatusSeeOther {
			t.Errorf("forged cookie: %d", got.Status)
		}
		if got := f.stateOf(t, f.member.UserID); got != int(groups.Member) {
			t.Fatalf("a refused request changed the member's state to %d", got)
		}
		if g := f.groupNow(t); g.Name != "Night Watch" {
			t.Fatalf("a refused request renamed the group to %q", g.Name)
		}
	})
}

func TestConsoleMutationsNeedCSRFToken(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		b := newBrowser(t, f.app.URL)
		b.login()
		for _, p := range consoleMutations {
			form := f.memberForm()
			form.Set("csrf", "") // left out
			if got := b.post(f.path(p), form); got.Status != http.StatusForbidden {
				t.Errorf("POST %s without a CSRF token: %d, want 403", p, got.Status)
			}
			form.Set("csrf", "not-the-token")
			if got := b.post(f.path(p), form); got.Status != http.StatusForbidden {
				t.Errorf("POST %s with a wrong CSRF token: %d, want 403", p, got.Status)
			}
		}
		// Another session's token does not do either.
		other := newBrowser(t, f.app.URL)
		other.login()
		form := f.memberForm()
		form.Set("csrf", other.csrf)
		if got := b.post(f.path("/console/groups/{g}/members/kick"), form); got.Status != http.StatusForbidden {
			t.Errorf("another session's CSRF token: %d, want 403", got.Status)
		}
		if got := f.stateOf(t, f.member.UserID); got != int(groups.Member) {
			t.Fatalf("a refused request changed the member's state to %d", got)
		}
		if g := f.groupNow(t); g.Name != "Night Watch" || g.Metadata != "{}" {
			t.Fatalf("a refused request changed the group: %+v", g)
		}
		// The header works as well as the form field (htmx may send either).
		got := b.post(f.path("/console/groups/{g}/members/kick"), url.Values{"csrf": {""}, "user_ids": {f.member.UserID}},
			"X-CSRF-Token", b.csrf, "HX-Request", "true")
		wantStatus(t, got, http.StatusOK)
		if st := f.stateOf(t, f.member.UserID); st != -1 {
			t.Fatalf("kick with the header token: state %d", st)
		}
	})
}

func TestConsoleLogin(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		b := newBrowser(t, f.app.URL)
		b.get("/console/login")
		got := b.post("/console/login", url.Values{"username": {"admin"}, "password": {"wrong"}})
		wantStatus(t, got, http.StatusUnauthorized)
		wantIn(t, got, "Wrong username or password.")
		got = b.post("/console/login", url.Values{"username": {"root"}, "password": {"password"}})
		wantStatus(t, got, http.StatusUnauthorized)
		// The login form's own token (double submit) is required.
		got = b.post("/console/login", url.Values{"username": {"admin"}, "password": {"password"}, "csrf": {"forged"}})
		wantStatus(t, got, http.StatusForbidden)

		b.get("/console/login?next=/console/groups")
		got = b.post("/console/login", url.Values{"username": {"admin"}, "password": {"password"}, "next": {"/console/groups"}})
		if got.Status != http.StatusSeeOther || got.Location != "/console/groups" {
			t.Fatalf("login: %d %q", got.Status, got.Location)
		}
		var cookie string
		for _, c := range got.Header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "guildhall_console=") {
				cookie = c
			}
		}
		for _, attr := range []string{"HttpOnly", "SameSite=Strict", "path=/console"} {
			if !strings.Contains(cookie, attr) {
				t.Errorf("session cookie %q lacks %s", cookie, attr)
			}
		}
		// next= never leaves the console.
		b2 := newBrowser(t, f.app.URL)
		b2.get("/console/login")
		got = b2.post("/console/login", url.Values{"username": {"admin"}, "password": {"password"}, "next": {"//evil.example/console"}})
		if got.Location != "/console" {
			t.Errorf("next=//evil.example: redirected to %q", got.Location)
		}

		// Logout ends the session, even for a copy of the cookie.
		u, _ := url.Parse(f.app.URL + "/console")
		saved := b.c.Jar.Cookies(u)
		wantStatus(t, b.get("/console/groups"), http.StatusOK)
		got = b.post("/console/logout", nil)
		if got.Status != http.StatusSeeOther || got.Location != "/console/login" {
			t.Fatalf("logout: %d %q", got.Status, got.Location)
		}
		wantStatus(t, b.get("/console/groups"), http.StatusSeeOther)
		replay := newBrowser(t, f.app.URL)
		replay.c.Jar.SetCookies(u, saved)
		wantStatus(t, replay.get("/console/groups"), http.StatusSeeOther)
	})
}

func TestConsoleLoginRateLimited(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		b := newBrowser(t, f.app.URL)
		b.get("/console/login")
		// Ten attempts pass, then the bucket is empty; it regains one every
		// 6 s, so a slow machine may see a few more pass, never fewer.
		limited := false
		for i := 0; i < 30 && !limited; i++ {
			got := b.post("/console/login", url.Values{"username": {"admin"}, "password": {fmt.Sprint("guess", i)}})
			switch got.Status {
			case http.StatusUnauthorized:
			case http.StatusTooManyRequests:
				limited = true
				if i < 10 {
					t.Fatalf("limited after %d attempts, want 10 allowed", i)
				}
				if got.Header.Get("Retry-After") == "" {
					t.Error("429 without Retry-After")
				}
				wantIn(t, got, "Too many login attempts")
			default:
				t.Fatalf("attempt %d: status %d", i, got.Status)
			}
		}
		if !limited {
			t.Fatal("30 wrong passwords in a row were not limited")
		}
		// While limited, even the right password is refused.
		got := b.post("/console/login", url.Values{"username": {"admin"}, "password": {"password"}})
		wantStatus(t, got, http.StatusTooManyRequests)
	})
}

func TestConsoleGroupsPage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		ctx := context.Background()
		for i := 0; i < 30; i++ {
			_, err := f.app.Groups.CreateGroup(ctx, groups.SystemActor(), groups.CreateGroupRequest{
				OwnerID: f.member.UserID, Name: fmt.Sprintf("Alpha %02d", i), Open: ptr(i%2 == 0), LangTag: "fr"})
			must(t, err)
		}
		b := newBrowser(t, f.app.URL)
		b.login()

		got := b.get("/console/groups?q=night")
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got, ">Night Watch</a>", "3 / 10", "closed", f.group.ID)
		wantNotIn(t, got, "Alpha 00")

		got = b.get("/console/groups?q=" + f.group.ID)
		wantIn(t, got, ">Night Watch</a>")
		wantNotIn(t, got, "Alpha")

		// A name prefix pages 25 at a time.
		got = b.get("/console/groups?q=alpha")
		wantIn(t, got, "Alpha 00", "Alpha 24", `id="next-page"`)
		wantNotIn(t, got, "Alpha 25", "Night Watch")
		next := between(got.Body, `<a href="/console/groups?`, `" id="next-page"`)
		got = b.get("/console/groups?" + strings.ReplaceAll(next, "&amp;", "&"))
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got, "Alpha 25", "Alpha 29")
		wantNotIn(t, got, "Alpha 24", `id="next-page"`)

		// ListGroups' filters.
		got = b.get("/console/groups?open=true&lang_tag=fr")
		wantIn(t, got, "Alpha 00", "Alpha 28")
		wantNotIn(t, got, "Alpha 01", "Night Watch")
		got = b.get("/console/groups?open=false")
		wantIn(t, got, "Night Watch")
		wantNotIn(t, got, "Alpha 00")

		// What ListGroups refuses is refused with its message.
		_, want := f.app.Groups.ListGroups(ctx, groups.ListGroupsRequest{Name: "night%", LangTag: "en"})
		got = b.get("/console/groups?q=night&lang_tag=en")
		wantStatus(t, got, http.StatusBadRequest)
		wantIn(t, got, esc(errMsg(t, want)))
		got = b.get("/console/groups?cursor=garbage")
		wantStatus(t, got, http.StatusBadRequest)
		wantIn(t, got, "Malformed cursor was used.")
	})
}

func errMsg(t testing.TB, err error) string {
	t.Helper()
	e, ok := errs.AsError(err)
	if !ok {
		t.Fatalf("want a coded error, got %v", err)
	}
	return e.Message
}

func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	j := strings.Index(s, b)
	if j < 0 {
		return ""
	}
	return s[:j]
}

func TestConsoleGroupPage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		// Without the audit history, whose entries name the members too.
		f := newFixture(t, dialect, dbURL, noAudit)
		b := newBrowser(t, f.app.URL)
		b.login()
		got := b.get(f.path("/console/groups/{g}"))
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got, f.group.ID, "Night Watch", "guards", f.group.CreatorID, "3 / 10", "closed (join requests)", "{}",
			f.owner.UserID, f.admin.UserID, f.member.UserID, f.requester.UserID, "superadmin", "join request")
		// By state, with the member list alone for htmx.
		got = b.get(f.path("/console/groups/{g}/members?state=3"))
		wantIn(t, got, f.requester.UserID, "<html")
		wantNotIn(t, got, f.member.UserID)
		req, _ := http.NewRequest("GET", f.app.URL+f.path("/console/groups/{g}/members?state=1"), nil)
		req.Header.Set("HX-Request", "true")
		got = b.do(req)
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got, `<section id="members">`, f.admin.UserID)
		wantNotIn(t, got, "<html", f.member.UserID)

		got = b.get("/console/groups/00000000-0000-4000-8000-000000000000")
		wantStatus(t, got, http.StatusNotFound)
		wantIn(t, got, "Group not found.")
		got = b.get("/console/groups/not-an-id")
		wantStatus(t, got, http.StatusBadRequest)
	})
}

func TestConsoleMemberPaging(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		ctx := context.Background()
		must(t, f.app.Groups.UpdateGroup(ctx, groups.SystemActor(), groups.UpdateGroupRequest{GroupID: f.group.ID, MaxCount: ptr(100)}))
		ids := testapp.CreateUsers(t, f.app.DB, 30)
		must(t, f.app.Groups.AddUsers(ctx, groups.SystemActor(), groups.GroupUsersRequest{GroupID: f.group.ID, UserIDs: ids}))
		b := newBrowser(t, f.app.URL)
		b.login()
		got := b.get(f.path("/console/groups/{g}?state=2"))
		if n := strings.Count(got.Body, `<tr data-user=`); n != 25 {
			t.Fatalf("first page: %d rows, want 25", n)
		}
		next := regexp.MustCompile(`href="([^"]*)"[^>]*id="members-next"`).FindStringSubmatch(got.Body)
		if next == nil {
			t.Fatal("no next page link")
		}
		got = b.get(strings.ReplaceAll(next[1], "&amp;", "&"))
		wantStatus(t, got, http.StatusOK)
		if n := strings.Count(got.Body, `<tr data-user=`); n != 6 { // 31 members in all
			t.Fatalf("second page: %d rows, want 6", n)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestConsoleMemberActions runs every member action through the console,
// with and without htmx, and checks the service did it; then refusals show
// the service's own message.
func TestConsoleMemberActions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		b := newBrowser(t, f.app.URL)
		b.login()
		b.get(f.path("/console/groups/{g}"))
		act := func(action, userID string, htmx bool) page {
			t.Helper()
			form := url.Values{"user_ids": {userID}}
			if htmx {
				return b.post(f.path("/console/groups/{g}/members/"+action), form, "HX-Request", "true")
			}
			return b.post(f.path("/console/groups/{g}/members/"+action), form)
		}
		steps := []struct {
			action string
			user   string
			want   int
		}{
			{"promote", f.member.UserID, int(groups.Admin)},
			{"demote", f.member.UserID, int(groups.Member)},
			{"add", f.requester.UserID, int(groups.Member)},
			{"ban", f.requester.UserID, int(groups.Banned)},
			{"unban", f.requester.UserID, -1},
			{"kick", f.member.UserID, -1},
			{"add", f.member.UserID, int(groups.Member)},
		}
		for i, s := range steps {
			htmx := i%2 == 0
			got := act(s.action, s.user, htmx)
			if htmx {
				wantStatus(t, got, http.StatusOK)
				wantIn(t, got, `<section id="members">`, `id="group-count" hx-swap-oob="true"`)
				wantNotIn(t, got, "<html")
			} else if got.Status != http.StatusSeeOther || !strings.Contains(got.Location, "?ok="+s.action) {
				t.Fatalf("%s: %d %q", s.action, got.Status, got.Location)
			}
			if st := f.stateOf(t, s.user); st != s.want {
				t.Fatalf("after %s: state %d, want %d", s.action, st, s.want)
			}
		}
		// The kicked member disappears from the list htmx gets back.
		got := act("kick", f.member.UserID, true)
		wantIn(t, got, "Kicked.")
		wantNotIn(t, got, f.member.UserID)

		// Refusals: an unknown user cannot be added, a malformed id is
		// refused, a full group takes nobody; each as the service words it,
		// with its status.
		sys := groups.SystemActor()
		ctx := context.Background()
		for i, tc := range []struct{ action, user string }{
			{"add", "00000000-0000-4000-8000-000000000001"},
			{"kick", "not-a-user-id"},
			{"add", f.requester.UserID},
		} {
			if i == 2 {
				must(t, f.app.Groups.JoinGroup(ctx, groups.UserActor(f.requester.UserID, ""), groups.JoinGroupRequest{GroupID: f.group.ID}))
				must(t, f.app.Groups.UpdateGroup(ctx, sys, groups.UpdateGroupRequest{GroupID: f.group.ID, MaxCount: ptr(f.groupNow(t).EdgeCount)}))
			}
			run := map[string]func(context.Context, groups.Actor, groups.GroupUsersRequest) error{
				"add": f.app.Groups.AddUsers, "kick": f.app.Groups.KickUsers}[tc.action]
			want := run(ctx, sys, groups.GroupUsersRequest{GroupID: f.group.ID, UserIDs: []string{tc.user}})
			if want == nil {
				t.Fatalf("%s %s: the service allowed it", tc.action, tc.user)
			}
			for _, htmx := range []bool{true, false} {
				got := act(tc.action, tc.user, htmx)
				if got.Status < 400 {
					t.Fatalf("%s %s (htmx %v): status %d", tc.action, tc.user, htmx, got.Status)
				}
				wantIn(t, got, esc(errMsg(t, want)))
			}
		}
		if st := f.stateOf(t, f.owner.UserID); st != int(groups.Superadmin) {
			t.Fatalf("owner state %d", st)
		}
		got = b.post(f.path("/console/groups/{g}/members/kick"), url.Values{"user_ids": {""}})
		wantStatus(t, got, http.StatusBadRequest)
		got = b.post(f.path("/console/groups/{g}/members/explode"), url.Values{"user_ids": {f.owner.UserID}})
		wantStatus(t, got, http.StatusNotFound)
	})
}

func TestConsoleEditGroup(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		ctx := context.Background()
		_, err := f.app.Groups.CreateGroup(ctx, groups.SystemActor(), groups.CreateGroupRequest{OwnerID: f.member.UserID, Name: "Taken"})
		must(t, err)
		b := newBrowser(t, f.app.URL)
		b.login()
		b.get(f.path("/console/groups/{g}"))
		form := func(name, maxCount string, open bool) url.Values {
			v := url.Values{"name": {name}, "description": {"new words"}, "lang_tag": {"de"}, "avatar_url": {"https://a/b.png"}, "max_count": {maxCount}}
			if open {
				v.Set("open", "true")
			}
			return v
		}
		got := b.post(f.path("/console/groups/{g}/edit"), form("Day Watch", "20", true))
		if got.Status != http.StatusSeeOther {
			t.Fatalf("edit: %d %s", got.Status, got.Body)
		}
		g := f.groupNow(t)
		if g.Name != "Day Watch" || g.Description != "new words" || g.LangTag != "de" || g.AvatarURL != "https://a/b.png" || !g.Open || g.MaxCount != 20 {
			t.Fatalf("after edit: %+v", g)
		}
		wantIn(t, b.get(f.path("/console/groups/{g}?ok=edit")), "Group saved.", "Day Watch")

		// Below the member count, a taken name: the service's refusals.
		want := f.app.Groups.UpdateGroup(ctx, groups.SystemActor(), groups.UpdateGroupRequest{GroupID: g.ID, MaxCount: ptr(2)})
		got = b.post(f.path("/console/groups/{g}/edit"), form("Day Watch", "2", true))
		wantStatus(t, got, http.StatusBadRequest)
		wantIn(t, got, esc(errMsg(t, want)), `value="2"`, `id="edit-error"`)
		want = f.app.Groups.UpdateGroup(ctx, groups.SystemActor(), groups.UpdateGroupRequest{GroupID: g.ID, Name: ptr("taken")})
		got = b.post(f.path("/console/groups/{g}/edit"), form("taken", "20", true))
		wantStatus(t, got, http.StatusBadRequest)
		wantIn(t, got, esc(errMsg(t, want)))
		got = b.post(f.path("/console/groups/{g}/edit"), form("Day Watch", "lots", true))
		wantStatus(t, got, http.StatusBadRequest)
		wantIn(t, got, "Max count must be a whole number.")
		if g2 := f.groupNow(t); g2.MaxCount != 20 || g2.Name != "Day Watch" {
			t.Fatalf("a refused edit changed the group: %+v", g2)
		}
	})
}

func TestConsoleEditMetadata(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		b := newBrowser(t, f.app.URL)
		b.login()
		b.get(f.path("/console/groups/{g}"))
		got := b.post(f.path("/console/groups/{g}/metadata"), url.Values{"metadata": {"{\n  \"tier\": gold\n}"}})
		wantStatus(t, got, http.StatusBadRequest)
		wantIn(t, got, "Invalid JSON at line 2, column 11", esc(`"tier": gold`), `id="metadata-error"`)
		// JSON that is not an object: the service's refusal.
		want := f.app.Groups.UpdateGroup(context.Background(), groups.SystemActor(), groups.UpdateGroupRequest{GroupID: f.group.ID, Metadata: ptr("[1]")})
		got = b.post(f.path("/console/groups/{g}/metadata"), url.Values{"metadata": {"[1]"}})
		wantStatus(t, got, http.StatusBadRequest)
		wantIn(t, got, esc(errMsg(t, want)))
		if g := f.groupNow(t); g.Metadata != "{}" {
			t.Fatalf("refused metadata stored: %q", g.Metadata)
		}
		got = b.post(f.path("/console/groups/{g}/metadata"), url.Values{"metadata": {`{"tier": "gold", "n": 12345678901234567890}`}})
		wantStatus(t, got, http.StatusSeeOther)
		if g := f.groupNow(t); g.Metadata != `{"tier": "gold", "n": 12345678901234567890}` {
			t.Fatalf("metadata: %q", g.Metadata)
		}
		// Shown indented, numbers as written.
		wantIn(t, b.get(f.path("/console/groups/{g}?ok=metadata")), "Metadata saved.", "12345678901234567890", esc(`  "tier": "gold"`))
	})
}

func TestConsoleDeleteGroup(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		b := newBrowser(t, f.app.URL)
		b.login()
		b.get(f.path("/console/groups/{g}"))
		got := b.post(f.path("/console/groups/{g}/delete"), url.Values{"confirm_name": {"night watch"}})
		wantStatus(t, got, http.StatusBadRequest)
		wantIn(t, got, "Type the group&#39;s name exactly", `id="delete-error"`)
		if f.groupNow(t).ID == "" {
			t.Fatal("deleted without the exact name")
		}
		got = b.post(f.path("/console/groups/{g}/delete"), url.Values{"confirm_name": {"Night Watch"}})
		if got.Status != http.StatusSeeOther || got.Location != "/console/groups?ok=deleted" {
			t.Fatalf("delete: %d %q", got.Status, got.Location)
		}
		if f.groupNow(t).ID != "" {
			t.Fatal("group still there")
		}
		wantIn(t, b.get("/console/groups?ok=deleted"), "Group deleted.")
		got = b.post(f.path("/console/groups/{g}/delete"), url.Values{"confirm_name": {"Night Watch"}})
		wantStatus(t, got, http.StatusNotFound)
		wantIn(t, got, "Group not found.")
	})
}

// counters is a Counters whose totals grow by 100 requests and 5 errors
// per reading: over any window the error rate is 5 %.
type counters struct{ n atomic.Uint64 }

func (c *counters) RequestTotals() (uint64, uint64) {
	n := c.n.Add(1)
	return 100 * n, 5 * n
}

func TestConsoleOverview(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		var cn counters
		f := newFixture(t, dialect, dbURL, func(a *testapp.App) {
			a.Server.Console.Counters = &cn
			a.Hooks.RegisterRPC("echo", func(ctx context.Context, c *hooks.Caller, payload string) (string, error) { return payload, nil })
			hooks.KickGroupUsers.Before(a.Hooks, func(ctx context.Context, c *hooks.Caller, r *groups.GroupUsersRequest) (*groups.GroupUsersRequest, error) {
				return r, nil
			})
		})
		b := newBrowser(t, f.app.URL)
		b.login()
		got := b.get("/console")
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got,
			`id="count-users">4<`, `id="count-groups">1<`, `id="count-members">3<`, `id="count-requests">1<`,
			"<code>echo</code>", "KickGroupUsers", "1 of ", "requests/s", "5.00 %", `id="db-kind">`+dialect)
		if dialect == testdb.DialectPostgres {
			wantIn(t, got, "PostgreSQL")
		} else {
			wantIn(t, got, "SQLite 3.")
		}
	})
}

func TestConsoleOverviewWithoutCounters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		// A server without metrics (--metrics.listen "") has no counters.
		f := newFixture(t, dialect, dbURL, func(a *testapp.App) { a.Server.Metrics = nil })
		b := newBrowser(t, f.app.URL)
		b.login()
		got := b.get("/console")
		wantIn(t, got, "Request counters are not available", "No RPCs registered.")
	})
}

func TestConsoleUsers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		b := newBrowser(t, f.app.URL)
		b.login()
		acc, err := f.app.Accounts.GetAccount(context.Background(), f.owner.UserID)
		must(t, err)
		for q, by := range map[string]string{
			f.owner.UserID: "id", acc.User.Username: "username", f.ownerDev: "device id", strings.ToUpper(acc.User.Username): "username",
		} {
			got := b.get("/console/users?q=" + url.QueryEscape(q))
			wantStatus(t, got, http.StatusOK)
			wantIn(t, got, `<a href="/console/users/`+f.owner.UserID+`">`, "<td>"+by+"</td>")
		}
		got := b.get("/console/users?q=nobody-at-all")
		wantIn(t, got, "No user has that id, username or device id.")

		// The owner: the group as superadmin, and the join request notification.
		got = b.get("/console/users/" + f.owner.UserID)
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got, ">Night Watch</a></td><td>superadmin</td>", "<td>-5</td>", f.ownerDev)
		got = b.get("/console/users/" + f.requester.UserID)
		wantIn(t, got, ">Night Watch</a></td><td>join request</td>")
		got = b.get("/console/users/" + f.member.UserID)
		wantIn(t, got, "<td>-4</td>") // added to the group
		got = b.get("/console/users/00000000-0000-4000-8000-000000000000")
		wantStatus(t, got, http.StatusNotFound)
		wantIn(t, got, "Account not found.")
	})
}

func TestConsoleRPCRunner(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		var seen atomic.Pointer[hooks.Caller]
		f := newFixture(t, dialect, dbURL, func(a *testapp.App) {
			a.Hooks.RegisterRPC("Echo", func(ctx context.Context, c *hooks.Caller, payload string) (string, error) {
				seen.Store(c)
				return "got:" + payload, nil
			})
			a.Hooks.RegisterRPC("refuse", func(ctx context.Context, c *hooks.Caller, payload string) (string, error) {
				return "", errs.Errorf(errs.CodePermissionDenied, "not today <b>")
			})
		})
		b := newBrowser(t, f.app.URL)
		b.login()
		got := b.get("/console/rpc")
		wantIn(t, got, `<option value="echo"`, `<option value="refuse"`)
		got = b.post("/console/rpc", url.Values{"id": {"echo"}, "payload": {`{"a":1}`}})
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got, esc(`got:{"a":1}`))
		c := seen.Load()
		if c == nil || !c.HTTPKey || c.UserID != "" || c.Actor() != groups.SystemActor() {
			t.Fatalf("caller %+v, want the http key's", c)
		}
		got = b.post("/console/rpc", url.Values{"id": {"refuse"}})
		wantStatus(t, got, http.StatusForbidden)
		wantIn(t, got, "not today &lt;b&gt;", "Code 7")
		got = b.post("/console/rpc", url.Values{"id": {"missing"}})
		wantStatus(t, got, http.StatusNotFound)
		wantIn(t, got, "RPC function not found")
	})
}

// TestConsoleLeavesAPIAlone: the Nakama routes and their authentication
// before routing are as they were.
func TestConsoleLeavesAPIAlone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		f.app.Do(t, "GET", "/v2/group", "", "", 401, nil)
		f.app.Do(t, "GET", "/v2/console", "", "", 401, nil)
		f.app.Do(t, "GET", "/v2/console", f.owner.Token, "", 404, nil)
		f.app.Do(t, "GET", "/healthcheck", "", "", 200, nil)
		f.app.Do(t, "GET", "/v2/group?name=night%25", f.owner.Token, "", 200, nil)
		// A console session is no API credential.
		b := newBrowser(t, f.app.URL)
		b.login()
		req, _ := http.NewRequest("GET", f.app.URL+"/v2/account", nil)
		if got := b.do(req); got.Status != http.StatusUnauthorized {
			t.Fatalf("/v2/account with a console cookie: %d", got.Status)
		}
		// The static assets are served (the login page needs them).
		if got := b.get("/console/static/htmx-2.0.11.min.js"); got.Status != 200 || !strings.Contains(got.Body, "htmx") {
			t.Fatalf("htmx: %d", got.Status)
		}
	})
}

// noAudit builds the fixture's server without the audit log, so the
// console has no history section.
func noAudit(a *testapp.App) { a.Server.Config.AuditEnabled = false }
