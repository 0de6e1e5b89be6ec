package store_test

import (
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestRaceJoinCapacity: 200 users join an open group of 10 at once. Exactly
// enough succeed to fill it; everyone else is told it is full.
func TestRaceJoinCapacity(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 201)
		g := e.create(u[0], "crowded", true, 10)
		var joined, full atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, id := range u[1:] {
			wg.Add(1)
			go func(id string) {
				defer wg.Done()
				<-start
				err := e.svc.JoinGroup(ctx, user(id), groups.JoinGroupRequest{GroupID: g.ID})
				if ge, ok := errs.AsError(err); ok && ge.Message == "Group is full." {
					full.Add(1)
				} else if err != nil {
					t.Errorf("join: %v", err)
				} else {
					joined.Add(1)
				}
			}(id)
		}
		close(start)
		wg.Wait()
		if joined.Load() != 9 || full.Load() != 191 {
			t.Fatalf("joined %d, full %d; want 9 and 191", joined.Load(), full.Load())
		}
		var members int64
		e.db.Read.Raw("SELECT count(*) FROM group_members WHERE group_id = ? AND state <= 2", g.ID).Scan(&members)
		if got := e.group(g.ID); got.EdgeCount != 10 || members != 10 {
			t.Fatalf("edge_count %d, member rows %d; want 10 and 10", got.EdgeCount, members)
		}
		e.checkInvariants()
	})
}

// TestRaceMixedOperations: superadmins, admins and members promote, demote,
// kick, ban, leave and rejoin one group at once. Afterwards edge_count equals
// the member rows, never exceeds max_count, and a superadmin remains.
func TestRaceMixedOperations(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 40)
		g := e.create(u[0], "turbulent", true, 30)
		ok(t, e.svc.AddUsers(ctx, user(u[0]), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: u[1:25]}))
		ok(t, e.svc.PromoteUsers(ctx, user(u[0]), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: u[1:8]}))
		ok(t, e.svc.PromoteUsers(ctx, user(u[0]), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: u[1:3]}))

		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := 0; w < 32; w++ {
			wg.Add(1)
			go func(seed int64) {
				defer wg.Done()
				r := rand.New(rand.NewSource(seed))
				<-start
				for i := 0; i < 25; i++ {
					actor := user(u[r.Intn(len(u))])
					targets := []string{u[r.Intn(len(u))], u[r.Intn(len(u))]}
					req := groups.GroupUsersRequest{GroupID: g.ID, UserIDs: targets}
					var err error
					switch r.Intn(7) {
					case 0:
						err = e.svc.PromoteUsers(ctx, actor, req)
					case 1:
						err = e.svc.DemoteUsers(ctx, actor, req)
					case 2:
						err = e.svc.KickUsers(ctx, actor, req)
					case 3:
						err = e.svc.BanUsers(ctx, actor, req)
					case 4:
						err = e.svc.LeaveGroup(ctx, actor, groups.GroupRequest{GroupID: g.ID})
					case 5:
						err = e.svc.JoinGroup(ctx, actor, groups.JoinGroupRequest{GroupID: g.ID})
					case 6:
						err = e.svc.AddUsers(ctx, actor, req)
					}
					if err != nil {
						if _, coded := errs.AsError(err); !coded {
							t.Errorf("uncoded error: %v", err)
						}
					}
				}
			}(int64(w))
		}
		close(start)
		wg.Wait()
		e.checkInvariants()
		supers := groups.Superadmin
		l, err := e.svc.ListGroupUsers(ctx, groups.ListGroupUsersRequest{GroupID: g.ID, State: &supers})
		if gs, _ := e.svc.GetGroups(ctx, []string{g.ID}); len(gs) == 1 {
			ok(t, err)
			if len(l.GroupUsers) == 0 {
				t.Fatal("the group has no superadmin left")
			}
		}
	})
}
