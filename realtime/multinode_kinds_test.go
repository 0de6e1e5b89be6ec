package realtime_test

import (
	"testing"
	"time"

	"github.com/guildhall/guildhall/internal/childserver"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestTwoNodesNewMember: the new-member notification, which is not stored,
// reaches a member whose socket is on another node than the join: each node
// finds its own sockets' members.
func TestTwoNodesNewMember(t *testing.T) {
	url := testdb.Postgres(t)
	env := map[string]string{"GUILDHALL_DATABASE_URL": url, "GUILDHALL_LOG_LEVEL": "warn"}
	a := node{t, childserver.Start(t, childserver.Options{Env: env})}
	b := node{t, childserver.Start(t, childserver.Options{Env: env})} // after A: A has migrated
	aliceTok, _ := a.session("kinds-multinode-alice")
	bobTok, _ := b.session("kinds-multinode-bob")
	carolTok, carolID := a.session("kinds-multinode-carol")

	gid := a.call("POST", "/v2/group", aliceTok, `{"name":"Two Nodes Kinds","open":true}`)["id"].(string)
	b.call("POST", "/v2/group/"+gid+"/join", bobTok, "")
	bs := b.dial(bobTok)
	bs.request("p", `{"cid":"p","ping":{}}`)
	a.call("POST", "/v2/group/"+gid+"/join", carolTok, "")
	within(t, bs, time.Second, "the -102 of carol's join on A", func(m map[string]any) bool {
		list := asList(get(m, "notifications", "notifications"))
		return len(list) == 1 && get(list[0], "code") == -102.0 &&
			get(list[0], "content") == `{"group_id":"`+gid+`","group_name":"Two Nodes Kinds","kind":"new_member","newGroupMember":"`+carolID+`"}`
	})
}
