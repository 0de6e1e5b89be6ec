package realtime_test

import (
	"testing"
	"time"

	"github.com/guildhall/guildhall/internal/childserver"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestTwoNodesNewMember: the new-member notification, which is not stored,
// reaches a member whose socket is on another node than the add: each node
// finds its own sockets' members.
func TestTwoNodesNewMember(t *testing.T) {
	url := testdb.Postgres(t)
	env := map[string]string{"GUILDHALL_DATABASE_URL": url, "GUILDHALL_LOG_LEVEL": "warn"}
	a := node{t, childserver.Start(t, childserver.Options{Env: env})}
	b := node{t, childserver.Start(t, childserver.Options{Env: env})} // after A: A has migrated
	aliceTok, _ := a.session("kinds-multinode-alice")
	bobTok, bobID := b.session("kinds-multinode-bob")
	_, carolID := a.session("kinds-multinode-carol")

	gid := a.call("POST", "/v2/group", aliceTok, `{"name":"Two Nodes Kinds","open":false}`)["id"].(string)
	bs := b.dial(bobTok)
	bs.request("p", `{"cid":"p","ping":{}}`)
	// Bob's -4 is stored: it arrives even if B's listener was not up yet
	// (B catches up when it connects), and once it has, B listens. A
	// live-only notice sent before that would be lost, as on any node
	// whose listener is down.
	b.call("POST", "/v2/group/"+gid+"/join", bobTok, "")
	a.call("POST", "/v2/group/"+gid+"/add?user_ids="+bobID, aliceTok, "")
	bs.nextWhere("bob's -4", func(m map[string]any) bool {
		list := asList(get(m, "notifications", "notifications"))
		return len(list) == 1 && get(list[0], "code") == -4.0
	})
	a.call("POST", "/v2/group/"+gid+"/add?user_ids="+carolID, aliceTok, "")
	within(t, bs, time.Second, "the -102 of carol's add on A", func(m map[string]any) bool {
		list := asList(get(m, "notifications", "notifications"))
		return len(list) == 1 && get(list[0], "code") == -102.0 &&
			get(list[0], "content") == `{"group_id":"`+gid+`","group_name":"Two Nodes Kinds","kind":"new_member","newGroupMember":"`+carolID+`"}`
	})
}
