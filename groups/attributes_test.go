package groups

import (
	"strings"
	"testing"
)

// actorIn is a test actor with its state in the group (st none: no row).
type actorIn struct {
	name string
	a    Actor
	st   State
}

func (x actorIn) ok() bool { return x.st != none }

var attrActors = []actorIn{
	{"system", SystemActor(), none},
	{"superadmin", UserActor("s", ""), Superadmin},
	{"admin", UserActor("a", ""), Admin},
	{"member", UserActor("m", ""), Member},
	{"creator member", UserActor("c", ""), Member},
	{"join request", UserActor("j", ""), JoinRequest},
	{"banned", UserActor("b", ""), Banned},
	{"outsider", UserActor("o", ""), none},
	{"banned creator", UserActor("c", ""), Banned},
}

// TestAttributeRules: the whole table of actor × attribute flag for edit,
// create (with and without admins_only_create_attributes) and the flag
// change, and the holder of `attributes`.
func TestAttributeRules(t *testing.T) {
	type want struct{ holds, createOpen, createAdminsOnly, editCreatorOnly, editOpen, flip bool }
	table := map[string]want{
		"system":         {true, true, true, true, true, true},
		"superadmin":     {true, true, true, true, true, true},
		"admin":          {true, true, true, false, true, false},
		"member":         {false, true, false, false, false, false},
		"creator member": {false, true, false, true, true, true},
		"join request":   {},
		"banned":         {},
		"outsider":       {},
		"banned creator": {false, false, false, false, false, true}, // flip is moot: not a member, so the edit is refused first
	}
	for _, x := range attrActors {
		w, ok := table[x.name]
		if !ok {
			t.Fatalf("no row for %s", x.name)
		}
		creatorOnly := Attribute{CreatorID: "c", OnlyCreatorCanEdit: true}
		open := Attribute{CreatorID: "c"}
		got := want{
			holds:            holdsAttributes(x.a, x.st, x.ok(), MemberRole{}),
			createOpen:       canCreateAttribute(x.a, Group{}, x.st, x.ok(), MemberRole{}),
			createAdminsOnly: canCreateAttribute(x.a, Group{AdminsOnlyCreateAttributes: true}, x.st, x.ok(), MemberRole{}),
			editCreatorOnly:  editAttribute(x.a, creatorOnly, x.st, x.ok(), MemberRole{}) == nil,
			editOpen:         editAttribute(x.a, open, x.st, x.ok(), MemberRole{}) == nil,
			flip:             canSetCreatorOnly(x.a, open, x.st, x.ok()),
		}
		if got != w {
			t.Errorf("%s: %+v, want %+v", x.name, got, w)
		}
	}
	// The refusals name the reason: not a member is 404, creator-only and
	// admins' edits 403 with their own text.
	if err := editAttribute(UserActor("o", ""), Attribute{}, none, false, MemberRole{}); err != errPermission {
		t.Errorf("outsider: %v", err)
	}
	if err := editAttribute(UserActor("a", ""), Attribute{CreatorID: "c", OnlyCreatorCanEdit: true}, Admin, true, MemberRole{}); err != errAttributeCreator {
		t.Errorf("admin on creator-only: %v", err)
	}
	if err := editAttribute(UserActor("m", ""), Attribute{CreatorID: "c"}, Member, true, MemberRole{}); err != errAttributeEdit {
		t.Errorf("member on open: %v", err)
	}
	// The system's own attribute (no creator) is not a user's with id "".
	if editAttribute(UserActor("", ""), Attribute{OnlyCreatorCanEdit: true}, Member, true, MemberRole{}) == nil {
		t.Error("an empty user id matched the system's attribute")
	}
}

func TestAttributeLimits(t *testing.T) {
	for _, k := range []string{"a", "A-z_0.9", strings.Repeat("k", 64)} {
		if err := checkAttributeKey(k); err != nil {
			t.Errorf("key %q: %v", k, err)
		}
	}
	for _, k := range []string{"", strings.Repeat("k", 65), "a b", "a/b", "é", "a\x00", "a:b", "a%20"} {
		if err := checkAttributeKey(k); err != errAttributeKey {
			t.Errorf("key %q: %v, want the key error", k, err)
		}
	}
	for _, v := range []string{"", "x", strings.Repeat("é", 2048), "emoji 🎉"} {
		if err := checkAttributeValue(v); err != nil {
			t.Errorf("value of %d bytes: %v", len(v), err)
		}
	}
	for _, v := range []string{strings.Repeat("x", 4097), "a\x00b", "bad \xff utf-8", "\xc3"} {
		if err := checkAttributeValue(v); err != errAttributeValue {
			t.Errorf("value %q: %v, want the value error", v, err)
		}
	}
}

// TestAttributesPermissionFromRole: a member whose custom role grants
// `attributes` holds it like an admin: creates in an admins-only group and
// edits attributes open to holders, not creator-only ones.
func TestAttributesPermissionFromRole(t *testing.T) {
	m := UserActor("m", "")
	officer := MemberRole{ID: "r", Rank: 150, Permissions: PermAttributes}
	other := MemberRole{ID: "k", Rank: 150, Permissions: PermKick}
	if !holdsAttributes(m, Member, true, officer) || holdsAttributes(m, Member, true, other) {
		t.Fatal("only a role granting attributes makes a member a holder")
	}
	adminsOnly := Group{AdminsOnlyCreateAttributes: true}
	if !canCreateAttribute(m, adminsOnly, Member, true, officer) || canCreateAttribute(m, adminsOnly, Member, true, other) {
		t.Fatal("creating in an admins-only group: the role granting attributes decides")
	}
	if err := editAttribute(m, Attribute{CreatorID: "c"}, Member, true, officer); err != nil {
		t.Fatalf("an open attribute, holder by role: %v", err)
	}
	if err := editAttribute(m, Attribute{CreatorID: "c", OnlyCreatorCanEdit: true}, Member, true, officer); err != errAttributeCreator {
		t.Fatalf("a creator-only attribute, holder by role: %v, want the creator-only refusal", err)
	}
}
