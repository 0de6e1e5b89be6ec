package js_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/runtime"
	"github.com/guildhall/guildhall/runtime/js"
	"github.com/guildhall/guildhall/runtime/runtimetest"
)

// loadApp loads index.js over a real groups service and hooks registry.
func loadApp(t *testing.T, app *testapp.App, code string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	rt, err := js.Load(context.Background(), runtime.Config{Path: dir, PoolSize: 1},
		runtime.Deps{Groups: app.Groups, Hooks: app.Hooks, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
}

// TestHooksChainJS runs the shared hook-chain table: hooks registered on one
// operation all run, in registration order, as in Lua.
func TestHooksChainJS(t *testing.T) {
	for _, tc := range runtimetest.HookChain {
		t.Run(tc.Name, func(t *testing.T) {
			app := testapp.New(t, testdb.DialectSQLite, testdb.SQLite(t))
			var mu sync.Mutex
			var events []string
			app.Hooks.RegisterEvent(func(_ context.Context, e hooks.Event) {
				mu.Lock()
				events = append(events, e.Name)
				mu.Unlock()
			})
			var b strings.Builder
			var regs []string
			for i, tag := range tc.Before {
				fmt.Fprintf(&b, "function before%d(ctx, logger, nk, data) { data.userIds.push(%q); return data; }\n", i, tag)
				regs = append(regs, fmt.Sprintf("initializer.registerBeforeKickGroupUsers(before%d);", i))
			}
			for i, tag := range tc.After {
				fmt.Fprintf(&b, "function after%d(ctx, logger, nk, out, input) { nk.event(%q, {}); }\n", i, tag)
				regs = append(regs, fmt.Sprintf("initializer.registerAfterKickGroupUsers(after%d);", i))
			}
			fmt.Fprintf(&b, "function InitModule(ctx, logger, nk, initializer) {\n%s\n}\n", strings.Join(regs, "\n"))
			loadApp(t, app, b.String())

			got, err := kick(context.Background(), app.Hooks, &hooks.Caller{UserID: "u1"},
				&groups.GroupUsersRequest{GroupID: "g", UserIDs: tc.UserIDs})
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

const maxCountJS = `
function maxCount(ctx, logger, nk, payload) {
  var p = JSON.parse(payload);
  if (p.op === 'create') {
    nk.groupCreate(p.owner, 'refused', null, null, null, null, true, null, p.n);
  } else {
    nk.groupUpdate(p.group, null, null, null, null, null, null, null, null, p.n);
  }
}
function InitModule(ctx, logger, nk, initializer) { initializer.registerRpc('max_count', maxCount); }
`

// TestMaxCountRuleJS runs the shared max-count table: the binding only
// decodes the number; the error is the groups service's, as in Lua.
func TestMaxCountRuleJS(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		app := testapp.New(t, dialect, url)
		owner := testapp.CreateUsers(t, app.DB, 1)[0]
		g, err := app.Groups.CreateGroup(context.Background(), groups.UserActor(owner, ""),
			groups.CreateGroupRequest{Name: "kept", MaxCount: 10})
		if err != nil {
			t.Fatal(err)
		}
		loadApp(t, app, maxCountJS)
		rpc, _ := app.Hooks.RPC("max_count")
		for _, tc := range runtimetest.MaxCount {
			payload, _ := json.Marshal(map[string]any{"op": tc.Op, "owner": owner, "group": g.ID, "n": tc.MaxCount})
			_, err := rpc(context.Background(), &hooks.Caller{HTTPKey: true}, string(payload))
			if ge := codeOf(t, err); int(ge.Code) != tc.Code || ge.Message != tc.Message {
				t.Errorf("%s: got %d %q, want %d %q", tc.Name, ge.Code, ge.Message, tc.Code, tc.Message)
			}
		}
		gs, err := app.Groups.GetGroups(context.Background(), []string{g.ID})
		if err != nil || len(gs) != 1 || gs[0].MaxCount != 10 {
			t.Fatalf("group after the refused updates: %+v %v", gs, err)
		}
		l, err := app.Groups.ListGroups(context.Background(), groups.ListGroupsRequest{Name: "refused"})
		if err != nil || len(l.Groups) != 0 {
			t.Fatalf("a refused create stored a group: %+v %v", l.Groups, err)
		}
	})
}
