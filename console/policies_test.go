package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/audit"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/internal/testdb"
)

// auditEntries are the audit log's entries of the fixture's group for op.
func (f *fixture) auditEntries(t testing.TB, groupID, op string) []audit.Entry {
	t.Helper()
	page, err := f.app.Server.Audit.List(context.Background(), audit.ListRequest{GroupID: groupID, Op: op})
	if err != nil {
		t.Fatal(err)
	}
	return page.Entries
}

// editForm is the console's edit form of the fixture's group as shown,
// with changes.
func (f *fixture) editForm(changes map[string]string) url.Values {
	v := url.Values{"name": {"Night Watch"}, "description": {"guards"}, "lang_tag": {"en"}, "avatar_url": {""},
		"max_count": {"10"}, "join_policy": {"request"}, "tag": {""}, "hidden_shown": {"1"}}
	for k, x := range changes {
		if x == "\x00" {
			v.Del(k)
			continue
		}
		v.Set(k, x)
	}
	return v
}

func TestConsoleEditPolicyTagHidden(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		ctx := context.Background()
		other, err := f.app.Groups.CreateGroup(ctx, groups.SystemActor(), groups.CreateGroupRequest{
			OwnerID: f.member.UserID, Name: "Tagged", Tag: "ABC"})
		must(t, err)
		b := newBrowser(t, f.app.URL)
		b.login()

		// The page shows the fields and the form offers them.
		got := b.get(f.path("/console/groups/{g}"))
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got, `<code id="group-policy">request</code>`, `id="group-category">group<`, `id="group-hidden">no<`,
			`<option value="invite_only">invite_only</option>`, `<option value="request" selected>request</option>`,
			`name="tag"`, `name="hidden"`, "0 pending")

		// An edit with a reason, audited like the other console edits.
		got = b.post(f.path("/console/groups/{g}/edit"), f.editForm(map[string]string{
			"join_policy": "invite_only", "tag": "nw1", "hidden": "true", "reason": "ticket 77"}))
		if got.Status != http.StatusSeeOther {
			t.Fatalf("edit: %d %s", got.Status, got.Body)
		}
		g := f.groupNow(t)
		if g.JoinPolicy != groups.PolicyInviteOnly || g.Open || g.Tag != "nw1" || !g.Hidden || g.Name != "Night Watch" {
			t.Fatalf("after edit: %+v", g)
		}
		got = b.get(f.path("/console/groups/{g}?ok=edit"))
		wantIn(t, got, "Group saved.", `<code id="group-policy">invite_only</code>`, `id="group-tag">nw1<`,
			`id="group-hidden">yes`, `<option value="invite_only" selected>`, `value="nw1"`, `id="hidden" value="true" checked`)
		entries := f.auditEntries(t, g.ID, audit.OpUpdateGroup)
		if len(entries) != 1 || entries[0].Reason != "ticket 77" || entries[0].ActorID != audit.System {
			t.Fatalf("audit of the edit: %+v", entries)
		}

		// Refusals: the service's messages and statuses, nothing written.
		refusals := []struct {
			form   map[string]string
			req    groups.UpdateGroupRequest
			status int
		}{
			{map[string]string{"join_policy": "invite_only", "tag": "abc", "hidden": "true"},
				groups.UpdateGroupRequest{Tag: ptr("abc")}, http.StatusConflict},
			{map[string]string{"join_policy": "open", "open": "false", "tag": "nw1", "hidden": "true"},
				groups.UpdateGroupRequest{JoinPolicy: ptr("open"), Open: ptr(false)}, http.StatusBadRequest},
			{map[string]string{"join_policy": "request", "open": "true", "tag": "nw1", "hidden": "true"},
				groups.UpdateGroupRequest{JoinPolicy: ptr("request"), Open: ptr(true)}, http.StatusBadRequest},
			{map[string]string{"join_policy": "maybe", "tag": "nw1", "hidden": "true"},
				groups.UpdateGroupRequest{JoinPolicy: ptr("maybe")}, http.StatusBadRequest},
			{map[string]string{"join_policy": "invite_only", "tag": "a-b", "hidden": "true"},
				groups.UpdateGroupRequest{Tag: ptr("a-b")}, http.StatusBadRequest},
			{map[string]string{"join_policy": "invite_only", "tag": "toolong", "hidden": "true"},
				groups.UpdateGroupRequest{Tag: ptr("toolong")}, http.StatusBadRequest},
		}
		for _, r := range refusals {
			r.req.GroupID = g.ID
			want := errMsg(t, f.app.Groups.UpdateGroup(ctx, groups.SystemActor(), r.req))
			got := b.post(f.path("/console/groups/{g}/edit"), f.editForm(r.form))
			wantStatus(t, got, r.status)
			wantIn(t, got, `id="edit-error">`+esc(want)+"<")
			if tag := r.form["tag"]; tag != "nw1" {
				wantIn(t, got, `value="`+esc(tag)+`"`) // what was typed stays in the form
			}
		}
		if g2 := f.groupNow(t); g2 != g {
			t.Fatalf("a refused edit changed the group:\n%+v\n%+v", g2, g)
		}
		if n := len(f.auditEntries(t, g.ID, audit.OpUpdateGroup)); n != 1 {
			t.Fatalf("refused edits were audited: %d entries", n)
		}
		if o := f.groupNow2(t, other.ID); o.Tag != "ABC" {
			t.Fatalf("the other group's tag: %q", o.Tag)
		}

		// Back: open, no tag, listed; join_policy open with open=true agrees.
		got = b.post(f.path("/console/groups/{g}/edit"), f.editForm(map[string]string{"join_policy": "open", "open": "true"}))
		wantStatus(t, got, http.StatusSeeOther)
		g = f.groupNow(t)
		if g.JoinPolicy != groups.PolicyOpen || !g.Open || g.Tag != "" || g.Hidden {
			t.Fatalf("after the second edit: %+v", g)
		}
		// The category is shown, never edited (set at create only).
		got = b.post(f.path("/console/groups/{g}/edit"), f.editForm(map[string]string{"category": "raid"}))
		wantStatus(t, got, http.StatusSeeOther)
		if g = f.groupNow(t); g.Category != groups.DefaultCategory && g.Category != "" {
			t.Fatalf("category changed to %q", g.Category)
		}

		// An older form without the new fields leaves them alone.
		must(t, f.app.Groups.UpdateGroup(ctx, groups.SystemActor(), groups.UpdateGroupRequest{GroupID: g.ID,
			JoinPolicy: ptr("closed"), Tag: ptr("KEEP"), Hidden: ptr(true)}))
		got = b.post(f.path("/console/groups/{g}/edit"), f.editForm(map[string]string{
			"join_policy": "\x00", "tag": "\x00", "hidden_shown": "\x00", "description": "older form"}))
		wantStatus(t, got, http.StatusSeeOther)
		if g = f.groupNow(t); g.JoinPolicy != groups.PolicyClosed || g.Tag != "KEEP" || !g.Hidden || g.Description != "older form" {
			t.Fatalf("an older form changed the new fields: %+v", g)
		}
	})
}

