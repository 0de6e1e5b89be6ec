package chat

import (
	"testing"
	"time"

	"github.com/guildhall/guildhall/groups"
)

// TestTransferMessage: a leadership transfer writes one message, code 10,
// from the new superadmin, naming the previous ones; attribute events
// write none.
func TestTransferMessage(t *testing.T) {
	m := groups.EventMeta{GroupID: gid, ActorID: u1, Time: time.Unix(100, 0)}
	got := GroupEventMessages([]groups.Event{
		groups.LeadershipTransferred{EventMeta: m, To: u2, From: []string{u1}},
		groups.AttributePut{EventMeta: m},
		groups.AttributeDeleted{EventMeta: m},
	})
	if len(got) != 1 {
		t.Fatalf("%d messages, want 1: %+v", len(got), got)
	}
	g := got[0]
	if g.Code != CodeGroupTransfer || g.SenderID != u2 || g.Content != `{"from":["`+u1+`"]}` || !g.Persistent ||
		g.ChannelID != GroupChannelID(gid) {
		t.Errorf("message = %+v", g)
	}
	sys := groups.EventMeta{GroupID: gid, Time: time.Unix(100, 0)}
	if got := GroupEventMessages([]groups.Event{groups.LeadershipTransferred{EventMeta: sys, To: u1}}); len(got) != 1 ||
		got[0].Content != `{"from":[]}` {
		t.Errorf("system transfer without previous superadmins: %+v", got)
	}
}
