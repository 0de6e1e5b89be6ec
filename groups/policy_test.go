package groups

import "testing"

// none marks "the target has no row in the group".
const none State = -1

func TestPolicyTable(t *testing.T) {
	type result struct {
		to State // the target's state afterwards; none = removed
		ok bool  // whether the rule acts at all
	}
	ops := map[string]func(r role, target State) result{
		"kick": func(r role, s State) result {
			if s != none && canKick(r, s) {
				return result{none, true}
			}
			return result{s, false}
		},
		"ban": func(r role, s State) result {
			if s != none && canBan(r, s) {
				return result{Banned, true}
			}
			return result{s, false}
		},
		"unban": func(r role, s State) result {
			if s != none && canUnban(r, s) {
				return result{none, true}
			}
			return result{s, false}
		},
		"promote": func(r role, s State) result {
			to, ok := promoteTo(r, s)
			return result{to, ok}
		},
		"demote": func(r role, s State) result {
			to, ok := demoteTo(r, s)
			return result{to, ok}
		},
		"add": func(r role, s State) result {
			if canAdd(r, s, s != none) {
				return result{Member, true}
			}
			return result{s, false}
		},
	}
	// Expected outcome per operation, actor role, and target state
	// (none, 0 superadmin, 1 admin, 2 member, 3 request, 4 banned): Nakama's
	// state machine. "-" = unchanged, "x" = removed, a digit = new state.
	want := map[string]map[role]string{
		"kick": {
			roleSuperadmin: "-xxxxx",
			roleAdmin:      "---xxx",
			roleNone:       "------",
		},
		"ban": {
			roleSuperadmin: "-4444-",
			roleAdmin:      "---44-",
			roleNone:       "------",
		},
		"unban": {
			roleSuperadmin: "-----x",
			roleAdmin:      "-----x",
			roleNone:       "------",
		},
		"promote": {
			roleSuperadmin: "--01--",
			roleAdmin:      "---1--",
			roleNone:       "------",
		},
		"demote": {
			roleSuperadmin: "-12---",
			roleAdmin:      "--2---",
			roleNone:       "------",
		},
		"add": {
			roleSuperadmin: "2---2-",
			roleAdmin:      "2---2-",
			roleNone:       "------",
		},
	}
	targets := []State{none, Superadmin, Admin, Member, JoinRequest, Banned}
	for op, byRole := range want {
		for r, row := range byRole {
			for i, target := range targets {
				got := ops[op](r, target)
				var exp result
				switch c := row[i]; c {
				case '-':
					exp = result{target, false}
				case 'x':
					exp = result{none, true}
				default:
					exp = result{State(c - '0'), true}
				}
				if got != exp {
					t.Errorf("%s by role %d on state %d: got %+v, want %+v", op, r, target, got, exp)
				}
			}
		}
	}
}

func TestRoleOf(t *testing.T) {
	user := UserActor("u", "name")
	cases := []struct {
		a    Actor
		s    State
		ok   bool
		want role
	}{
		{SystemActor(), 0, false, roleSuperadmin},
		{user, Superadmin, true, roleSuperadmin},
		{user, Admin, true, roleAdmin},
		{user, Member, true, roleNone},
		{user, JoinRequest, true, roleNone},
		{user, Banned, true, roleNone},
		{user, 0, false, roleNone},
	}
	for _, c := range cases {
		if got := roleOf(c.a, c.s, c.ok); got != c.want {
			t.Errorf("roleOf(%+v, %d, %v) = %d, want %d", c.a, c.s, c.ok, got, c.want)
		}
	}
	if !canUpdate(roleAdmin) || canUpdate(roleNone) || canDelete(roleAdmin) || !canDelete(roleSuperadmin) {
		t.Error("update is for admins and superadmins, delete for superadmins only")
	}
}

func TestValidation(t *testing.T) {
	if _, err := checkGroupID(""); err == nil || err.Error() != "Group ID must be set." {
		t.Errorf("empty group id: %v", err)
	}
	if _, err := checkGroupID("nope"); err == nil || err.Error() != "Group ID must be a valid ID." {
		t.Errorf("bad group id: %v", err)
	}
	if _, err := checkGroupID("00000000-0000-0000-0000-000000000000"); err == nil {
		t.Error("the nil UUID must be refused")
	}
	if id, err := checkGroupID("6BA7B810-9DAD-11D1-80B4-00C04FD430C8"); err != nil || id != "6ba7b810-9dad-11d1-80b4-00c04fd430c8" {
		t.Errorf("upper-case ids are canonicalised: %q %v", id, err)
	}
	ids, err := checkUserIDs([]string{"6ba7b810-9dad-11d1-80b4-00c04fd430c8", "6BA7B810-9DAD-11D1-80B4-00C04FD430C8"})
	if err != nil || len(ids) != 1 {
		t.Errorf("duplicates are merged: %v %v", ids, err)
	}
	for _, v := range []string{"[]", "null", "{", `"x"`, `{"a":"\u0000"}`} {
		if checkMetadata(v) == nil {
			t.Errorf("metadata %q must be refused", v)
		}
	}
	if checkMetadata(`{"roles":{"u":["bouncer"]}}`) != nil {
		t.Error("an object is valid metadata")
	}
	if checkText("Group name", "a\x00b", 10) == nil || checkText("Group name", "\xff", 10) == nil {
		t.Error("NUL and invalid UTF-8 must be refused")
	}
	if checkText("Group name", "ééééé", 5) != nil || checkText("Group name", "éééééé", 5) == nil {
		t.Error("lengths count characters")
	}
}
