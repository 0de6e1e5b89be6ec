package realtime_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/server"
)

func createGroup(t *testing.T, app *testapp.App, token, body string) string {
	t.Helper()
	var g struct {
		ID string `json:"id"`
	}
	app.Do(t, "POST", "/v2/group", token, body, 200, &g)
	return g.ID
}

// history returns the codes and senders of a channel's stored messages.
func history(t *testing.T, app *testapp.App, token, channelID string) (codes []int, senders []string) {
	t.Helper()
	var page struct {
		Messages []struct {
			Code     int    `json:"code"`
			SenderID string `json:"sender_id"`
		} `json:"messages"`
	}
	app.Do(t, "GET", "/v2/channel/"+url.PathEscape(channelID)+"?limit=100", token, "", 200, &page)
	for _, m := range page.Messages {
		codes = append(codes, m.Code)
		senders = append(senders, m.SenderID)
	}
	return codes, senders
}

func notificationsOf(t *testing.T, frame map[string]any) []map[string]any {
	t.Helper()
	list, _ := get(frame, "notifications", "notifications").([]any)
	if len(list) == 0 || len(frame) != 1 {
		t.Fatalf("notifications frame %v: want a non-empty list and no cid", frame)
	}
	out := make([]map[string]any, len(list))
	for i, n := range list {
		out[i] = n.(map[string]any)
	}
	return out
}

// TestLiveNotifications: the -5 of a join request reaches the admin's sockets
// and the -4 of the accept the requester's, as Nakama's notifications
// envelope, with the stored rows' ids.
func TestLiveNotifications(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		app := testapp.New(t, dialect, url).Start(t)
		alice, bob := app.Session(t, "device-notify-alice"), app.Session(t, "device-notify-bob")
		gid := createGroup(t, app, alice.Token, `{"name":"Closed Notes","open":false}`)
		as, bs := dial(t, app, alice.Token), dial(t, app, bob.Token)
		as.request("p", `{"cid":"p","ping":{}}`)
		bs.request("p", `{"cid":"p","ping":{}}`)

		app.Do(t, "POST", "/v2/group/"+gid+"/join", bob.Token, "", 200, nil)
		n := notificationsOf(t, as.nextWith("notifications"))[0]
		var content map[string]string
		_ = json.Unmarshal([]byte(n["content"].(string)), &content)
		if n["code"] != -5.0 || n["sender_id"] != bob.UserID || n["persistent"] != true || content["group_id"] != gid ||
			n["subject"] == nil || n["create_time"] == nil {
			t.Fatalf("-5 pushed as %v", n)
		}
		var stored struct {
			Notifications []struct {
				ID string `json:"id"`
			} `json:"notifications"`
		}
		app.Do(t, "GET", "/v2/notification?limit=10", alice.Token, "", 200, &stored)
		if len(stored.Notifications) != 1 || stored.Notifications[0].ID != n["id"] {
			t.Fatalf("pushed id %v, stored %v", n["id"], stored.Notifications)
		}

		app.Do(t, "POST", "/v2/group/"+gid+"/add?user_ids="+bob.UserID, alice.Token, "", 200, nil)
		n = notificationsOf(t, bs.nextWith("notifications"))[0]
		if n["code"] != -4.0 || n["sender_id"] != alice.UserID {
			t.Fatalf("-4 pushed as %v", n)
		}
	})
}

