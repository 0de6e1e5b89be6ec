package console_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestConsoleShowsRoles: the group page lists the group's custom roles
// (name, rank, permissions) and each member's role beside their state.
func TestConsoleShowsRoles(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL)
		b := newBrowser(t, f.app.URL)
		b.login()
		got := b.get("/console/groups/" + f.group.ID)
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got, `<section id="roles">`, "none (roles are managed through the API")

		ctx, sys := context.Background(), groups.SystemActor()
		r, err := f.app.Groups.CreateRole(ctx, sys, groups.CreateRoleRequest{GroupID: f.group.ID, Name: "Officer", Rank: 150,
			Permissions: []string{"kick", "invite"}})
		must(t, err)
		must(t, f.app.Groups.AssignRole(ctx, sys, groups.RoleUsersRequest{GroupID: f.group.ID, RoleID: r.ID,
			UserIDs: []string{f.member.UserID}}))
		got = b.get("/console/groups/" + f.group.ID)
		wantStatus(t, got, http.StatusOK)
		wantIn(t, got, `<tr data-role="Officer"><td>Officer</td><td>150</td><td>invite, kick</td>`, r.ID,
			`member <span class="role">· Officer (150)</span>`)
	})
}
