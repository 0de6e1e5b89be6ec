package store_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// at runs fn(i) for i in 0..n-1 on n goroutines released at once.
func at(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			fn(i)
		}(i)
	}
	close(start)
	wg.Wait()
}

// TestRaceAcceptCapacity: 50 invitees of an invite-only group of max_count
// 10 (its owner inside) accept at once: exactly the 9 free seats are
// filled, everyone else is told the group is full, and their invitations
// stay pending.
func TestRaceAcceptCapacity(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 51)
		g, err := e.svc.CreateGroup(ctx, user(u[0]), groups.CreateGroupRequest{Name: "seats", JoinPolicy: "invite_only", MaxCount: 10})
		ok(t, err)
		l, err := e.svc.InviteUsers(ctx, user(u[0]), groups.InviteRequest{GroupID: g.ID, UserIDs: u[1:]})
		ok(t, err)
		if len(l.Invitations) != 50 {
			t.Fatalf("%d invitations, want 50", len(l.Invitations))
		}
		var accepted, full atomic.Int32
		at(50, func(i int) {
			inv := l.Invitations[i]
			err := e.svc.AcceptInvitation(ctx, user(inv.UserID), groups.InvitationRequest{InvitationID: inv.ID})
			if ge, ok := errs.AsError(err); ok && ge.Message == "Group is full." {
				full.Add(1)
			} else if err != nil {
				t.Errorf("accept: %v", err)
			} else {
				accepted.Add(1)
			}
		})
		if accepted.Load() != 9 || full.Load() != 41 {
			t.Fatalf("accepted %d, full %d; want 9 and 41", accepted.Load(), full.Load())
		}
		var members, acceptedRows int64
		e.db.Read.Raw("SELECT count(*) FROM group_members WHERE group_id = ? AND state <= 2", g.ID).Scan(&members)
		e.db.Read.Raw("SELECT count(*) FROM group_invitations WHERE group_id = ? AND state = 1", g.ID).Scan(&acceptedRows)
		if got := e.group(g.ID); got.EdgeCount != 10 || members != 10 || acceptedRows != 9 {
			t.Fatalf("edge_count %d, member rows %d, accepted invitations %d; want 10, 10, 9", got.EdgeCount, members, acceptedRows)
		}
		e.checkInvariants()
	})
}

// TestRaceCategoryJoin: with clan=1, a user joining 10 open clans at once
// ends in exactly one; the other nine are refused with the category error.
// Each join locks a different group, so only the lock on the user's side
// serialises them.
func TestRaceCategoryJoin(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		db := testapp.OpenDB(t, dialect, url)
		svc := groups.NewService(store.NewGroups(db), groups.WithCategories(map[string]int{"clan": 1}))
		u := testapp.CreateUsers(t, db, 11)
		clans := make([]string, 10)
		for i := range clans {
			g, err := svc.CreateGroup(ctx, user(u[i]), groups.CreateGroupRequest{Name: fmt.Sprintf("clan-%d", i),
				JoinPolicy: "open", Category: "clan"})
			ok(t, err)
			clans[i] = g.ID
		}
		joiner := u[10]
		for round := 0; round < 3; round++ { // leave and race again: no round leaves two
			var joined, limited atomic.Int32
			at(10, func(i int) {
				err := svc.JoinGroup(ctx, user(joiner), groups.JoinGroupRequest{GroupID: clans[i]})
				if ge, ok := errs.AsError(err); ok && ge.Code == errs.CodeFailedPrecondition &&
					ge.Message == `User is already in the maximum number of groups of category "clan".` {
					limited.Add(1)
				} else if err != nil {
					t.Errorf("join: %v", err)
				} else {
					joined.Add(1)
				}
			})
			if joined.Load() != 1 || limited.Load() != 9 {
				t.Fatalf("round %d: joined %d, limited %d; want 1 and 9", round, joined.Load(), limited.Load())
			}
			var n int64
			db.Read.Raw("SELECT count(*) FROM group_members WHERE user_id = ?", joiner).Scan(&n)
			if n != 1 {
				t.Fatalf("round %d: the joiner has %d member rows, want 1", round, n)
			}
			var in string
			db.Read.Raw("SELECT group_id FROM group_members WHERE user_id = ?", joiner).Scan(&in)
			ok(t, svc.LeaveGroup(ctx, user(joiner), groups.GroupRequest{GroupID: in}))
		}
	})
}