// TestRolledBackSendsNothing: an operation that fails before its commit (an
// add that overflows the group after queuing its writes) pushes no
// notification and writes no event message; the next, committed, one does.
func TestRolledBackSendsNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		app := testapp.New(t, dialect, url).Start(t)
		alice, bob, carol := app.Session(t, "device-rb-alice"), app.Session(t, "device-rb-bob"), app.Session(t, "device-rb-carol")
		gid := createGroup(t, app, alice.Token, `{"name":"Tiny","open":true,"max_count":2}`)
		bs := dial(t, app, bob.Token)
		bs.request("p", `{"cid":"p","ping":{}}`)

		app.Do(t, "POST", "/v2/group/"+gid+"/add?user_ids="+bob.UserID+"&user_ids="+carol.UserID, alice.Token, "", 400, nil)
		if codes, _ := history(t, app, alice.Token, "3."+gid+".."); len(codes) != 0 {
			t.Fatalf("the rolled-back add wrote event messages %v", codes)
		}
		app.Do(t, "POST", "/v2/group/"+gid+"/add?user_ids="+bob.UserID, alice.Token, "", 200, nil)
		// Deliveries keep their commit order: had the failed add pushed
		// anything, it would come first.
		n := notificationsOf(t, bs.nextWith("notifications"))
		var stored []string
		if err := app.DB.Read.Raw("SELECT id FROM notifications WHERE user_id = ?", bob.UserID).Scan(&stored).Error; err != nil {
			t.Fatal(err)
		}
		if len(n) != 1 || len(stored) != 1 || n[0]["id"] != stored[0] {
			t.Fatalf("pushed %v, stored %v: want the committed add's one -4", n, stored)
		}
		if codes, senders := history(t, app, alice.Token, "3."+gid+".."); len(codes) != 1 || codes[0] != 4 || senders[0] != bob.UserID {
			t.Fatalf("history %v %v, want the committed add's one message", codes, senders)
		}
	})
}

