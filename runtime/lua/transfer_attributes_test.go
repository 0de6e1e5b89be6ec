package lua_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/runtime"
)

const transferAttributesLua = `
local nk = require("nakama")
local function flow(ctx, payload)
  local p = nk.json_decode(payload)
  nk.group_transfer({group_id = p.group, user_id = p.member}, p.owner)
  local after_transfer = nk.group_get({group_id = p.group}, p.member).state
  local put = nk.group_attribute_put({group_id = p.group, key = "motd", value = "hello"}, p.member)
  local ok, err = pcall(nk.group_attribute_put, {group_id = p.group, key = "motd", value = "mine"}, p.owner)
  nk.group_attribute_put({group_id = p.group, key = "season", value = "7", only_creator_can_edit = false})
  local as_owner = nk.group_attributes_list({group_id = p.group}, p.owner)
  nk.group_attribute_delete({group_id = p.group, key = "motd"}, p.member)
  local as_system = nk.group_attributes_list({group_id = p.group})
  nk.group_transfer({group_id = p.group, user_id = p.owner})
  return nk.json_encode({after_transfer = after_transfer, creator = put.creator_id, only_creator = put.only_creator_can_edit,
    can_edit = put.can_edit, refused = tostring(err), n = #as_owner.attributes, first = as_owner.attributes[1].key,
    first_can_edit = as_owner.attributes[1].can_edit, second_can_edit = as_owner.attributes[2].can_edit,
    left = #as_system.attributes, back = nk.group_get({group_id = p.group}, p.owner).state,
    member_now = nk.group_get({group_id = p.group}, p.member).state})
end
nk.register_rpc(flow, "flow")
`

// TestTransferAttributesNKLua: as TestTransferAttributesNKJS, in Lua.
func TestTransferAttributesNKLua(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := newEnv(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 2)
		ctx := context.Background()
		g, err := e.svc.CreateGroup(ctx, groups.UserActor(u[0], ""), groups.CreateGroupRequest{Name: "nk clan"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.AddUsers(ctx, groups.SystemActor(), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: u[1:]}); err != nil {
			t.Fatal(err)
		}
		e.mustLoad(t, runtime.Config{Path: modules(t, map[string]string{"m.lua": transferAttributesLua}), PoolSize: 1})
		payload, _ := json.Marshal(map[string]string{"group": g.ID, "owner": u[0], "member": u[1]})
		out, err := e.rpc(t, ctx, "flow", string(payload))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		want := map[string]any{"after_transfer": 0.0, "creator": u[1], "only_creator": true, "can_edit": true,
			"n": 2.0, "first": "motd", "first_can_edit": false, "second_can_edit": true, "left": 1.0, "back": 0.0,
			"member_now": 1.0}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %#v, want %#v (all: %s)", k, got[k], v, out)
			}
		}
		if s, _ := got["refused"].(string); !strings.Contains(s, "Attribute can only be edited by its creator.") {
			t.Errorf("an admin's edit of a creator-only attribute: %q", s)
		}
	})
}
