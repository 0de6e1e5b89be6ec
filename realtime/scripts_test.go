package realtime_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/server"
)

// The same RPC in both languages: build the group's channel id, send a
// message to it as the server and a notification batch to the payload's
// user, and answer the ack.
const jsModule = `
function send(ctx, logger, nk, payload) {
  var p = JSON.parse(payload);
  var id = nk.channelIdBuild("", p.group_id, 3);
  var ack = nk.channelMessageSend(id, {from: "js"}, "", "", true);
  nk.notificationsSend([{userId: p.user_id, subject: "js note", content: {a: 1}, code: 101, persistent: true}]);
  nk.notificationSend(p.user_id, "js single", {b: 2}, 102, "", false);
  var dm = nk.channelIdBuild(p.user_id, p.other_id, 2);
  return JSON.stringify({ack: ack, id: id, room: nk.channelIdBuild("", "lobby", 1), dm: dm});
}
function InitModule(ctx, logger, nk, initializer) { initializer.registerRpc("js_send", send); }
`

const luaModule = `
local nk = require("nakama")
local function send(context, payload)
  local p = nk.json_decode(payload)
  local id = nk.channel_id_build(nil, p.group_id, 3)
  local ack = nk.channel_message_send(id, {from = "lua"}, nil, nil, true)
  nk.notifications_send({{user_id = p.user_id, subject = "lua note", content = {a = 1}, code = 201, persistent = true}})
  return nk.json_encode({ack = ack, id = id})
end
nk.register_rpc(send, "lua_send")
`

// TestScriptsSendLive: nk.channelMessageSend / channel_message_send reach
// the channel's sockets (stored, with the system as sender) and answer
// Nakama's ack; nk.notificationsSend / notificationSend /
// notifications_send reach the recipient's sockets; nk.channelIdBuild /
// channel_id_build build Nakama's ids.
func TestScriptsSendLive(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(jsModule), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "send.lua"), []byte(luaModule), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := testapp.Config(dialect, url)
		cfg.RuntimePath = dir
		srv, err := server.New(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.DB.Close() })
		closeScripts, err := srv.LoadScripts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closeScripts)
		app := (&testapp.App{Server: srv, DB: srv.DB, Groups: srv.Groups, Accounts: srv.Accounts, Hooks: srv.Hooks}).Start(t)

		alice, bob := app.Session(t, "device-script-alice"), app.Session(t, "device-script-bob")
		gid := createGroup(t, app, alice.Token, `{"name":"Scripted","open":true}`)
		as := dial(t, app, alice.Token)
		as.request("j", `{"cid":"j","channel_join":{"target":"`+gid+`","type":3}}`)
		payload, _ := json.Marshal(map[string]string{"group_id": gid, "user_id": alice.UserID, "other_id": bob.UserID})
		body, _ := json.Marshal(string(payload))

		var out struct {
			Payload string `json:"payload"`
		}
		app.Do(t, "POST", "/v2/rpc/js_send?http_key="+testapp.HTTPKey, "", string(body), 200, &out)
		var js struct {
			Ack  map[string]any `json:"ack"`
			ID   string         `json:"id"`
			Room string         `json:"room"`
			DM   string         `json:"dm"`
		}
		if err := json.Unmarshal([]byte(out.Payload), &js); err != nil {
			t.Fatalf("js answer %s: %v", out.Payload, err)
		}
		lo, hi := alice.UserID, bob.UserID
		if hi < lo {
			lo, hi = hi, lo
		}
		if js.ID != "3."+gid+".." || js.Room != "2...lobby" || js.DM != "4."+lo+"."+hi+"." ||
			js.Ack["channelId"] != js.ID || js.Ack["messageId"] == nil || js.Ack["persistent"] != true || js.Ack["groupId"] != gid {
			t.Fatalf("js answered %+v", js)
		}
		m := as.nextWhere("the js message", func(f map[string]any) bool {
			return get(f, "channel_message", "content") == `{"from":"js"}`
		})
		if get(m, "channel_message", "sender_id") != "00000000-0000-0000-0000-000000000000" ||
			get(m, "channel_message", "message_id") != js.Ack["messageId"] {
			t.Fatalf("js message broadcast as %v", m)
		}
		for _, code := range []float64{101, 102} {
			n := notificationsOf(t, as.nextWith("notifications"))
			if n[0]["code"] != code {
				t.Fatalf("notification %v, want code %v", n, code)
			}
		}

		app.Do(t, "POST", "/v2/rpc/lua_send?http_key="+testapp.HTTPKey, "", string(body), 200, &out)
		if !strings.Contains(out.Payload, `"channel_id":"3.`+gid+`.."`) || !strings.Contains(out.Payload, `"message_id"`) {
			t.Fatalf("lua answered %s", out.Payload)
		}
		as.nextWhere("the lua message", func(f map[string]any) bool {
			return get(f, "channel_message", "content") == `{"from":"lua"}`
		})
		if n := notificationsOf(t, as.nextWith("notifications")); n[0]["code"] != 201.0 {
			t.Fatalf("lua notification %v", n)
		}
		if codes, _ := history(t, app, alice.Token, "3."+gid+".."); len(codes) != 2 {
			t.Fatalf("history codes %v, want the two script messages", codes)
		}
	})
}