// TestGroupChannel: members join the group channel (others get Nakama's
// error), messages are broadcast to every session (the sender too) before
// the ack, updates and removals likewise; a kick writes its event message,
// which the kicked user receives before leaving the channel; deleting the
// group drops the channel and its history.
func TestGroupChannel(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		app := testapp.New(t, dialect, url).Start(t)
		alice, bob, carol := app.Session(t, "device-gc-alice"), app.Session(t, "device-gc-bob"), app.Session(t, "device-gc-carol")
		gid := createGroup(t, app, alice.Token, `{"name":"Chatters","open":true}`)
		app.Do(t, "POST", "/v2/group/"+gid+"/join", bob.Token, "", 200, nil)
		chID := "3." + gid + ".."
		as, bs, cs := dial(t, app, alice.Token), dial(t, app, bob.Token), dial(t, app, carol.Token)

		join := `{"cid":"j","channel_join":{"target":"` + gid + `","type":3,"persistence":true,"hidden":false}}`
		if got := cs.request("j", join); get(got, "error", "code") != 3.0 ||
			get(got, "error", "message") != "Group not found: Invalid channel target" {
			t.Fatalf("non-member join: %v", got)
		}
		got := as.request("j", join)
		if get(got, "channel", "id") != chID || get(got, "channel", "group_id") != gid ||
			get(got, "channel", "self", "user_id") != alice.UserID || get(got, "channel", "self", "persistence") != true ||
			get(got, "channel", "presences") != nil {
			t.Fatalf("alice's join: %v", got)
		}
		got = bs.request("j", `{"cid":"j","channelJoin":{"target":"`+gid+`","type":"3"}}`) // lowerCamel, numeric string
		presences, _ := get(got, "channel", "presences").([]any)
		if len(presences) != 1 || get(presences[0].(map[string]any), "user_id") != alice.UserID {
			t.Fatalf("bob's join: %v", got)
		}
		// Every session of the channel sees each join, the joiner's own included.
		for _, who := range []string{alice.UserID, bob.UserID} {
			ev := as.nextWith("channel_presence_event")
			joins, _ := get(ev, "channel_presence_event", "joins").([]any)
			if len(joins) != 1 || get(joins[0].(map[string]any), "user_id") != who || ev["cid"] != nil {
				t.Fatalf("alice saw %v, want the join of %s", ev, who)
			}
		}

		bs.send(`{"cid":"s","channel_message_send":{"channel_id":"` + chID + `","content":"{\"t\":\"hi\"}"}}`)
		msg := bs.nextMessage(0) // not the event message of bob's join, which may arrive late
		ack := bs.nextWith("channel_message_ack")
		if ack["cid"] != "s" || get(ack, "channel_message_ack", "message_id") != get(msg, "channel_message", "message_id") ||
			get(ack, "channel_message_ack", "sender_id") != nil || get(ack, "channel_message_ack", "content") != nil ||
			get(ack, "channel_message_ack", "code") != 0.0 || get(ack, "channel_message_ack", "persistent") != true {
			t.Fatalf("bob's ack %v for %v", ack, msg)
		}
		seen := as.nextMessage(0)
		if get(seen, "channel_message", "content") != `{"t":"hi"}` || get(seen, "channel_message", "sender_id") != bob.UserID ||
			get(seen, "channel_message", "username") == nil || get(seen, "channel_message", "code") != 0.0 || seen["cid"] != nil {
			t.Fatalf("alice saw %v", seen)
		}
		mid := get(msg, "channel_message", "message_id").(string)

		if got := as.request("u", `{"cid":"u","channel_message_update":{"channel_id":"`+chID+`","message_id":"`+mid+`","content":"{}"}}`); get(got, "error", "message") != "Could not find message to update in channel history" {
			t.Fatalf("alice updating bob's message: %v", got)
		}
		bs.send(`{"cid":"u","channel_message_update":{"channel_id":"` + chID + `","message_id":"` + mid + `","content":"{\"t\":\"hey\"}"}}`)
		if up := as.nextMessage(1); get(up, "channel_message", "code") != 1.0 || get(up, "channel_message", "content") != `{"t":"hey"}` {
			t.Fatalf("update broadcast %v", up)
		}
		for _, bad := range []struct{ frame, msg string }{
			{`{"cid":"x","channel_message_send":{"channel_id":"` + chID + `","content":"[1]"}}`, "Message content must be a valid JSON object"},
			{`{"cid":"x","channel_message_send":{"channel_id":"9.x","content":"{}"}}`, "Invalid channel identifier"},
			{`{"cid":"x","channel_message_remove":{"channel_id":"` + chID + `","message_id":"nope"}}`, "Invalid message identifier"},
			{`{"cid":"x","channel_message_send":{"channel_id":"2...elsewhere","content":"{}"}}`, "Must join channel before sending messages"},
		} {
			if got := bs.request("x", bad.frame); get(got, "error", "code") != 3.0 || get(got, "error", "message") != bad.msg {
				t.Errorf("%s: %v, want %q", bad.frame, got, bad.msg)
			}
		}
		bs.send(`{"cid":"r","channel_message_remove":{"channel_id":"` + chID + `","message_id":"` + mid + `"}}`)
		if rm := as.nextMessage(2); get(rm, "channel_message", "code") != 2.0 || get(rm, "channel_message", "content") != "{}" {
			t.Fatalf("remove broadcast %v", rm)
		}

		app.Do(t, "POST", "/v2/group/"+gid+"/kick?user_ids="+bob.UserID, alice.Token, "", 200, nil)
		for _, c := range []*client{as, bs} {
			k := c.nextMessage(6)
			if get(k, "channel_message", "code") != 6.0 || get(k, "channel_message", "sender_id") != bob.UserID ||
				get(k, "channel_message", "username") == nil ||
				get(k, "channel_message", "content") != "{}" || get(k, "channel_message", "group_id") != gid {
				t.Fatalf("kick event message %v", k)
			}
		}
		leave := as.nextWith("channel_presence_event")
		if leaves, _ := get(leave, "channel_presence_event", "leaves").([]any); len(leaves) != 1 ||
			get(leaves[0].(map[string]any), "user_id") != bob.UserID {
			t.Fatalf("alice saw %v after the kick", leave)
		}
		if got := bs.request("k", `{"cid":"k","channel_message_send":{"channel_id":"`+chID+`","content":"{}"}}`); get(got, "error", "message") != "Must join channel before sending messages" {
			t.Fatalf("kicked user's send: %v", got)
		}
		if codes, senders := history(t, app, alice.Token, chID); len(codes) != 2 || codes[0] != 3 || codes[1] != 6 ||
			senders[0] != bob.UserID || senders[1] != bob.UserID {
			t.Fatalf("history %v %v, want bob's join (3) and kick (6)", codes, senders)
		}
		if got := as.request("l", `{"cid":"l","channel_leave":{"channel_id":"`+chID+`"}}`); len(got) != 1 {
			t.Fatalf("leave answered %v, want only the cid", got)
		}

		app.Do(t, "DELETE", "/v2/group/"+gid, alice.Token, "", 200, nil)
		var n int
		if err := app.DB.Read.Raw("SELECT count(*) FROM channel_messages WHERE channel_id = ?", chID).Scan(&n).Error; err != nil || n != 0 {
			t.Fatalf("%d messages left after the group's deletion (%v)", n, err)
		}
	})
}

