package lua_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/runtime"
	"github.com/guildhall/guildhall/runtime/runtimetest"
)

// TestHooksChainLua runs the shared hook-chain table: hooks registered on one
// operation all run, in registration order, as in JavaScript.
func TestHooksChainLua(t *testing.T) {
	for _, tc := range runtimetest.HookChain {
		t.Run(tc.Name, func(t *testing.T) {
			e := sqliteEnv(t)
			var mu sync.Mutex
			var events []string
			e.reg.RegisterEvent(func(_ context.Context, ev hooks.Event) {
				mu.Lock()
				events = append(events, ev.Name)
				mu.Unlock()
			})
			var b strings.Builder
			b.WriteString("local nk = require(\"nakama\")\n")
			for _, tag := range tc.Before {
				fmt.Fprintf(&b, "nk.register_req_before(function(context, payload) table.insert(payload.user_ids, %q); return payload end, \"KickGroupUsers\")\n", tag)
			}
			for _, tag := range tc.After {
				fmt.Fprintf(&b, "nk.register_req_after(function(context, outgoing, incoming) nk.event(%q, {}) end, \"KickGroupUsers\")\n", tag)
			}
			e.mustLoad(t, runtime.Config{Path: modules(t, map[string]string{"chain.lua": b.String()}), PoolSize: 1})

			var got *groups.GroupUsersRequest
			_, err := hooks.Run(context.Background(), hooks.KickGroupUsers.Point(e.reg), &hooks.Caller{UserID: "u1"},
				&groups.GroupUsersRequest{GroupID: "g", UserIDs: tc.UserIDs},
				func(_ context.Context, r *groups.GroupUsersRequest) (hooks.Empty, error) {
					got = r
					return hooks.Empty{}, nil
				})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.UserIDs, tc.WantUserIDs) {
				t.Errorf("user ids reaching the operation %q, want %q", got.UserIDs, tc.WantUserIDs)
			}
			mu.Lock()
			defer mu.Unlock()
			if !reflect.DeepEqual(events, tc.WantEvents) {
				t.Errorf("after hooks ran as %q, want %q", events, tc.WantEvents)
			}
		})
	}
}

const maxCountLua = `
local nk = require("nakama")
nk.register_rpc(function(context, payload)
  local p = nk.json_decode(payload)
  if p.op == "create" then
    nk.group_create(p.owner, "refused", nil, nil, nil, nil, true, nil, p.n)
  else
    nk.group_update(p.group, nil, nil, nil, nil, nil, nil, nil, nil, p.n)
  end
end, "max_count")
`

// TestMaxCountRuleLua runs the shared max-count table: the binding only
// decodes the number; the error is the groups service's, as in JavaScript.
func TestMaxCountRuleLua(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := newEnv(t, dialect, url)
		owner := testapp.CreateUsers(t, e.db, 1)[0]
		g, err := e.svc.CreateGroup(context.Background(), groups.UserActor(owner, ""),
			groups.CreateGroupRequest{Name: "kept", MaxCount: 10})
		if err != nil {
			t.Fatal(err)
		}
		e.mustLoad(t, runtime.Config{Path: modules(t, map[string]string{"m.lua": maxCountLua}), PoolSize: 1})
		for _, tc := range runtimetest.MaxCount {
			payload, _ := json.Marshal(map[string]any{"op": tc.Op, "owner": owner, "group": g.ID, "n": tc.MaxCount})
			_, err := e.rpc(t, context.Background(), "max_count", string(payload))
			ge, ok := errs.AsError(err)
			if !ok || int(ge.Code) != tc.Code || ge.Message != tc.Message {
				t.Errorf("%s: got %#v, want %d %q", tc.Name, err, tc.Code, tc.Message)
			}
		}
		gs, err := e.svc.GetGroups(context.Background(), []string{g.ID})
		if err != nil || len(gs) != 1 || gs[0].MaxCount != 10 {
			t.Fatalf("group after the refused updates: %+v %v", gs, err)
		}
		l, err := e.svc.ListGroups(context.Background(), groups.ListGroupsRequest{Name: "refused"})
		if err != nil || len(l.Groups) != 0 {
			t.Fatalf("a refused create stored a group: %+v %v", l.Groups, err)
		}
	})
}
