package chat

import (
	"testing"
	"time"

	"github.com/guildhall/guildhall/groups"
)

const (
	gid = "11111111-1111-4111-8111-111111111111"
	u1  = "22222222-2222-4222-8222-222222222222"
	u2  = "33333333-3333-4333-8333-333333333333"
)

func TestChannelIDs(t *testing.T) {
	for _, c := range []struct {
		target string
		typ    int
		id     string
		err    string
	}{
		{gid, TypeGroup, "3." + gid + "..", ""},
		{"lobby", TypeRoom, "2...lobby", ""},
		{"lobby", 0, "2...lobby", ""},
		{"", TypeRoom, "", "Invalid channel target"},
		{"nope", TypeGroup, "", "Invalid group ID in group channel join: Invalid channel target"},
		{u1, TypeDM, "", "User not found: Invalid channel target"},
		{"x", 4, "", "Invalid channel type"},
	} {
		ch, err := BuildChannelID(c.target, c.typ)
		if got := errText(err); got != c.err || ch.ID != c.id {
			t.Errorf("BuildChannelID(%q, %d) = %q, %q; want %q, %q", c.target, c.typ, ch.ID, got, c.id, c.err)
		}
		if c.id == "" {
			continue
		}
		back, err := ParseChannelID(c.id)
		if err != nil || back.ID != c.id || back.GroupID != ch.GroupID || back.Room != ch.Room {
			t.Errorf("ParseChannelID(%q) = %+v, %v", c.id, back, err)
		}
	}
	dm := DMChannelID(u2, u1)
	if dm != "4."+u1+"."+u2+"." {
		t.Errorf("DMChannelID = %q", dm)
	}
	if c, err := ParseChannelID(dm); err != nil || c.UserOne != u1 || c.UserTwo != u2 {
		t.Errorf("ParseChannelID(dm) = %+v, %v", c, err)
	}
	for _, bad := range []string{"", "3", "3." + gid + ".x.", "4." + u2 + "." + u1 + ".", "2...", "9...x", "x.y.z.w", "3.NOPE.."} {
		if _, err := ParseChannelID(bad); errText(err) != "Invalid channel identifier" {
			t.Errorf("ParseChannelID(%q): %v", bad, err)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestGroupEventMessages: one message per affected user with Nakama's
// codes; kicks and bans only of members; none for a group deleted in the
// same transaction.
func TestGroupEventMessages(t *testing.T) {
	m := groups.EventMeta{GroupID: gid, ActorID: u1, Time: time.Unix(100, 0)}
	got := GroupEventMessages([]groups.Event{
		groups.MemberJoined{EventMeta: m},
		groups.MembersAdded{EventMeta: m, Targets: []string{u2}},
		groups.RequestsAccepted{EventMeta: m, Targets: []string{u2}},
		groups.MembersPromoted{EventMeta: m, Targets: []string{u2}},
		groups.MembersDemoted{EventMeta: m, Targets: []string{u2}},
		groups.MembersKicked{EventMeta: m, Targets: []string{u1, u2}, Members: []string{u2}},
		groups.MembersBanned{EventMeta: m, Targets: []string{u1}},
		groups.MemberLeft{EventMeta: m},
	})
	want := []struct {
		code   int
		sender string
	}{{CodeGroupJoin, u1}, {CodeGroupAdd, u2}, {CodeGroupAdd, u2}, {CodeGroupPromote, u2}, {CodeGroupDemote, u2},
		{CodeGroupKick, u2}, {CodeGroupLeave, u1}}
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Code != w.code || g.SenderID != w.sender || g.Content != "{}" || !g.Persistent ||
			g.ChannelID != GroupChannelID(gid) || g.GroupID != gid || g.ID == "" {
			t.Errorf("message %d = %+v, want code %d from %s", i, g, w.code, w.sender)
		}
	}
	if got := GroupEventMessages([]groups.Event{groups.MemberLeft{EventMeta: m}, groups.GroupDeleted{EventMeta: m}}); len(got) != 0 {
		t.Errorf("a deleted group's leave wrote %+v", got)
	}
	if r := RemovedUsers([]groups.Event{groups.MembersKicked{EventMeta: m, Targets: []string{u1, u2}}, groups.MemberLeft{EventMeta: m}}); len(r[gid]) != 3 {
		t.Errorf("RemovedUsers = %v", r)
	}
}
