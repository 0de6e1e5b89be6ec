package store_test

import (
	"context"
	"testing"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestRoleRoundTrips: custom roles cost the member operations no round trip
// on PostgreSQL — the actor's and targets' roles come with their states in
// the lock's batch — whether the actor, a target or nobody holds one.
func TestRoleRoundTrips(t *testing.T) {
	db := testapp.OpenDB(t, testdb.DialectPostgres, testdb.Postgres(t))
	st := store.NewGroups(db)
	svc := groups.NewService(st)
	svc.Subscribe(func(context.Context, []groups.Event) {})
	u := testapp.CreateUsers(t, db, 6)
	owner, officer := groups.UserActor(u[0], "owner"), groups.UserActor(u[1], "officer")
	open := true
	g, err := svc.CreateGroup(ctx, owner, groups.CreateGroupRequest{Name: "roles", Open: &open})
	ok(t, err)
	ok(t, svc.AddUsers(ctx, owner, groups.GroupUsersRequest{GroupID: g.ID, UserIDs: u[1:5]}))
	users := func(ids ...string) groups.GroupUsersRequest {
		return groups.GroupUsersRequest{GroupID: g.ID, UserIDs: ids}
	}
	var role groups.Role
	for _, c := range []struct {
		name string
		want int64
		op   func() error
	}{
		{"kick, no role anywhere", 2, func() error { return svc.KickUsers(ctx, owner, users(u[4])) }},
		{"create role (lock, roles, commit)", 3, func() (err error) {
			role, err = svc.CreateRole(ctx, owner, groups.CreateRoleRequest{GroupID: g.ID, Name: "Officer", Rank: 150,
				Permissions: []string{"kick", "add", "promote", "invite"}})
			return err
		}},
		{"assign", 3, func() error {
			return svc.AssignRole(ctx, owner, groups.RoleUsersRequest{GroupID: g.ID, RoleID: role.ID, UserIDs: []string{u[1], u[2]}})
		}},
		{"kick by the officer", 2, func() error { return svc.KickUsers(ctx, officer, users(u[3])) }},
		{"kick by the owner of a role holder", 2, func() error { return svc.KickUsers(ctx, owner, users(u[2])) }},
		{"add by the officer", 2, func() error { return svc.AddUsers(ctx, officer, users(u[3], u[5])) }},
		{"promote by the officer", 2, func() error { return svc.PromoteUsers(ctx, officer, users(u[5])) }},
		{"update role", 3, func() error {
			_, err := svc.UpdateRole(ctx, owner, groups.UpdateRoleRequest{GroupID: g.ID, RoleID: role.ID, Rank: ptr(120)})
			return err
		}},
		{"delete role", 3, func() error {
			return svc.DeleteRole(ctx, owner, groups.RoleRequest{GroupID: g.ID, RoleID: role.ID})
		}},
	} {
		before := st.RoundTrips()
		if err := c.op(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := st.RoundTrips() - before; got != c.want {
			t.Errorf("%s: %d round trips, want %d", c.name, got, c.want)
		}
	}
	states := map[string]groups.State{}
	var rows []struct {
		UserID string
		State  groups.State
	}
	db.Read.Raw("SELECT user_id, state FROM group_members WHERE group_id = ?", g.ID).Scan(&rows)
	for _, r := range rows {
		states[r.UserID] = r.State
	}
	if len(states) != 4 || states[u[1]] != groups.Member || states[u[3]] != groups.Member || states[u[5]] != groups.Admin {
		t.Errorf("members %v", states)
	}
}
