package inbox

import (
	"testing"
	"time"

	"github.com/guildhall/guildhall/groups"
)

// TestStored: only persistent notifications are written; a list of only
// persistent ones is returned as it is (no copy on the common path).
func TestStored(t *testing.T) {
	p1, p2 := Notification{ID: "1", Persistent: true}, Notification{ID: "2", Persistent: true}
	live := Notification{ID: "x"}
	all := []Notification{p1, p2}
	if got := Stored(all); len(got) != 2 || &got[0] != &all[0] {
		t.Fatalf("Stored(all persistent) = %v, want the same slice", got)
	}
	for _, in := range [][]Notification{{live, p1, p2}, {p1, live, p2}, {p1, p2, live}} {
		if got := Stored(in); len(got) != 2 || got[0].ID != "1" || got[1].ID != "2" {
			t.Fatalf("Stored(%v) = %v", in, got)
		}
	}
	if got := Stored([]Notification{live}); len(got) != 0 {
		t.Fatalf("Stored(live) = %v", got)
	}
}

// TestGroupNotificationShapes: codes, persistence, recipients (never the
// actor) and content of each kind.
func TestGroupNotificationShapes(t *testing.T) {
	m := groups.EventMeta{GroupID: "g", ActorID: "a", Time: time.Unix(100, 0).UTC()}
	ns := GroupNotifications([]groups.Event{
		groups.MembersKicked{EventMeta: m, Targets: []string{"r", "k", "b"}, Members: []string{"k"}, Requests: []string{"r"}, GroupName: "G"},
		groups.MembersPromoted{EventMeta: m, Targets: []string{"p"}, GroupName: "G"},
		groups.MembersDemoted{EventMeta: m, Targets: []string{"d"}, GroupName: "G"},
		groups.MembersBanned{EventMeta: m, Targets: []string{"x"}, GroupName: "G"},
		groups.GroupDeleted{EventMeta: m, GroupName: "G", Members: []string{"y", "a"}},
	})
	want := []struct {
		user       string
		code       int
		persistent bool
		content    string
	}{
		{"r", -100, true, `{"group_id":"g","group_name":"G","kind":"join_request_rejected"}`},
		{"k", -105, false, `{"group_id":"g","group_name":"G","kind":"kicked"}`},
		{"p", -103, false, `{"group_id":"g","group_name":"G","kind":"promoted"}`},
		{"d", -104, false, `{"group_id":"g","group_name":"G","kind":"demoted"}`},
		{"x", -106, true, `{"group_id":"g","group_name":"G","kind":"banned"}`},
		{"y", -107, true, `{"group_id":"g","group_name":"G","kind":"group_disbanded"}`},
	}
	if len(ns) != len(want) {
		t.Fatalf("got %+v", ns)
	}
	for i, w := range want {
		n := ns[i]
		if n.UserID != w.user || n.Code != w.code || n.Persistent != w.persistent || n.Content != w.content ||
			n.SenderID != "a" || !n.CreateTime.Equal(m.Time) || n.ID == "" || n.Subject == "" {
			t.Errorf("%d: %+v, want %+v", i, n, w)
		}
	}

	bs := GroupBroadcasts([]groups.Event{
		groups.MemberJoined{EventMeta: m, GroupName: "G"},
		groups.MembersAdded{EventMeta: m, GroupName: "G", Targets: []string{"n"}},
		groups.InvitationAccepted{EventMeta: groups.EventMeta{GroupID: "g", ActorID: "i"}, Invitation: groups.Invitation{UserID: "i", GroupName: "G"}},
		groups.InvitationAccepted{EventMeta: groups.EventMeta{GroupID: "g", ActorID: "j"}, Invitation: groups.Invitation{UserID: "j", GroupName: "G"}, Joined: true},
	})
	if len(bs) != 3 {
		t.Fatalf("broadcasts %+v", bs)
	}
	for i, w := range []struct{ member, actor string }{{"a", "a"}, {"n", "a"}, {"j", "j"}} {
		b := bs[i]
		if b.GroupID != "g" || b.GroupName != "G" || b.Member != w.member || b.ActorID != w.actor ||
			!b.Skips(w.member) || !b.Skips(w.actor) || b.Skips("someone") {
			t.Errorf("broadcast %d: %+v, want %+v", i, b, w)
		}
		n := b.Notification("someone")
		if n.Persistent || n.Code != -102 || n.UserID != "someone" || n.ID == "" || n.SenderID != w.actor ||
			n.Content != `{"group_id":"g","group_name":"G","kind":"new_member","newGroupMember":"`+w.member+`"}` {
			t.Errorf("notice %d: %+v", i, n)
		}
	}
}
