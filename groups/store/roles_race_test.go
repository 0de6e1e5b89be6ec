package store_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/guildhall/guildhall/audit"
	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestRaceRoleRemovalAndKick: an officer's kicks race the deletion (then
// the unassignment) of the role that lets them kick. The role is read under
// the group's row lock, so in the group's commit order (the audit log's ids:
// every change of a group holds its lock until it commits) no kick by the
// officer follows the removal, every kick started after the removal returned
// is refused with 404 code 5, and each kick that succeeded removed its target.
func TestRaceRoleRemovalAndKick(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		db := testapp.OpenDB(t, dialect, url)
		st := store.NewGroups(db)
		st.EnableAudit(nil)
		svc := groups.NewService(st)
		const kickers = 24
		u := testapp.CreateUsers(t, db, 2+kickers)
		owner, officer, targets := u[0], u[1], u[2:]
		open := true
		for round, unassign := range []bool{false, true, false, true} {
			g, err := svc.CreateGroup(ctx, user(owner), groups.CreateGroupRequest{Name: fmt.Sprintf("race-%d", round), Open: &open})
			ok(t, err)
			ok(t, svc.AddUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: u[1:]}))
			role, err := svc.CreateRole(ctx, user(owner), groups.CreateRoleRequest{GroupID: g.ID, Name: "Officer", Rank: 150,
				Permissions: []string{"kick"}})
			ok(t, err)
			ok(t, svc.AssignRole(ctx, user(owner), groups.RoleUsersRequest{GroupID: g.ID, RoleID: role.ID, UserIDs: []string{officer}}))

			var removed atomic.Bool
			var kicked, refused atomic.Int32
			at(kickers+1, func(i int) {
				if i == kickers {
					if unassign {
						ok(t, svc.UnassignRole(ctx, user(owner), groups.RoleUsersRequest{GroupID: g.ID, RoleID: role.ID, UserIDs: []string{officer}}))
					} else {
						ok(t, svc.DeleteRole(ctx, user(owner), groups.RoleRequest{GroupID: g.ID, RoleID: role.ID}))
					}
					removed.Store(true)
					return
				}
				after := removed.Load()
				err := svc.KickUsers(ctx, user(officer), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{targets[i]}})
				if ge, isCoded := errs.AsError(err); isCoded && ge.Code == errs.CodeNotFound {
					refused.Add(1)
					return
				} else if err != nil {
					t.Errorf("kick: %v", err)
					return
				}
				kicked.Add(1)
				if after {
					t.Errorf("round %d: a kick started after the role's removal returned succeeded", round)
				}
			})
			// A kick started after the removal, deterministically: refused.
			err = svc.KickUsers(ctx, user(officer), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: targets})
			if ge, isCoded := errs.AsError(err); !isCoded || ge.Code != errs.CodeNotFound {
				t.Fatalf("round %d: a kick after the removal: %v", round, err)
			}
			if kicked.Load()+refused.Load() != kickers {
				t.Fatalf("round %d: %d kicked + %d refused != %d", round, kicked.Load(), refused.Load(), kickers)
			}
			var members int
			db.Read.Raw("SELECT count(*) FROM group_members WHERE group_id = ?", g.ID).Scan(&members)
			if want := 2 + kickers - int(kicked.Load()); members != want {
				t.Fatalf("round %d: %d members, want %d (each successful kick removes its target)", round, members, want)
			}
			// Commit order: no kick entry after the removal's.
			entries, err := st.ListAudit(ctx, audit.Query{GroupID: g.ID, Limit: 100})
			ok(t, err)
			removalOp := audit.OpDeleteRole
			if unassign {
				removalOp = audit.OpUnassignRole
			}
			var removal int64
			kicks := 0
			for _, e := range entries { // newest first
				switch e.Op {
				case removalOp:
					removal = e.ID
				case audit.OpKickUsers:
					kicks++
					if removal != 0 {
						continue
					}
					t.Errorf("round %d: kick entry %d committed after the removal", round, e.ID)
				}
			}
			if removal == 0 || kicks != int(kicked.Load()) {
				t.Fatalf("round %d: removal entry %d, %d kick entries for %d kicks", round, removal, kicks, kicked.Load())
			}
			t.Logf("round %d (unassign %v): %d kicks before the removal, %d refused", round, unassign, kicked.Load(), refused.Load())
		}
	})
}