func (f *fixture) groupNow2(t testing.TB, id string) groups.Group {
	t.Helper()
	gs, err := f.app.Groups.GetGroups(context.Background(), []string{id})
	if err != nil || len(gs) != 1 {
		t.Fatalf("group %s: %v %v", id, gs, err)
	}
	return gs[0]
}

func TestConsoleGroupsHidden(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		ctx := context.Background()
		for i := 0; i < 27; i++ {
			_, err := f.app.Groups.CreateGroup(ctx, groups.SystemActor(), groups.CreateGroupRequest{
				OwnerID: f.member.UserID, Name: fmt.Sprintf("Shadow %02d", i), Hidden: true, JoinPolicy: "invite_only"})
			must(t, err)
		}
		_, err := f.app.Groups.CreateGroup(ctx, groups.SystemActor(), groups.CreateGroupRequest{
			OwnerID: f.member.UserID, Name: "Cloak", Hidden: true, Tag: "CLK"})
		must(t, err)
		b := newBrowser(t, f.app.URL)
		b.login()

		// As public listings: no hidden group, by any filter.
		got := b.get("/console/groups")
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got, ">Night Watch</a>", "<th>Tag</th>", "<th>Join policy</th>", "<td>request</td>")
		wantNotIn(t, got, "Shadow", "Cloak")
		wantNotIn(t, b.get("/console/groups?q=shadow"), "Shadow 00")

		// Operators see them: only hidden ones, paged with the filter kept.
		got = b.get("/console/groups?hidden=only")
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got, "Shadow 00", "hidden-badge", "<td>invite_only</td>", `<option value="only" selected>`, `id="next-page"`)
		wantNotIn(t, got, "Night Watch")
		next := between(got.Body, `<a href="/console/groups?`, `" id="next-page"`)
		if !strings.Contains(next, "hidden=only") {
			t.Fatalf("the next page forgets the filter: %q", next)
		}
		got2 := b.get("/console/groups?" + strings.ReplaceAll(next, "&amp;", "&"))
		wantStatus(t, got2, http.StatusOK)
		if n1, n2 := strings.Count(got.Body, "hidden-badge"), strings.Count(got2.Body, "hidden-badge"); n1 != 25 || n2 != 3 {
			t.Fatalf("hidden groups per page: %d, %d; want 25, 3", n1, n2)
		}
		wantNotIn(t, got2, "Night Watch", `id="next-page"`)
		// Both kinds, and with a name prefix.
		got = b.get("/console/groups?hidden=include&open=false")
		wantIn(t, got, "Night Watch", "Shadow 00") // oldest first
		got = b.get("/console/groups?q=shad&hidden=include")
		wantIn(t, got, "Shadow 00")
		wantNotIn(t, got, "Night Watch", "Cloak")
		// A tag finds its group, hidden or not, any case.
		got = b.get("/console/groups?q=clk")
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got, ">Cloak</a>", "<td>CLK</td>", "hidden-badge")
		// A bad filter is refused, and a cursor of one filter is no cursor of another.
		got = b.get("/console/groups?hidden=maybe")
		wantStatus(t, got, http.StatusBadRequest)
		wantIn(t, got, "Hidden filter must be empty, include or only.")
		cur := next[strings.Index(next, "cursor=")+len("cursor="):]
		got = b.get("/console/groups?cursor=" + cur)
		wantStatus(t, got, http.StatusBadRequest)
		wantIn(t, got, "Malformed cursor was used.")
	})
}

