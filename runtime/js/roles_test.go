package js_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/runtime"
	"github.com/guildhall/guildhall/runtime/js"
)

const rolesJS = `
function flow(ctx, logger, nk, payload) {
  var p = JSON.parse(payload);
  var role = nk.groupRoleCreate({groupId: p.group, name: 'Officer', rank: 150, permissions: ['kick', 'invite']}, p.owner);
  nk.groupRoleAssign({groupId: p.group, roleId: role.id, userIds: [p.officer]}, p.owner);
  var listed = nk.groupRolesList({group_id: p.group}, p.member);
  var users = nk.groupUsersList(p.group);
  var officerRole = '';
  users.groupUsers.forEach(function (gu) { if (gu.user.userId === p.officer) { officerRole = gu.role.name + ' ' + gu.role.rank; } });
  nk.groupUsersKick(p.group, [p.member, p.admin], p.officer);
  var updated = nk.groupRoleUpdate({groupId: p.group, roleId: role.id, name: 'Captain', permissions: []});
  var noKick = '';
  try { nk.groupUsersKick(p.group, [p.admin], p.officer); } catch (e) { noKick = e.code + ' ' + e.message; }
  nk.groupRoleUnassign({groupId: p.group, roleId: role.id, userIds: [p.officer]});
  nk.groupRoleDelete({groupId: p.group, roleId: role.id}, p.owner);
  var badRank = '';
  try { nk.groupRoleCreate({groupId: p.group, name: 'X', rank: 400}); } catch (e) { badRank = e.code + ' ' + e.message; }
  var after = nk.groupUsersList(p.group).groupUsers.length;
  return JSON.stringify({name: role.name, rank: role.rank, perms: role.permissions.join(','), group: role.groupId,
    listed: listed.roles.length, officerRole: officerRole, after: after, updated: updated.name + ' ' + (updated.permissions || []).length,
    noKick: noKick, badRank: badRank, left: nk.groupRolesList({groupId: p.group}).roles.length});
}
function InitModule(ctx, logger, nk, initializer) {
  initializer.registerRpc('flow', flow);
}
`

// TestRoleNKJS: the role operations' nk functions (request object, acting
// user or the system) run the service with its rules and return its answer.
func TestRoleNKJS(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		app := testapp.New(t, dialect, url)
		u := testapp.CreateUsers(t, app.DB, 4)
		ctx := context.Background()
		open := true
		g, err := app.Groups.CreateGroup(ctx, groups.UserActor(u[0], ""), groups.CreateGroupRequest{Name: "nk roles", Open: &open})
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Groups.AddUsers(ctx, groups.UserActor(u[0], ""), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: u[1:]}); err != nil {
			t.Fatal(err)
		}
		if err := app.Groups.PromoteUsers(ctx, groups.UserActor(u[0], ""), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: u[3:]}); err != nil {
			t.Fatal(err)
		}
		// A dozen service calls in one script call: a long deadline and no
		// memory watchdog (process-wide heap), so a loaded machine or another
		// test's garbage cannot fail what this test is about.
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(rolesJS), 0o600); err != nil {
			t.Fatal(err)
		}
		rt, err := js.Load(ctx, runtime.Config{Path: dir, PoolSize: 1, CallTimeout: 30 * time.Second, MaxCallMemory: -1},
			runtime.Deps{Groups: app.Groups, Hooks: app.Hooks, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rt.Close)
		rpc, _ := app.Hooks.RPC("flow")
		payload, _ := json.Marshal(map[string]string{"group": g.ID, "owner": u[0], "officer": u[1], "member": u[2], "admin": u[3]})
		out, err := rpc(ctx, &hooks.Caller{HTTPKey: true}, string(payload))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		want := map[string]any{"name": "Officer", "rank": 150.0, "perms": "invite,kick", "group": g.ID, "listed": 1.0,
			"officerRole": "Officer 150", "after": 3.0, "updated": "Captain 0",
			"noKick": "5 Group not found or permission denied.", "badRank": "3 Role rank 400 is out of range: ranks are 101 to 299.",
			"left": 0.0}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %#v, want %#v (all: %s)", k, got[k], v, out)
			}
		}
	})
}
