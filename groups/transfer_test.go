package groups

import (
	"fmt"
	"testing"
)

// TestTransferRules: who may transfer (superadmins and the system) and to
// whom (admins and members only).
func TestTransferRules(t *testing.T) {
	for _, c := range []struct {
		a    Actor
		st   State
		want bool
	}{
		{SystemActor(), none, true},
		{UserActor("u", ""), Superadmin, true},
		{UserActor("u", ""), Admin, false},
		{UserActor("u", ""), Member, false},
		{UserActor("u", ""), JoinRequest, false},
		{UserActor("u", ""), Banned, false},
		{UserActor("u", ""), none, false},
	} {
		if got := canTransfer(c.a, c.st, c.st != none); got != c.want {
			t.Errorf("canTransfer(%+v, %d) = %v", c.a, c.st, got)
		}
	}
	for st, want := range map[State]bool{Superadmin: false, Admin: true, Member: true, JoinRequest: false, Banned: false, none: false} {
		if got := transferTarget(st, st != none); got != want {
			t.Errorf("transferTarget(%d) = %v, want %v", st, got, want)
		}
	}
}

// TestChangedFields: an update's changed fields by wire name, in the
// group's wire order; a value set to what it was is no change.
func TestChangedFields(t *testing.T) {
	before := Group{Name: "a", Description: "d", JoinPolicy: PolicyOpen, Open: true, MaxCount: 10, Metadata: "{}"}
	if got := ChangedFields(before, before); len(got) != 0 {
		t.Fatalf("no change: %v", got)
	}
	after := before
	after.Name, after.JoinPolicy, after.Open, after.Tag, after.Hidden = "b", PolicyRequest, false, "TAG", true
	after.Metadata, after.MaxCount, after.CreatorID, after.LangTag, after.AvatarURL = `{"x":1}`, 11, "c", "fr", "u"
	after.Description, after.AdminsOnlyCreateAttributes = "e", true
	want := "creator_id name description lang_tag metadata avatar_url open max_count join_policy tag hidden admins_only_create_attributes"
	if got := ChangedFields(before, after); fmt.Sprint(got) != "["+want+"]" {
		t.Fatalf("got %v, want [%s]", got, want)
	}
	inviteOnly := before
	inviteOnly.JoinPolicy, inviteOnly.Open = PolicyInviteOnly, false
	closed := inviteOnly
	closed.JoinPolicy = PolicyRequest
	if got := ChangedFields(inviteOnly, closed); fmt.Sprint(got) != "[join_policy]" {
		t.Fatalf("invite_only → request: %v", got)
	}
}
