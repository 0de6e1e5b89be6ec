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

// invite has the fixture's owner invite n new users; it returns the
// invitations, newest first (as the console lists them).
func (f *fixture) invite(t *testing.T, groupID string, n int) []groups.Invitation {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = f.app.Session(t, fmt.Sprintf("invitee-device-%04d", i)).UserID
	}
	list, err := f.app.Groups.InviteUsers(context.Background(), groups.UserActor(f.owner.UserID, ""),
		groups.InviteRequest{GroupID: groupID, UserIDs: ids, Message: "join us <3"})
	must(t, err)
	if len(list.Invitations) != n {
		t.Fatalf("invited %d of %d", len(list.Invitations), n)
	}
	return list.Invitations
}

func (f *fixture) invitationState(t *testing.T, inv groups.Invitation) groups.InvitationState {
	t.Helper()
	for _, st := range []string{"pending", "revoked", "accepted", "declined"} {
		cursor := ""
		for {
			list, err := f.app.Groups.ListGroupInvitations(context.Background(), groups.SystemActor(),
				groups.ListGroupInvitationsRequest{GroupID: inv.GroupID, State: st, Limit: 100, Cursor: cursor})
			must(t, err)
			for _, x := range list.Invitations {
				if x.ID == inv.ID {
					return x.State
				}
			}
			if cursor = list.Cursor; cursor == "" {
				break
			}
		}
	}
	return ""
}

