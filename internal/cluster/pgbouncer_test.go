package cluster_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/guildhall/guildhall/internal/cluster"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestThroughPgBouncer: two guildhall processes whose database URL goes
// through a real PgBouncer in transaction pooling mode (8 server connections
// for 2 × 32 client ones, so consecutive transactions of one client
// connection run on different server connections), with the realtime bus on
// a direct URL, and no pooler setting: the server detects PgBouncer and
// keeps no session state. Create (with an idempotent retry), join, kick, the
// listings, an RPC's nk calls and a race of 30 joins on a group of
// max_count 10 all work, and the group's invariants hold afterwards.
func TestThroughPgBouncer(t *testing.T) {
	direct := testdb.Postgres(t)
	bouncer := cluster.StartPgBouncer(t, cluster.PgBouncerOptions{})
	env := map[string]string{
		"GUILDHALL_DATABASE_URL":        bouncer.URL(direct),
		"GUILDHALL_DATABASE_LISTEN_URL": direct,
	}
	a := startNode(t, env)
	b := startNode(t, env) // after A: A has migrated
	for _, n := range []node{a, b} {
		if !strings.Contains(n.srv.Output(), "pooler=transaction") {
			t.Fatalf("the server did not detect PgBouncer:\n%s", n.srv.Output())
		}
	}
	exercise(t, a, b, direct)
}

// TestThroughPgBouncerIgnoringParameters: a PgBouncer that drops unknown
// startup parameters cannot be detected; --database.pooler=transaction is
// then what makes the same scenario work.
func TestThroughPgBouncerIgnoringParameters(t *testing.T) {
	direct := testdb.Postgres(t)
	bouncer := cluster.StartPgBouncer(t, cluster.PgBouncerOptions{IgnoreStartupParameters: []string{"plan_cache_mode"}})
	env := map[string]string{
		"GUILDHALL_DATABASE_URL":        bouncer.URL(direct),
		"GUILDHALL_DATABASE_LISTEN_URL": direct,
		"GUILDHALL_DATABASE_POOLER":     "transaction",
	}
	exercise(t, startNode(t, env), startNode(t, env), direct)
}

// exercise drives the group operations through nodes a and b and checks the
// results on the primary, direct.
func exercise(t *testing.T, a, b node, direct string) {
	owner, ownerID := a.session("pgb-owner")
	bob, bobID := b.session("pgb-bob")

	// Create with an Idempotency-Key, retried on the other node: one group.
	create := `{"name":"pgbouncer-guild","open":true,"max_count":100}`
	first := a.ok("POST", "/v2/group", owner, create, "Idempotency-Key", "pgb-create-1")
	retry := b.ok("POST", "/v2/group", owner, create, "Idempotency-Key", "pgb-create-1")
	gid := first.Body["id"].(string)
	if retry.Body["id"] != gid || retry.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %s (replayed %q), want group %s replayed", retry.Raw, retry.Header.Get("Idempotent-Replayed"), gid)
	}
	var groupsNamed int
	cluster.Query(t, direct, "SELECT count(*) FROM groups WHERE name = 'pgbouncer-guild'", &groupsNamed)
	if groupsNamed != 1 {
		t.Fatalf("%d groups created, want 1", groupsNamed)
	}

	// Join on B, listed on A; kicked on A, gone on B.
	b.ok("POST", "/v2/group/"+gid+"/join", bob, "")
	if m := ids(a.ok("GET", "/v2/group/"+gid+"/user", owner, "").Body, "group_users", "user"); !has(m, bobID) || !has(m, ownerID) {
		t.Fatalf("members after the join: %v", m)
	}
	if g := ids(a.ok("GET", "/v2/user/"+bobID+"/group", bob, "").Body, "user_groups", "group"); !has(g, gid) {
		t.Fatalf("bob's groups: %v", g)
	}
	if g := ids(b.ok("GET", "/v2/group?name=pgbouncer-guild&limit=10", bob, "").Body, "groups", ""); len(g) != 1 || g[0] != gid {
		t.Fatalf("listing by name: %v", g)
	}
	a.ok("POST", "/v2/group/"+gid+"/kick?user_ids="+bobID, owner, "")
	if m := ids(b.ok("GET", "/v2/group/"+gid+"/user", owner, "").Body, "group_users", "user"); has(m, bobID) {
		t.Fatalf("bob still listed after the kick: %v", m)
	}

	// An RPC's nk calls (groupUpdate, groupsGetId) shrink the group to 10.
	rpc := b.ok("POST", "/v2/rpc/resize_group?http_key=defaulthttpkey&unwrap", "",
		mustJSON(t, map[string]any{"group_id": gid, "max_count": 10}))
	if !strings.Contains(string(rpc.Raw), `\"max_count\":10`) && !strings.Contains(string(rpc.Raw), `"max_count":10`) {
		t.Fatalf("resize_group: %s", rpc.Raw)
	}

	// 30 users race to join through both nodes: 9 places are left.
	const racers = 30
	tokens := make([]string, racers)
	for i := range tokens {
		n := []node{a, b}[i%2]
		tokens[i], _ = n.session(fmt.Sprintf("pgb-racer-%d", i))
	}
	var wg sync.WaitGroup
	status := make([]int, racers)
	body := make([]string, racers)
	for i := range tokens {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			n := []node{a, b}[i%2]
			res := n.do("POST", "/v2/group/"+gid+"/join", tokens[i], "")
			status[i], body[i] = res.Status, string(res.Raw)
		}(i)
	}
	wg.Wait()
	joined := 0
	for i, s := range status {
		switch {
		case s == 200:
			joined++
		case s >= 500 || !strings.Contains(body[i], `"code"`):
			t.Fatalf("join %d: %d %s", i, s, body[i])
		}
	}
	if joined != 9 {
		t.Fatalf("%d joins succeeded, want 9 (max_count 10, the owner is a member): %v", joined, status)
	}
	var edges, members, maxCount int
	cluster.Query(t, direct, "SELECT edge_count, max_count FROM groups WHERE id = '"+gid+"'", &edges, &maxCount)
	cluster.Query(t, direct, "SELECT count(*) FROM group_members WHERE group_id = '"+gid+"' AND state <= 2", &members)
	if edges != 10 || members != 10 || maxCount != 10 {
		t.Fatalf("edge_count %d, member rows %d, max_count %d; want 10, 10, 10", edges, members, maxCount)
	}
	if m := ids(a.ok("GET", "/v2/group/"+gid+"/user?limit=100", owner, "").Body, "group_users", "user"); len(m) != 10 {
		t.Fatalf("%d members listed, want 10", len(m))
	}
	// The audit log was written in the operations' transactions through
	// PgBouncer too: the create, bob's join and kick, the resize, 9 joins.
	var audited int
	cluster.Query(t, direct, "SELECT count(*) FROM audit_log WHERE group_id = '"+gid+"'", &audited)
	if audited != 13 {
		t.Fatalf("%d audit entries, want 13", audited)
	}
}
