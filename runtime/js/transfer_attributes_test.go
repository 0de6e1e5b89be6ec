package js_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/runtime"
	"github.com/guildhall/guildhall/runtime/js"
)

const transferAttributesJS = `
function flow(ctx, logger, nk, payload) {
  var p = JSON.parse(payload);
  nk.groupTransfer({groupId: p.group, userId: p.member}, p.owner);
  var afterTransfer = nk.groupGet({groupId: p.group}, p.member).state;
  var put = nk.groupAttributePut({groupId: p.group, key: 'motd', value: 'hello'}, p.member);
  var refused = '';
  try { nk.groupAttributePut({groupId: p.group, key: 'motd', value: 'mine'}, p.owner); } catch (e) { refused = e.code + ' ' + e.message; }
  nk.groupAttributePut({group_id: p.group, key: 'season', value: '7', only_creator_can_edit: false});
  var asOwner = nk.groupAttributesList({groupId: p.group}, p.owner);
  nk.groupAttributeDelete({groupId: p.group, key: 'motd'}, p.member);
  var asSystem = nk.groupAttributesList({groupId: p.group});
  nk.groupTransfer({groupId: p.group, userId: p.owner});
  return JSON.stringify({afterTransfer: afterTransfer, creator: put.creatorId, onlyCreator: put.onlyCreatorCanEdit,
    canEdit: put.canEdit, refused: refused, n: asOwner.attributes.length, first: asOwner.attributes[0].key,
    firstCanEdit: asOwner.attributes[0].canEdit, secondCanEdit: asOwner.attributes[1].canEdit,
    left: asSystem.attributes.length, back: nk.groupGet({groupId: p.group}, p.owner).state,
    memberNow: nk.groupGet({groupId: p.group}, p.member).state});
}
function InitModule(ctx, logger, nk, initializer) {
  initializer.registerRpc('flow', flow);
}
`

// TestTransferAttributesNKJS: nk.groupTransfer (as a user and as the
// system), nk.groupAttributePut, groupAttributesList and
// groupAttributeDelete run the service with its rules and return its
// answers in JS form.
func TestTransferAttributesNKJS(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		app := testapp.New(t, dialect, url)
		u := testapp.CreateUsers(t, app.DB, 2)
		ctx := context.Background()
		g, err := app.Groups.CreateGroup(ctx, groups.UserActor(u[0], ""), groups.CreateGroupRequest{Name: "nk clan"})
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Groups.AddUsers(ctx, groups.SystemActor(), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: u[1:]}); err != nil {
			t.Fatal(err)
		}
		// The memory watchdog measures process-wide heap growth; VMs that
		// earlier tests of this package abandoned may still allocate, so this
		// multi-call flow gets room the watchdog tests do not need to share.
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(transferAttributesJS), 0o600); err != nil {
			t.Fatal(err)
		}
		rt, err := js.Load(ctx, runtime.Config{Path: dir, PoolSize: 1, MaxCallMemory: 1 << 40},
			runtime.Deps{Groups: app.Groups, Hooks: app.Hooks, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rt.Close)
		rpc, _ := app.Hooks.RPC("flow")
		payload, _ := json.Marshal(map[string]string{"group": g.ID, "owner": u[0], "member": u[1]})
		out, err := rpc(ctx, &hooks.Caller{HTTPKey: true}, string(payload))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		want := map[string]any{"afterTransfer": 0.0, "creator": u[1], "onlyCreator": true, "canEdit": true,
			"refused": "7 Attribute can only be edited by its creator.", "n": 2.0, "first": "motd",
			"firstCanEdit": false, "secondCanEdit": true, "left": 1.0, "back": 0.0, "memberNow": 1.0}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %#v, want %#v (all: %s)", k, got[k], v, out)
			}
		}
	})
}