func TestConsoleInvitations(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		ctx := context.Background()
		invs := f.invite(t, f.group.ID, 27)
		users, err := f.app.Accounts.GetUsers(ctx, []string{f.owner.UserID, invs[0].UserID}, nil)
		must(t, err)
		names := map[string]string{}
		for _, u := range users {
			names[u.ID] = u.Username
		}
		b := newBrowser(t, f.app.URL)
		b.login()

		// The counts on the overview and the group page.
		wantIn(t, b.get("/console"), `id="count-invitations">27<`)
		got := b.get(f.path("/console/groups/{g}"))
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got, `id="group-invitations">27 pending`, f.path(`href="/console/groups/{g}/invitations"`))

		// The list, 25 a page: invitee, inviter, created, expires.
		got = b.get(f.path("/console/groups/{g}/invitations"))
		wantStatus(t, got, http.StatusOK)
		if n := strings.Count(got.Body, "<tr data-invitee="); n != 25 {
			t.Fatalf("first page: %d rows", n)
		}
		wantIn(t, got, `id="invitations-next"`, ">"+names[f.owner.UserID]+"</a>", esc("join us <3"),
			`class="act-revoke"`, "<th>Expires</th>", "hx-confirm=")
		cursor := between(got.Body, "invitations?state=&amp;cursor=", `"`)
		got2 := b.get(f.path("/console/groups/{g}/invitations?state=&cursor=") + cursor)
		wantStatus(t, got2, http.StatusOK)
		if n := strings.Count(got2.Body, "<tr data-invitee="); n != 2 {
			t.Fatalf("second page: %d rows", n)
		}
		wantNotIn(t, got2, `id="invitations-next"`)
		if !strings.Contains(got.Body+got2.Body, ">"+names[invs[0].UserID]+"</a>") {
			t.Fatal("an invitee is missing from the pages")
		}

		// Revoke (a form without JavaScript) with a reason: audited.
		target := invs[0]
		got = b.post(f.path("/console/groups/{g}/invitations/")+target.ID+"/revoke", url.Values{"reason": {"spam invites"}})
		if got.Status != http.StatusSeeOther || !strings.Contains(got.Location, "ok=revoke") {
			t.Fatalf("revoke: %d %q %s", got.Status, got.Location, got.Body)
		}
		if st := f.invitationState(t, target); st != groups.InviteRevoked {
			t.Fatalf("after revoke: %q", st)
		}
		entries := f.auditEntries(t, f.group.ID, audit.OpRevokeInvitation)
		if len(entries) != 1 || entries[0].Reason != "spam invites" || entries[0].ActorID != audit.System ||
			len(entries[0].Targets) != 1 || entries[0].Targets[0] != target.UserID {
			t.Fatalf("audit of the revoke: %+v", entries)
		}
		got = b.get(f.path("/console/groups/{g}/invitations?ok=revoke"))
		wantIn(t, got, "Invitation revoked.")
		wantIn(t, b.get(f.path("/console/groups/{g}")), `id="group-invitations">26 pending`)
		got = b.get(f.path("/console/groups/{g}/invitations?state=revoked"))
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got, ">"+names[target.UserID]+"</a>", "<td>revoked</td>")
		wantNotIn(t, got, `class="act-revoke"`)

		// Revoke through htmx: the list comes back with the flash.
		got = b.post(f.path("/console/groups/{g}/invitations/")+invs[1].ID+"/revoke", nil, "HX-Request", "true")
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got, `<section id="invitations">`, "Invitation revoked.")
		wantNotIn(t, got, "<html")

		// Refusals: the service's messages, nothing written.
		other, err := f.app.Groups.CreateGroup(ctx, groups.UserActor(f.owner.UserID, ""), groups.CreateGroupRequest{Name: "Elsewhere"})
		must(t, err)
		foreign, err := f.app.Groups.InviteUsers(ctx, groups.UserActor(f.owner.UserID, ""),
			groups.InviteRequest{GroupID: other.ID, UserIDs: []string{f.member.UserID}})
		must(t, err)
		before := len(f.auditEntries(t, "", audit.OpRevokeInvitation))
		for _, c := range []struct {
			path, want string
			status     int
		}{
			{f.path("/console/groups/{g}/invitations/") + target.ID + "/revoke", "Invitation is no longer pending.", http.StatusBadRequest},
			{f.path("/console/groups/{g}/invitations/") + foreign.Invitations[0].ID + "/revoke", "Invitation not found.", http.StatusNotFound},
			{f.path("/console/groups/{g}/invitations/not-an-id/revoke"), "Invitation ID must be a valid ID.", http.StatusBadRequest},
			{"/console/groups/not-a-group/invitations/" + target.ID + "/revoke", "Group ID must be a valid ID.", http.StatusBadRequest},
		} {
			got := b.post(c.path, url.Values{"reason": {"nope"}})
			wantStatus(t, got, c.status)
			wantIn(t, got, esc(c.want))
		}
		if st := f.invitationState(t, foreign.Invitations[0]); st != groups.InvitePending {
			t.Fatalf("another group's invitation: %q", st)
		}
		if n := len(f.auditEntries(t, "", audit.OpRevokeInvitation)); n != before {
			t.Fatalf("refused revokes were audited: %d → %d", before, n)
		}
		got = b.get(f.path("/console/groups/{g}/invitations?state=maybe"))
		wantStatus(t, got, http.StatusBadRequest)
		wantIn(t, got, esc("Invalid state - state must be one of pending, accepted, declined, revoked, expired."))
		got = b.get(f.path("/console/groups/{g}/invitations?cursor=garbage"))
		wantStatus(t, got, http.StatusBadRequest)
		wantIn(t, got, "Malformed cursor was used.")
		got = b.get("/console/groups/00000000-0000-4000-8000-000000000000/invitations")
		wantStatus(t, got, http.StatusNotFound)

		// Login and the CSRF token are required.
		form := url.Values{"csrf": {""}}
		wantStatus(t, b.post(f.path("/console/groups/{g}/invitations/")+invs[2].ID+"/revoke", form), http.StatusForbidden)
		form.Set("csrf", "not-the-token")
		wantStatus(t, b.post(f.path("/console/groups/{g}/invitations/")+invs[2].ID+"/revoke", form), http.StatusForbidden)
		anon := newBrowser(t, f.app.URL)
		wantStatus(t, anon.post(f.path("/console/groups/{g}/invitations/")+invs[2].ID+"/revoke", nil), http.StatusUnauthorized)
		if p := anon.get(f.path("/console/groups/{g}/invitations")); p.Status != http.StatusSeeOther ||
			!strings.HasPrefix(p.Location, "/console/login?next=") {
			t.Fatalf("invitations without login: %d %q", p.Status, p.Location)
		}
		if st := f.invitationState(t, invs[2]); st != groups.InvitePending {
			t.Fatalf("a refused revoke changed the invitation: %q", st)
		}
	})
}
