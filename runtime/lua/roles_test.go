package lua_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/runtime"
)

const rolesLua = `
local nk = require("nakama")
local function flow(ctx, payload)
  local p = nk.json_decode(payload)
  local role = nk.group_role_create({group_id = p.group, name = "Officer", rank = 150, permissions = {"kick", "invite"}}, p.owner)
  nk.group_role_assign({group_id = p.group, role_id = role.id, user_ids = {p.officer}}, p.owner)
  local listed = nk.group_roles_list({group_id = p.group}, p.member)
  local users = nk.group_users_list(p.group)
  local officer_role = ""
  for _, gu in ipairs(users) do
    if gu.user.user_id == p.officer then officer_role = gu.role.name .. " " .. gu.role.rank end
  end
  nk.group_users_kick(p.group, {p.member, p.admin}, p.officer)
  local updated = nk.group_role_update({group_id = p.group, role_id = role.id, name = "Captain", permissions = {"ban"}})
  local ok, no_kick = pcall(nk.group_users_kick, p.group, {p.admin}, p.officer)
  nk.group_role_unassign({group_id = p.group, role_id = role.id, user_ids = {p.officer}})
  nk.group_role_delete({group_id = p.group, role_id = role.id}, p.owner)
  local ok2, bad_rank = pcall(nk.group_role_create, {group_id = p.group, name = "X", rank = 400})
  local after = #nk.group_users_list(p.group)
  return nk.json_encode({name = role.name, rank = role.rank, perms = table.concat(role.permissions, ","), group = role.group_id,
    listed = #listed.roles, officer_role = officer_role, after = after, updated = updated.name .. " " .. table.concat(updated.permissions, ","),
    no_kick = tostring(no_kick), bad_rank = tostring(bad_rank), left = #nk.group_roles_list({group_id = p.group}).roles})
end
nk.register_rpc(flow, "flow")
`

// TestRoleNKLua: as TestRoleNKJS, in Lua (snake_case names).
func TestRoleNKLua(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := newEnv(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 4)
		ctx := context.Background()
		open := true
		g, err := e.svc.CreateGroup(ctx, groups.UserActor(u[0], ""), groups.CreateGroupRequest{Name: "nk roles", Open: &open})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.AddUsers(ctx, groups.UserActor(u[0], ""), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: u[1:]}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.PromoteUsers(ctx, groups.UserActor(u[0], ""), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: u[3:]}); err != nil {
			t.Fatal(err)
		}
		// A dozen service calls in one script call: a long deadline and no
		// memory watchdog (process-wide heap), so a loaded machine or another
		// test's garbage cannot fail what this test is about.
		e.mustLoad(t, runtime.Config{Path: modules(t, map[string]string{"m.lua": rolesLua}), PoolSize: 1,
			CallTimeout: 30 * time.Second, MaxCallMemory: -1})
		payload, _ := json.Marshal(map[string]string{"group": g.ID, "owner": u[0], "officer": u[1], "member": u[2], "admin": u[3]})
		out, err := e.rpc(t, ctx, "flow", string(payload))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		want := map[string]any{"name": "Officer", "rank": 150.0, "perms": "invite,kick", "group": g.ID, "listed": 1.0,
			"officer_role": "Officer 150", "after": 3.0, "updated": "Captain ban", "left": 0.0}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %#v, want %#v (all: %s)", k, got[k], v, out)
			}
		}
		// Errors carry the script position first.
		for k, v := range map[string]string{"no_kick": ": Group not found or permission denied.",
			"bad_rank": ": Role rank 400 is out of range: ranks are 101 to 299."} {
			if s, _ := got[k].(string); !strings.HasSuffix(s, v) {
				t.Errorf("%s = %q, want it to end in %q", k, s, v)
			}
		}
	})
}
