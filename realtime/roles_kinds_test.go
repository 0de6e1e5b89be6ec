package realtime_test

import (
	"fmt"
	"testing"

	"github.com/guildhall/guildhall/chat"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestLiveRoleTransferUpdateKinds: through the API and the socket, a role
// assigned (-108) and removed (-109, also by its deletion) reach the member
// live only, a
// leadership transfer (-110, stored) the new superadmin and — when the
// server makes it — the previous one, never the actor; the group channel
// receives and keeps the event messages of an accepted invitation (11), the
// role changes (12, 13), a settings update (14, from the actor) and the
// transfers (10).
func TestLiveRoleTransferUpdateKinds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		app := testapp.New(t, dialect, url).Start(t)
		alice, bob, carol := app.Session(t, "device-rk-alice"), app.Session(t, "device-rk-bob"), app.Session(t, "device-rk-carol")
		const name = "Live Roles"
		gid := createGroup(t, app, alice.Token, `{"name":"`+name+`","open":true}`)
		app.Do(t, "POST", "/v2/group/"+gid+"/join", bob.Token, "", 200, nil)
		as, bs := dial(t, app, alice.Token), dial(t, app, bob.Token)
		join := `{"cid":"j","channel_join":{"target":"` + gid + `","type":3}}`
		as.request("j", join)
		bs.request("j", join)

		// An accepted invitation: 11 from the invitee.
		var invited struct {
			Invitations []struct {
				ID string `json:"id"`
			} `json:"invitations"`
		}
		app.Do(t, "POST", "/v2/group/"+gid+"/invite", alice.Token, `{"user_ids":["`+carol.UserID+`"]}`, 200, &invited)
		invID := invited.Invitations[0].ID
		app.Do(t, "POST", "/v2/invitation/"+invID+"/accept", carol.Token, "", 200, nil)
		m := as.nextMessage(chat.CodeGroupInvitationAccept)
		if get(m, "channel_message", "sender_id") != carol.UserID ||
			get(m, "channel_message", "content") != `{"invitation_id":"`+invID+`","inviter_id":"`+alice.UserID+`"}` {
			t.Fatalf("acceptance message %v", m)
		}

		// A role assigned and removed → bob, live only; 12 and 13 from bob.
		var role struct {
			ID string `json:"id"`
		}
		app.Do(t, "POST", "/v2/group/"+gid+"/role", alice.Token, `{"name":"Officer","rank":150,"permissions":["kick"]}`, 200, &role)
		roleContent := `{"role_id":"` + role.ID + `","role_name":"Officer"}`
		for _, step := range []struct {
			path    string
			code    float64
			kind    string
			message float64
		}{{"assign", -108, "role_assigned", chat.CodeGroupRoleAssign}, {"unassign", -109, "role_removed", chat.CodeGroupRoleRemove}} {
			app.Do(t, "POST", "/v2/group/"+gid+"/role/"+role.ID+"/"+step.path+"?user_ids="+bob.UserID, alice.Token, "", 200, nil)
			c := wantNotice(t, app, bs, bob.Token, step.code, alice.UserID, gid, name, step.kind, false)
			if c["roleId"] != role.ID || c["role_name"] != "Officer" {
				t.Fatalf("%s content %v", step.kind, c)
			}
			for _, s := range []*client{as, bs} {
				m := s.nextMessage(step.message)
				if get(m, "channel_message", "sender_id") != bob.UserID || get(m, "channel_message", "content") != roleContent {
					t.Fatalf("%s message %v", step.path, m)
				}
			}
		}

		// A deleted role is removed from its holders: -109 and 13 again.
		var gone struct {
			ID string `json:"id"`
		}
		app.Do(t, "POST", "/v2/group/"+gid+"/role", alice.Token, `{"name":"Gone","rank":120}`, 200, &gone)
		app.Do(t, "POST", "/v2/group/"+gid+"/role/"+gone.ID+"/assign?user_ids="+bob.UserID, alice.Token, "", 200, nil)
		wantNotice(t, app, bs, bob.Token, -108, alice.UserID, gid, name, "role_assigned", false)
		app.Do(t, "DELETE", "/v2/group/"+gid+"/role/"+gone.ID, alice.Token, "", 200, nil)
		if c := wantNotice(t, app, bs, bob.Token, -109, alice.UserID, gid, name, "role_removed", false); c["roleId"] != gone.ID {
			t.Fatalf("deleted role's -109 content %v", c)
		}

		// A settings update: 14 from the actor, naming the changed fields.
		app.Do(t, "PUT", "/v2/group/"+gid, alice.Token, `{"description":"raids at nine","open":false}`, 200, nil)
		m = bs.nextMessage(chat.CodeGroupUpdate)
		if get(m, "channel_message", "sender_id") != alice.UserID ||
			get(m, "channel_message", "content") != `{"fields":["description","open","join_policy"]}` {
			t.Fatalf("update message %v", m)
		}

		// Alice hands the group to bob: bob is told, alice (the actor) is not.
		app.Do(t, "POST", "/v2/group/"+gid+"/transfer", alice.Token, `{"user_id":"`+bob.UserID+`"}`, 200, nil)
		c := wantNotice(t, app, bs, bob.Token, -110, alice.UserID, gid, name, "leadership_transferred", true)
		if fmt.Sprint(c["from"]) != "["+alice.UserID+"]" || c["to"] != bob.UserID {
			t.Fatalf("-110 content %v", c)
		}
		// The server hands it back: both are told, by the system. Alice's
		// first -110 is this one.
		app.Do(t, "POST", "/v2/server/group/"+gid+"/transfer?http_key="+testapp.HTTPKey, "", `{"user_id":"`+alice.UserID+`"}`, 200, nil)
		for _, who := range []struct {
			c     *client
			token string
		}{{as, alice.Token}, {bs, bob.Token}} {
			c := wantNotice(t, app, who.c, who.token, -110, chat.SystemUserID, gid, name, "leadership_transferred", true)
			if fmt.Sprint(c["from"]) != "["+bob.UserID+"]" || c["to"] != alice.UserID {
				t.Fatalf("system -110 content %v", c)
			}
		}

		codes, senders := history(t, app, alice.Token, "3."+gid+"..")
		b := bob.UserID
		if fmt.Sprint(codes) != "[3 11 12 13 12 13 14 10 10]" ||
			fmt.Sprint(senders) != fmt.Sprint([]string{b, carol.UserID, b, b, b, b, alice.UserID, b, alice.UserID}) {
			t.Fatalf("history %v %v", codes, senders)
		}
	})
}
