package js_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/server"
)

const invitationsJS = `
function flow(ctx, logger, nk, payload) {
  var p = JSON.parse(payload);
  var sent = nk.groupUsersInvite({groupId: p.group, userIds: [p.invitee], message: 'hi'}, p.owner);
  var mine = nk.invitationsList({}, p.invitee);
  var theirs = nk.groupInvitationsList({group_id: p.group}, p.owner);
  nk.invitationAccept({invitationId: mine.invitations[0].id}, p.invitee);
  var g = nk.groupGet({groupId: p.group}, p.invitee);
  var refused = '';
  try { nk.invitationDecline({invitationId: sent.invitations[0].id}, p.invitee); } catch (e) { refused = e.code + ' ' + e.message; }
  return JSON.stringify({sent: sent.invitations[0].id, mine: mine.invitations[0].id, state: mine.invitations[0].state,
    groupName: mine.invitations[0].groupName, theirs: theirs.invitations.length, member: g.state,
    policy: g.group.joinPolicy, category: g.group.category, refused: refused});
}
function off(ctx, logger, nk, payload) {
  try { nk.groupsGetId([payload]); return 'no error'; } catch (e) { return e.code + ' ' + e.message; }
}
function InitModule(ctx, logger, nk, initializer) {
  initializer.registerRpc('flow', flow);
  initializer.registerRpc('off', off);
}
`

// TestInvitationNKJS: the invitation operations' nk functions (request
// object, acting user) run the service and return its answer in JS form.
func TestInvitationNKJS(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		app := testapp.New(t, dialect, url)
		u := testapp.CreateUsers(t, app.DB, 2)
		g, err := app.Groups.CreateGroup(context.Background(), groups.UserActor(u[0], ""),
			groups.CreateGroupRequest{Name: "nk clan", JoinPolicy: "invite_only"})
		if err != nil {
			t.Fatal(err)
		}
		loadApp(t, app, invitationsJS)
		rpc, _ := app.Hooks.RPC("flow")
		payload, _ := json.Marshal(map[string]string{"group": g.ID, "owner": u[0], "invitee": u[1]})
		out, err := rpc(context.Background(), &hooks.Caller{HTTPKey: true}, string(payload))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		want := map[string]any{"sent": got["mine"], "state": "pending", "groupName": "nk clan", "theirs": 1.0,
			"member": 2.0, "policy": "invite_only", "category": "group", "refused": "9 Invitation is no longer pending."}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %#v, want %#v (all: %s)", k, got[k], v, out)
			}
		}
	})
}

// TestNKGroupsDisabledJS: with groups disabled, nk group calls throw the
// API's 403 code and message.
func TestNKGroupsDisabledJS(t *testing.T) {
	app := testapp.NewWith(t, testdb.DialectSQLite, testdb.SQLite(t), func(c *server.Config) { c.GroupsEnabled = false })
	loadApp(t, app, invitationsJS)
	rpc, _ := app.Hooks.RPC("off")
	out, err := rpc(context.Background(), &hooks.Caller{HTTPKey: true}, "6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	if err != nil || out != "7 Groups are disabled." {
		t.Fatalf("got %q %v", out, err)
	}
}
