package realtime_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// nextNotice returns the client's next notification of the code, its
// content decoded. Notifications of one kind reach a socket in commit order
// (live-only new-member notices come from a goroutine of their own, so they
// may pass or trail the others), so an unwanted one would come before the
// wanted one.
func nextNotice(t *testing.T, c *client, code float64) (map[string]any, map[string]any) {
	t.Helper()
	frame := c.nextWhere(fmt.Sprintf("notification %v", code), func(m map[string]any) bool {
		list, _ := get(m, "notifications", "notifications").([]any)
		return len(list) > 0 && get(list[0].(map[string]any), "code") == code
	})
	n := notificationsOf(t, frame)[0]
	var content map[string]any // strings, but -110's "from" is a list
	if err := json.Unmarshal([]byte(n["content"].(string)), &content); err != nil {
		t.Fatalf("content of %v: %v", n, err)
	}
	return n, content
}

// wantNotice checks the next notification: code, sender, group, kind, and
// whether it is persistent (then it is also the stored row).
func wantNotice(t *testing.T, app *testapp.App, c *client, token string, code float64, sender, gid, name, kind string,
	persistent bool) map[string]any {
	t.Helper()
	n, content := nextNotice(t, c, code)
	if n["sender_id"] != sender || content["kind"] != kind || content["group_id"] != gid ||
		content["group_name"] != name || n["subject"] == nil || n["id"] == nil {
		t.Fatalf("got %v %v, want code %v kind %s of %s by %s", n, content, code, kind, name, sender)
	}
	if got, _ := n["persistent"].(bool); got != persistent {
		t.Fatalf("%v: persistent %v, want %v", n, n["persistent"], persistent)
	}
	var list struct {
		Notifications []struct {
			ID string `json:"id"`
		} `json:"notifications"`
	}
	app.Do(t, "GET", "/v2/notification?limit=100", token, "", 200, &list)
	found := false
	for _, s := range list.Notifications {
		found = found || s.ID == n["id"]
	}
	if found != persistent {
		t.Fatalf("%v stored: %v, want %v", n, found, persistent)
	}
	return content
}

// TestLiveNotificationKinds: the notifications beyond Nakama's reach the
// sockets of the users they concern after the commit: a rejected request,
// an invitation, a new member (to the other members only, not stored),
// promote, demote, kick, ban, and a disbanded group.
func TestLiveNotificationKinds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		app := testapp.New(t, dialect, url).Start(t)
		alice, bob := app.Session(t, "device-kinds-alice"), app.Session(t, "device-kinds-bob")
		carol, dave := app.Session(t, "device-kinds-carol"), app.Session(t, "device-kinds-dave")
		const name = "Live Kinds"
		gid := createGroup(t, app, alice.Token, `{"name":"`+name+`","open":false}`)
		as, bs, cs, ds := dial(t, app, alice.Token), dial(t, app, bob.Token), dial(t, app, carol.Token), dial(t, app, dave.Token)
		for _, c := range []*client{as, bs, cs, ds} {
			c.request("p", `{"cid":"p","ping":{}}`)
		}

		// A join request rejected (a kick of the request) → the requester.
		app.Do(t, "POST", "/v2/group/"+gid+"/join", bob.Token, "", 200, nil)
		nextNotice(t, as, -5)
		app.Do(t, "POST", "/v2/group/"+gid+"/kick?user_ids="+bob.UserID, alice.Token, "", 200, nil)
		wantNotice(t, app, bs, bob.Token, -100, alice.UserID, gid, name, "join_request_rejected", true)

		// An invitation → the invitee.
		var invited struct {
			Invitations []struct {
				ID string `json:"id"`
			} `json:"invitations"`
		}
		app.Do(t, "POST", "/v2/group/"+gid+"/invite", alice.Token, `{"user_ids":["`+carol.UserID+`"],"message":"hi"}`, 200, &invited)
		c := wantNotice(t, app, cs, carol.Token, -101, alice.UserID, gid, name, "invitation_received", true)
		if c["invitation_id"] != invited.Invitations[0].ID || c["message"] != "hi" || c["inviter_id"] != alice.UserID {
			t.Fatalf("invitation content %v", c)
		}

		// A new member (an accepted invitation) → the other members, live only.
		app.Do(t, "POST", "/v2/invitation/"+invited.Invitations[0].ID+"/accept", carol.Token, "", 200, nil)
		c = wantNotice(t, app, as, alice.Token, -102, carol.UserID, gid, name, "new_member", false)
		if c["newGroupMember"] != carol.UserID {
			t.Fatalf("new member content %v", c)
		}
		// An add → the others, not the added user (who gets the -4) nor the adder.
		app.Do(t, "POST", "/v2/group/"+gid+"/add?user_ids="+dave.UserID, alice.Token, "", 200, nil)
		if c = wantNotice(t, app, cs, carol.Token, -102, alice.UserID, gid, name, "new_member", false); c["newGroupMember"] != dave.UserID {
			t.Fatalf("carol's first notice since she joined is %v, want dave's arrival", c)
		}
		nextNotice(t, ds, -4)

		// Promote, demote, kick (live only) → the member; ban → the target.
		app.Do(t, "POST", "/v2/group/"+gid+"/promote?user_ids="+dave.UserID, alice.Token, "", 200, nil)
		wantNotice(t, app, ds, dave.Token, -103, alice.UserID, gid, name, "promoted", false)
		app.Do(t, "POST", "/v2/group/"+gid+"/demote?user_ids="+dave.UserID, alice.Token, "", 200, nil)
		wantNotice(t, app, ds, dave.Token, -104, alice.UserID, gid, name, "demoted", false)
		app.Do(t, "POST", "/v2/group/"+gid+"/kick?user_ids="+dave.UserID, alice.Token, "", 200, nil)
		wantNotice(t, app, ds, dave.Token, -105, alice.UserID, gid, name, "kicked", false)
		app.Do(t, "POST", "/v2/group/"+gid+"/ban?user_ids="+carol.UserID, alice.Token, "", 200, nil)
		wantNotice(t, app, cs, carol.Token, -106, alice.UserID, gid, name, "banned", true)

		// A group disbanded → its members but the one deleting it.
		const other = "Live Disband"
		gid2 := createGroup(t, app, alice.Token, `{"name":"`+other+`","open":true}`)
		app.Do(t, "POST", "/v2/group/"+gid2+"/join", dave.Token, "", 200, nil)
		// Alice's next new-member notice is this one: she had none for the
		// member she added herself.
		if c = wantNotice(t, app, as, alice.Token, -102, dave.UserID, gid2, other, "new_member", false); c["newGroupMember"] != dave.UserID {
			t.Fatalf("new member content %v", c)
		}
		// Dave's first new-member notice is erin's: none for his own arrivals.
		erin := app.Session(t, "device-kinds-erin")
		app.Do(t, "POST", "/v2/group/"+gid2+"/join", erin.Token, "", 200, nil)
		if c = wantNotice(t, app, ds, dave.Token, -102, erin.UserID, gid2, other, "new_member", false); c["newGroupMember"] != erin.UserID {
			t.Fatalf("dave's first new-member notice is %v, want erin's", c)
		}
		app.Do(t, "DELETE", "/v2/group/"+gid2, alice.Token, "", 200, nil)
		wantNotice(t, app, ds, dave.Token, -107, alice.UserID, gid2, other, "group_disbanded", true)
	})
}
