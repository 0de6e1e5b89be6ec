package store_test

import (
	"testing"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestTagIndexHoldsTaggedGroupsOnly: every membership change rewrites its
// group's row through every index of groups (edge_count and update_time are
// indexed, so the update is never HOT); the tag index must not take an entry
// per untagged group, or each join and leave pays an insertion for nothing.
func TestTagIndexHoldsTaggedGroupsOnly(t *testing.T) {
	e := setup(t, testdb.DialectPostgres, testdb.Postgres(t))
	u := testapp.CreateUsers(t, e.db, 2)
	owner, ann := groups.UserActor(u[0], "owner"), groups.UserActor(u[1], "ann")
	tagged, err := e.svc.CreateGroup(ctx, owner, groups.CreateGroupRequest{Name: "tagged", Tag: "TAG", JoinPolicy: "open"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		g, err := e.svc.CreateGroup(ctx, owner, groups.CreateGroupRequest{Name: "plain " + string(rune('a'+i)), JoinPolicy: "open"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.JoinGroup(ctx, ann, groups.JoinGroupRequest{GroupID: g.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.svc.JoinGroup(ctx, ann, groups.JoinGroupRequest{GroupID: tagged.ID}); err != nil {
		t.Fatal(err)
	}
	db, err := e.db.Write.DB()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "VACUUM groups"); err != nil {
		t.Fatal(err)
	}
	var entries float64
	if err := db.QueryRowContext(ctx, "SELECT reltuples FROM pg_class WHERE relname = 'groups_tag_key_idx'").Scan(&entries); err != nil {
		t.Fatal(err)
	}
	if entries != 1 {
		t.Fatalf("the tag index holds %v entries for 21 groups of which 1 is tagged, want 1", entries)
	}
	// Still unique among tagged groups, case-insensitively.
	if _, err := e.svc.CreateGroup(ctx, owner, groups.CreateGroupRequest{Name: "again", Tag: "tag"}); err == nil {
		t.Fatal("a second group took a tag in use")
	}
}
