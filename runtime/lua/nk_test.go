package lua_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/inbox"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/runtime"
)

// nk.notifications_send stores a batch (all or none); nk.event reaches the
// registered event handlers.
func TestLuaNotificationsSendAndEvent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := newEnv(t, dialect, url)
		users := testapp.CreateUsers(t, e.db, 2)
		var events []hooks.Event
		e.reg.RegisterEvent(func(_ context.Context, ev hooks.Event) { events = append(events, ev) })
		e.mustLoad(t, runtime.Config{Path: modules(t, map[string]string{"n.lua": `
local nk = require("nakama")
nk.register_rpc(function(context, payload)
  local ids = nk.json_decode(payload)
  nk.notifications_send({
    {user_id = ids[1], subject = "one", content = {n = 1}, code = 101, persistent = true},
    {user_id = ids[1], subject = "two", content = {n = 2}, code = 102, sender_id = ids[2], persistent = true},
  })
  local ok, err = pcall(nk.notifications_send, {
    {user_id = ids[1], subject = "three", content = {}, code = 103, persistent = true},
    {user_id = ids[1], content = {}, code = 104},
  })
  assert(not ok and err:find("notification 2: expects subject"), err)
  nk.event("clan_war", {clan = "red"}, 1700000000, true)
  nk.event("plain")
  local ok2, err2 = pcall(nk.event, "bad", {n = 1})
  assert(not ok2 and err2:find("properties must map strings to strings"), err2)
  return "ok"
end, "n")
`}), PoolSize: 1})
		ids, _ := json.Marshal(users)
		if out, err := e.rpc(t, context.Background(), "n", string(ids)); err != nil || out != "ok" {
			t.Fatalf("%q %v", out, err)
		}
		list, err := inbox.FromGroups(e.svc).List(context.Background(), users[0], 100, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Notifications) != 2 {
			t.Fatalf("stored %d notifications, want 2 (the failing batch stores none): %+v", len(list.Notifications), list.Notifications)
		}
		got := map[string]inbox.Notification{}
		for _, n := range list.Notifications {
			got[n.Subject] = n
		}
		if n := got["two"]; n.Code != 102 || n.SenderID != users[1] || n.Content != `{"n":2}` {
			t.Errorf("notification two: %+v", n)
		}
		if len(events) != 2 {
			t.Fatalf("events: %+v", events)
		}
		want := hooks.Event{Name: "clan_war", Properties: map[string]string{"clan": "red"},
			Timestamp: time.Unix(1700000000, 0).UTC(), External: true}
		if ev := events[0]; ev.Name != want.Name || ev.Properties["clan"] != "red" || !ev.Timestamp.Equal(want.Timestamp) || !ev.External {
			t.Errorf("event: %+v", ev)
		}
		if ev := events[1]; ev.Name != "plain" || ev.External || time.Since(ev.Timestamp) > time.Minute {
			t.Errorf("plain event: %+v", ev)
		}
	})
}
