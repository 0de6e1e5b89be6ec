package store_test

import (
	"context"
	"testing"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestRoundTrips holds each operation on PostgreSQL to its round trips:
// creating a group is one batch, a change two ([BEGIN, lock, reads] and
// [writes, COMMIT]); a join request that reads the admins to notify, three.
// Events and their notifications add none.
func TestRoundTrips(t *testing.T) {
	db := testapp.OpenDB(t, testdb.DialectPostgres, testdb.Postgres(t))
	st := store.NewGroups(db)
	svc := groups.NewService(st)
	svc.Subscribe(func(context.Context, []groups.Event) {})
	u := testapp.CreateUsers(t, db, 4)
	owner, ann := groups.UserActor(u[0], "owner"), groups.UserActor(u[1], "ann")
	var open, closed groups.Group
	users := func(g groups.Group, ids ...string) groups.GroupUsersRequest {
		return groups.GroupUsersRequest{GroupID: g.ID, UserIDs: ids}
	}
	taken := "closed"
	for _, c := range []struct {
		name string
		want int64
		op   func() error
	}{
		{"create", 1, func() (err error) {
			open, err = svc.CreateGroup(ctx, owner, groups.CreateGroupRequest{Name: "open", JoinPolicy: "open"})
			return err
		}},
		{"create closed", 1, func() (err error) {
			closed, err = svc.CreateGroup(ctx, owner, groups.CreateGroupRequest{Name: "closed"})
			return err
		}},
		{"join", 2, func() error { return svc.JoinGroup(ctx, ann, groups.JoinGroupRequest{GroupID: open.ID}) }},
		{"leave", 2, func() error { return svc.LeaveGroup(ctx, ann, groups.GroupRequest{GroupID: open.ID}) }},
		{"join request, notifying", 3, func() error { return svc.JoinGroup(ctx, ann, groups.JoinGroupRequest{GroupID: closed.ID}) }},
		{"add (accept)", 2, func() error { return svc.AddUsers(ctx, owner, users(closed, u[1])) }},
		{"add (new)", 2, func() error { return svc.AddUsers(ctx, owner, users(closed, u[2], u[3])) }},
		{"promote", 2, func() error { return svc.PromoteUsers(ctx, owner, users(closed, u[1])) }},
		{"demote", 2, func() error { return svc.DemoteUsers(ctx, owner, users(closed, u[1])) }},
		{"ban", 2, func() error { return svc.BanUsers(ctx, owner, users(closed, u[2])) }},
		{"kick", 2, func() error { return svc.KickUsers(ctx, owner, users(closed, u[1])) }},
		{"update", 2, func() error {
			return svc.UpdateGroup(ctx, owner, groups.UpdateGroupRequest{GroupID: open.ID, Name: ptr("opened")})
		}},
		{"update refused at commit", 2, func() error {
			err := svc.UpdateGroup(ctx, owner, groups.UpdateGroupRequest{GroupID: open.ID, Name: &taken})
			if e, ok := errs.AsError(err); ok && e.Message == "Group name is in use." {
				return nil
			}
			return err
		}},
		{"delete", 2, func() error { return svc.DeleteGroup(ctx, owner, groups.GroupRequest{GroupID: open.ID}) }},
	} {
		before := st.RoundTrips()
		if err := c.op(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := st.RoundTrips() - before; got != c.want {
			t.Errorf("%s: %d round trips, want %d", c.name, got, c.want)
		}
	}
}