// TestListGroupsHiddenFilter: the public listing (what the API serves) still
// leaves hidden groups out under every order, while a Go caller may ask.
func TestListGroupsHiddenFilter(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		ctx := context.Background()
		_, err := f.app.Groups.CreateGroup(ctx, groups.SystemActor(), groups.CreateGroupRequest{
			OwnerID: f.member.UserID, Name: "Night Shade", Hidden: true, LangTag: "en"})
		must(t, err)
		names := func(req groups.ListGroupsRequest) string {
			req.Limit = 100
			list, err := f.app.Groups.ListGroups(ctx, req)
			must(t, err)
			var out []string
			for _, g := range list.Groups {
				out = append(out, g.Name)
			}
			return strings.Join(out, ",")
		}
		for _, req := range []groups.ListGroupsRequest{{}, {Name: "night%"}, {LangTag: "en"}, {Members: ptr(100)}, {Open: ptr(false)}} {
			if got := names(req); got != "Night Watch" {
				t.Errorf("%+v: %q", req, got)
			}
			req.Hidden = groups.HiddenOnly
			if got := names(req); got != "Night Shade" {
				t.Errorf("%+v: %q", req, got)
			}
			req.Hidden = groups.HiddenIncluded
			if got := names(req); !strings.Contains(got, "Night Shade") || !strings.Contains(got, "Night Watch") {
				t.Errorf("%+v: %q", req, got)
			}
		}
	})
}
