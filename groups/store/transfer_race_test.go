package store_test

import (
	"math/rand"
	"sync/atomic"
	"testing"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// supers counts a group's superadmins with SQL.
func (e *env) supers(groupID string) []string {
	e.t.Helper()
	var ids []string
	if err := e.db.Read.Raw("SELECT user_id FROM group_members WHERE group_id = ? AND state = 0", groupID).Scan(&ids).Error; err != nil {
		e.t.Fatal(err)
	}
	return ids
}

// transferGroup makes a group of owner with the others as members, the
// first admins of them promoted, and extra superadmins promoted twice.
func (e *env) transferGroup(name string, owner string, others []string, admins, extraSupers int) string {
	e.t.Helper()
	g, err := e.svc.CreateGroup(ctx, user(owner), groups.CreateGroupRequest{Name: name, JoinPolicy: "open"})
	ok(e.t, err)
	ok(e.t, e.svc.AddUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: others}))
	ok(e.t, e.svc.PromoteUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: others[:admins]}))
	ok(e.t, e.svc.PromoteUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: others[:extraSupers]}))
	return g.ID
}

// TestRaceTransferOneLeader: the only superadmin sends 16 transfers to 16
// different members and admins at once, round after round: exactly one
// commits, the other 15 find the caller no longer a superadmin (404 code 5),
// and the group always ends with exactly one superadmin — the winner's
// target. Without the group row lock (read the caller's state, then
// write), several would commit on PostgreSQL and leave several leaders.
func TestRaceTransferOneLeader(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 18)
		gid := e.transferGroup("one-leader", u[0], u[1:], 6, 0)
		leader := u[0]
		for round := 0; round < 4; round++ {
			var won, refused atomic.Int32
			var winner atomic.Value
			targets := make([]string, 0, 16)
			for _, x := range u {
				if x != leader && len(targets) < 16 {
					targets = append(targets, x)
				}
			}
			at(len(targets), func(i int) {
				err := e.svc.TransferGroup(ctx, user(leader), groups.TransferGroupRequest{GroupID: gid, UserID: targets[i]})
				if ge, ok := errs.AsError(err); ok && ge.Code == errs.CodeNotFound {
					refused.Add(1)
				} else if err != nil {
					t.Errorf("transfer: %v", err)
				} else {
					won.Add(1)
					winner.Store(targets[i])
				}
			})
			if won.Load() != 1 || refused.Load() != int32(len(targets)-1) {
				t.Fatalf("round %d: %d transfers committed, %d refused; want 1 and %d", round, won.Load(), refused.Load(), len(targets)-1)
			}
			s := e.supers(gid)
			if len(s) != 1 || s[0] != winner.Load().(string) {
				t.Fatalf("round %d: superadmins %v, want only %v", round, s, winner.Load())
			}
			if st := e.states(gid)[leader]; st != groups.Admin {
				t.Fatalf("round %d: the old leader is in state %d, want admin", round, st)
			}
			leader = s[0]
			e.checkInvariants()
		}
	})
}

// TestRaceTransferManyLeaders: in a group of three superadmins, random
// callers (superadmins mostly) transfer to random targets at once, for
// several rounds: every call commits or is refused with 404 code 5 (caller
// not a superadmin by then) or 400 code 3 (target a superadmin by then),
// and the group always has exactly three superadmins.
func TestRaceTransferManyLeaders(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 12)
		gid := e.transferGroup("three-leaders", u[0], u[1:], 6, 2)
		r := rand.New(rand.NewSource(11))
		var committed atomic.Int32
		for round := 0; round < 6; round++ {
			leaders := e.supers(gid)
			if len(leaders) != 3 {
				t.Fatalf("round %d: superadmins %v, want 3", round, leaders)
			}
			type call struct{ from, to string }
			calls := make([]call, 12)
			for i := range calls {
				from := leaders[r.Intn(len(leaders))]
				if r.Intn(4) == 0 {
					from = u[r.Intn(len(u))]
				}
				calls[i] = call{from, u[r.Intn(len(u))]}
			}
			at(len(calls), func(i int) {
				err := e.svc.TransferGroup(ctx, user(calls[i].from), groups.TransferGroupRequest{GroupID: gid, UserID: calls[i].to})
				ge, isCoded := errs.AsError(err)
				switch {
				case err == nil:
					committed.Add(1)
				case isCoded && (ge.Code == errs.CodeNotFound || ge.Code == errs.CodeInvalidArgument):
				default:
					t.Errorf("transfer %v: %v", calls[i], err)
				}
			})
			if s := e.supers(gid); len(s) != 3 {
				t.Fatalf("round %d: superadmins %v, want 3", round, s)
			}
			e.checkInvariants()
		}
		if committed.Load() == 0 {
			t.Fatal("no transfer committed in any round")
		}
	})
}