// TestRoomsAndTypes: rooms (type 1) are open to every user with Nakama's id
// format; direct channels (type 2) have no known target; other types are
// refused.
func TestRoomsAndTypes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		app := testapp.New(t, dialect, url).Start(t)
		alice, bob := app.Session(t, "device-room-alice"), app.Session(t, "device-room-bob")
		as, bs := dial(t, app, alice.Token), dial(t, app, bob.Token)
		got := as.request("1", `{"cid":"1","channel_join":{"target":"lobby","type":1}}`)
		if get(got, "channel", "id") != "2...lobby" || get(got, "channel", "room_name") != "lobby" {
			t.Fatalf("room join: %v", got)
		}
		bs.request("1", `{"cid":"1","channel_join":{"target":"lobby","type":1,"persistence":false}}`)
		bs.send(`{"cid":"2","channel_message_send":{"channel_id":"2...lobby","content":"{\"a\":1}"}}`)
		if m := as.nextWith("channel_message"); get(m, "channel_message", "room_name") != "lobby" || get(m, "channel_message", "persistent") != false {
			t.Fatalf("room message %v", m)
		}
		if codes, _ := history(t, app, alice.Token, "2...lobby"); len(codes) != 0 {
			t.Fatalf("a message of a non-persistent presence was stored: %v", codes)
		}
		for _, c := range []struct{ frame, msg string }{
			{`{"cid":"3","channel_join":{"target":"` + bob.UserID + `","type":2}}`, "User not found: Invalid channel target"},
			{`{"cid":"3","channel_join":{"target":"x","type":7}}`, "Invalid channel type"},
			{`{"cid":"3","channel_join":{"target":"","type":1}}`, "Invalid channel target"},
			{`{"cid":"3","channel_join":{"target":"nope","type":3}}`, "Invalid group ID in group channel join: Invalid channel target"},
		} {
			if got := as.request("3", c.frame); get(got, "error", "code") != 3.0 || get(got, "error", "message") != c.msg {
				t.Errorf("%s: %v, want %q", c.frame, got, c.msg)
			}
		}
	})
}

// TestSessionExpiryClosesSocket: a socket ends when its session token expires.
func TestSessionExpiryClosesSocket(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		cfg := testapp.Config(dialect, url)
		cfg.SessionExpiry = 2 * time.Second
		srv, err := server.New(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.DB.Close() })
		app := (&testapp.App{Server: srv, DB: srv.DB, Groups: srv.Groups, Accounts: srv.Accounts, Hooks: srv.Hooks}).Start(t)
		c := dial(t, app, app.Session(t, "device-expiry").Token)
		if code, reason := c.closed(); reason != "session expired" {
			t.Fatalf("closed %d %q, want the expiry", code, reason)
		}
	})
}

var _ = groups.Member
