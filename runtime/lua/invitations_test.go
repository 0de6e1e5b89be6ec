package lua_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/runtime"
)

const invitationsLua = `
local nk = require("nakama")
local function flow(ctx, payload)
  local p = nk.json_decode(payload)
  local sent = nk.group_users_invite({group_id = p.group, user_ids = {p.invitee}, message = "hi"}, p.owner)
  local mine = nk.invitations_list({limit = 10}, p.invitee)
  local theirs = nk.group_invitations_list({group_id = p.group}, p.owner)
  nk.invitation_accept({invitation_id = mine.invitations[1].id}, p.invitee)
  local g = nk.group_get({group_id = p.group}, p.invitee)
  local ok, err = pcall(nk.invitation_decline, {invitation_id = sent.invitations[1].id}, p.invitee)
  return nk.json_encode({sent = sent.invitations[1].id, mine = mine.invitations[1].id, state = mine.invitations[1].state,
    group_name = mine.invitations[1].group_name, theirs = #theirs.invitations, member = g.state,
    policy = g.group.join_policy, category = g.group.category, refused = tostring(err)})
end
local function off(ctx, payload)
  local ok, err = pcall(nk.groups_get_id, {payload})
  return tostring(err)
end
nk.register_rpc(flow, "flow")
nk.register_rpc(off, "off")
`

// TestInvitationNKLua: as TestInvitationNKJS, in Lua (snake_case names).
func TestInvitationNKLua(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := newEnv(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 2)
		g, err := e.svc.CreateGroup(context.Background(), groups.UserActor(u[0], ""),
			groups.CreateGroupRequest{Name: "nk clan", JoinPolicy: "invite_only"})
		if err != nil {
			t.Fatal(err)
		}
		e.mustLoad(t, runtime.Config{Path: modules(t, map[string]string{"m.lua": invitationsLua}), PoolSize: 1})
		payload, _ := json.Marshal(map[string]string{"group": g.ID, "owner": u[0], "invitee": u[1]})
		out, err := e.rpc(t, context.Background(), "flow", string(payload))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		want := map[string]any{"sent": got["mine"], "state": "pending", "group_name": "nk clan", "theirs": 1.0,
			"member": 2.0, "policy": "invite_only", "category": "group"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %#v, want %#v (all: %s)", k, got[k], v, out)
			}
		}
		if s, _ := got["refused"].(string); !strings.Contains(s, "Invitation is no longer pending.") {
			t.Errorf("decline after accept: %q", s)
		}
	})
}

// TestNKGroupsDisabledLua: with groups disabled, nk group calls fail with
// the API's message.
func TestNKGroupsDisabledLua(t *testing.T) {
	db := testapp.OpenDB(t, testdb.DialectSQLite, testdb.SQLite(t))
	e := &env{db: db, svc: groups.NewService(store.NewGroups(db), groups.WithGroupsDisabled()), reg: hooks.New(quiet)}
	e.mustLoad(t, runtime.Config{Path: modules(t, map[string]string{"m.lua": invitationsLua}), PoolSize: 1})
	out, err := e.rpc(t, context.Background(), "off", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	if err != nil || !strings.Contains(out, "Groups are disabled.") {
		t.Fatalf("got %q %v", out, err)
	}
}
