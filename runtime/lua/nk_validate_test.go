package lua_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/runtime"
)

// nkValidateScript calls nk with a number no INTEGER column holds and with
// upper-case ids (issue 8, item 11).
const nkValidateScript = `
local nk = require("nakama")
nk.register_rpc(function(context, payload)
  local ids = nk.json_decode(payload)
  nk.group_update(ids.group, nil, nil, nil, nil, nil, nil, nil, nil, 2^40)
end, "huge_max_count")
nk.register_rpc(function(context, payload)
  local ids = nk.json_decode(payload)
  nk.group_create(ids.owner, "huge", nil, nil, nil, nil, true, nil, 2^40)
end, "huge_create")
nk.register_rpc(function(context, payload)
  local ids = nk.json_decode(payload)
  local up = string.upper
  nk.group_user_join(up(ids.group), up(ids.a), "a")
  nk.group_user_join(ids.group, up(ids.a), "a")
  nk.group_users_add(ids.group, {up(ids.a), up(ids.b)}, up(ids.owner))
  nk.group_users_kick(ids.group, {up(ids.b)}, up(ids.owner))
  local members = nk.group_users_list(ids.group)
  local out = {}
  for _, m in ipairs(members) do out[m.user.user_id] = m.state end
  return nk.json_encode(out)
end, "upper_ids")
`

func TestLuaNKValidation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := newEnv(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 3)
		g, err := e.svc.CreateGroup(context.Background(), groups.UserActor(u[0], ""), groups.CreateGroupRequest{Name: "closed", MaxCount: 10})
		if err != nil {
			t.Fatal(err)
		}
		e.mustLoad(t, runtime.Config{Path: modules(t, map[string]string{"v.lua": nkValidateScript}), PoolSize: 1})
		payload, _ := json.Marshal(map[string]string{"group": g.ID, "owner": u[0], "a": u[1], "b": u[2]})

		_, err = e.rpc(t, context.Background(), "huge_max_count", string(payload))
		wantCode(t, err, errs.CodeInvalidArgument, "Group max count must be at most 2147483647.")
		_, err = e.rpc(t, context.Background(), "huge_create", string(payload))
		wantCode(t, err, errs.CodeInvalidArgument, "Group max count must be at most 2147483647.")
		gs, err := e.svc.GetGroups(context.Background(), []string{g.ID})
		if err != nil || len(gs) != 1 || gs[0].MaxCount != 10 {
			t.Fatalf("group after the refused update: %+v %v", gs, err)
		}
		l, err := e.svc.ListGroups(context.Background(), groups.ListGroupsRequest{Name: "huge"})
		if err != nil || len(l.Groups) != 0 {
			t.Fatalf("refused create stored a group: %+v %v", l.Groups, err)
		}

		out, err := e.rpc(t, context.Background(), "upper_ids", string(payload))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]float64
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if len(got) != 2 || got[u[0]] != 0 || got[u[1]] != 2 {
			t.Fatalf("members %s, want the owner (0) and %s accepted as a member (2)", out, u[1])
		}
		for id := range got {
			if id != strings.ToLower(id) {
				t.Fatalf("non-canonical id listed: %s", out)
			}
		}
	})
}
