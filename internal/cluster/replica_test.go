package cluster_test

import (
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/internal/cluster"
	"github.com/guildhall/guildhall/internal/testdb"
)

// eventually polls cond every 50 ms for at most d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReadReplica: a guildhall with --database.read_url on a real streaming
// replica. With the replica's replay paused, a group created afterwards is
// written (the primary took the write), read by GetGroup and joined (reads
// inside the join's transaction are the primary's), but not listed by
// ListGroups, ListGroupUsers or ListUserGroups, which read the replica; once
// replay resumes, the listings show it. With the replica stopped, the
// listings answer from the primary and /readyz stays ready.
func TestReadReplica(t *testing.T) {
	primary := testdb.Postgres(t)
	replica := cluster.StartReplica(t)
	n := startNode(t, map[string]string{
		"GUILDHALL_DATABASE_URL":      primary,
		"GUILDHALL_DATABASE_READ_URL": replica.URL(primary),
	})
	owner, _ := n.session("replica-owner")
	bob, bobID := n.session("replica-bob")
	listed := func(name, gid string) bool {
		return has(ids(n.ok("GET", "/v2/group?limit=10&name="+name, owner, "").Body, "groups", ""), gid)
	}

	// Replication runs: a new group reaches the replica, and the listing.
	g1 := n.ok("POST", "/v2/group", owner, `{"name":"replica-one","open":true}`).Body["id"].(string)
	eventually(t, 30*time.Second, "the first group replicated", func() bool {
		var n int
		err := cluster.TryQuery(replica.URL(primary), "SELECT count(*) FROM groups WHERE id = '"+g1+"'", &n)
		return err == nil && n == 1
	})
	if !listed("replica-one", g1) {
		t.Fatal("the first group is on the replica but not listed")
	}

	cluster.Query(t, replica.URL(primary), "SELECT pg_wal_replay_pause()")
	g2 := n.ok("POST", "/v2/group", owner, `{"name":"replica-two","open":true}`).Body["id"].(string)
	n.ok("GET", "/v2/group/"+g2, bob, "")
	n.ok("POST", "/v2/group/"+g2+"/join", bob, "")
	var onPrimary, onReplica int
	cluster.Query(t, primary, "SELECT count(*) FROM group_members WHERE group_id = '"+g2+"'", &onPrimary)
	cluster.Query(t, replica.URL(primary), "SELECT count(*) FROM group_members WHERE group_id = '"+g2+"'", &onReplica)
	if onPrimary != 2 || onReplica != 0 {
		t.Fatalf("members of the new group: %d on the primary, %d on the paused replica; want 2 and 0", onPrimary, onReplica)
	}
	if listed("replica-two", g2) {
		t.Fatal("ListGroups shows a group the paused replica does not have: it did not read the replica")
	}
	if m := ids(n.ok("GET", "/v2/group/"+g2+"/user", bob, "").Body, "group_users", "user"); len(m) != 0 {
		t.Fatalf("ListGroupUsers did not read the replica: %v", m)
	}
	if g := ids(n.ok("GET", "/v2/user/"+bobID+"/group", bob, "").Body, "user_groups", "group"); has(g, g2) {
		t.Fatalf("ListUserGroups did not read the replica: %v", g)
	}

	cluster.Query(t, replica.URL(primary), "SELECT pg_wal_replay_resume()")
	eventually(t, 20*time.Second, "the second group and bob listed after replay resumed", func() bool {
		return listed("replica-two", g2) &&
			has(ids(n.ok("GET", "/v2/group/"+g2+"/user", bob, "").Body, "group_users", "user"), bobID) &&
			has(ids(n.ok("GET", "/v2/user/"+bobID+"/group", bob, "").Body, "user_groups", "group"), g2)
	})

	// The replica goes down: listings fall back to the primary at once, the
	// server stays ready.
	replica.Stop()
	g3 := n.ok("POST", "/v2/group", owner, `{"name":"replica-three","open":true}`).Body["id"].(string)
	if !listed("replica-three", g3) {
		t.Fatal("with the replica down, the listing does not show a group the primary has")
	}
	if m := ids(n.ok("GET", "/v2/group/"+g3+"/user", owner, "").Body, "group_users", "user"); len(m) != 1 {
		t.Fatalf("members listed with the replica down: %v", m)
	}
	if res := n.do("GET", "/readyz", "", ""); res.Status != 200 {
		t.Fatalf("/readyz with the replica down: %d %s", res.Status, res.Raw)
	}
	if out := n.srv.Output(); !strings.Contains(out, "read replica unavailable") {
		t.Fatalf("no warning about the replica in the log:\n%s", out)
	}
}
