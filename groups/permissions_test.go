package groups

import (
	"slices"
	"strings"
	"testing"
)

// roleHeld is a test role (rank, permissions); the zero value is none.
func roleHeld(rank int, p Permissions) MemberRole {
	return MemberRole{ID: "r", Rank: rank, Permissions: p}
}

var targetPerms = PermKick | PermBan | PermUnban | PermPromote | PermDemote | PermAdd | PermInvite

// TestPermissionMatrix: actor state × actor role × target state × target
// role × action. "-" = unchanged, "x" = removed, a digit = new state.
func TestPermissionMatrix(t *testing.T) {
	type tgt struct {
		s    State
		role MemberRole
	}
	// none, superadmin, admin, admin holding 250, member, member holding
	// 150, member holding 120, join request, banned.
	targets := []tgt{{none, MemberRole{}}, {Superadmin, MemberRole{}}, {Admin, MemberRole{}},
		{Admin, roleHeld(250, 0)}, {Member, MemberRole{}}, {Member, roleHeld(150, 0)}, {Member, roleHeld(120, 0)},
		{JoinRequest, MemberRole{}}, {Banned, MemberRole{}}}
	type actor struct {
		name string
		s    State
		role MemberRole
	}
	user := UserActor("u", "")
	ops := map[string]func(p power, t target) string{
		"kick":    func(p power, t target) string { return pick(p.kick(t), "x") },
		"ban":     func(p power, t target) string { return pick(p.ban(t), "4") },
		"unban":   func(p power, t target) string { return pick(p.unban(t), "x") },
		"add":     func(p power, t target) string { return pick(p.add(t), "2") },
		"promote": func(p power, t target) string { to, ok := p.promote(t); return pick(ok, string(rune('0'+to))) },
		"demote":  func(p power, t target) string { to, ok := p.demote(t); return pick(ok, string(rune('0'+to))) },
		"invite": func(p power, t target) string {
			return map[inviteAction]string{inviteSkip: "-", inviteSend: "i", inviteAccept: "2"}[p.invite(t)]
		},
	}
	cases := []struct {
		a    actor
		want map[string]string
	}{
		{actor{"officer: member holding 150 with every target permission", Member, roleHeld(150, targetPerms)}, map[string]string{
			"kick": "----x-xxx", "ban": "----4-44-", "unban": "--------x", "promote": "----1-1--", "demote": "---------",
			"add": "2------2-", "invite": "i------2-"}},
		{actor{"member holding 250 with every target permission", Member, roleHeld(250, targetPerms)}, map[string]string{
			"kick": "--x-xxxxx", "ban": "--4-4444-", "unban": "--------x", "promote": "----111--", "demote": "--2------",
			"add": "2------2-", "invite": "i------2-"}},
		{actor{"officer holding kick only", Member, roleHeld(150, PermKick)}, map[string]string{
			"kick": "----x-xxx", "ban": "---------", "unban": "---------", "promote": "---------", "demote": "---------",
			"add": "---------", "invite": "---------"}},
		{actor{"admin (Nakama's rules; the targets' roles do not protect them)", Admin, MemberRole{}}, map[string]string{
			"kick": "----xxxxx", "ban": "----4444-", "unban": "--------x", "promote": "----111--", "demote": "--22-----",
			"add": "2------2-", "invite": "i------2-"}},
		{actor{"admin holding 150 with kick: nothing more", Admin, roleHeld(150, PermKick)}, map[string]string{
			"kick": "----xxxxx", "ban": "----4444-", "unban": "--------x", "promote": "----111--", "demote": "--22-----",
			"add": "2------2-", "invite": "i------2-"}},
		{actor{"admin holding 250 with kick: also kicks plain admins", Admin, roleHeld(250, PermKick)}, map[string]string{
			"kick": "--x-xxxxx", "ban": "----4444-", "unban": "--------x", "promote": "----111--", "demote": "--22-----",
			"add": "2------2-", "invite": "i------2-"}},
		{actor{"superadmin", Superadmin, MemberRole{}}, map[string]string{
			"kick": "-xxxxxxxx", "ban": "-4444444-", "unban": "--------x", "promote": "--00111--", "demote": "-122-----",
			"add": "2------2-", "invite": "i------2-"}},
		{actor{"member", Member, MemberRole{}}, map[string]string{
			"kick": "---------", "ban": "---------", "unban": "---------", "promote": "---------", "demote": "---------",
			"add": "---------", "invite": "---------"}},
		{actor{"banned with a stale role", Banned, roleHeld(250, AllPermissions)}, map[string]string{
			"kick": "---------", "ban": "---------", "unban": "---------", "promote": "---------", "demote": "---------",
			"add": "---------", "invite": "---------"}},
		{actor{"join request with a stale role", JoinRequest, roleHeld(250, AllPermissions)}, map[string]string{
			"kick": "---------", "ban": "---------", "unban": "---------", "promote": "---------", "demote": "---------",
			"add": "---------", "invite": "---------"}},
		{actor{"no row", none, MemberRole{}}, map[string]string{
			"kick": "---------", "ban": "---------", "unban": "---------", "promote": "---------", "demote": "---------",
			"add": "---------", "invite": "---------"}},
	}
	for _, c := range cases {
		p := powerOf(user, c.a.s, c.a.s != none, c.a.role)
		for op, want := range c.want {
			var got strings.Builder
			for _, x := range targets {
				got.WriteString(ops[op](p, targetOf(x.s, x.s != none, x.role)))
			}
			if got.String() != want {
				t.Errorf("%s, %s: got %s, want %s", c.a.name, op, got.String(), want)
			}
		}
	}
}

func pick(ok bool, s string) string {
	if ok {
		return s
	}
	return "-"
}

// TestBuiltinPowerIsNakamas: without custom roles the power's rules are
// exactly the built-in functions of policy.go (today's outcomes), for every
// actor and target state.
func TestBuiltinPowerIsNakamas(t *testing.T) {
	states := []State{none, Superadmin, Admin, Member, JoinRequest, Banned}
	for _, a := range []Actor{SystemActor(), UserActor("u", "")} {
		for _, as := range states {
			r := roleOf(a, as, as != none)
			p := powerOf(a, as, as != none, MemberRole{})
			if p.base != r {
				t.Fatalf("base %d, want %d", p.base, r)
			}
			for _, ts := range states {
				has := ts != none
				tg := targetOf(ts, has, MemberRole{})
				to1, ok1 := p.promote(tg)
				to2, ok2 := promoteTo(r, ts)
				to3, ok3 := p.demote(tg)
				to4, ok4 := demoteTo(r, ts)
				if p.kick(tg) != (has && canKick(r, ts)) || p.ban(tg) != (has && canBan(r, ts)) ||
					p.unban(tg) != (has && canUnban(r, ts)) || p.add(tg) != canAdd(r, ts, has) ||
					p.invite(tg) != inviteFor(r, ts, has) || ok1 != (has && ok2) || ok1 && to1 != to2 ||
					ok3 != (has && ok4) || ok3 && to3 != to4 {
					t.Errorf("actor %+v in state %d on state %d differs from the built-in rules", a, as, ts)
				}
			}
			if p.update() != canUpdate(r) {
				t.Errorf("update by state %d", as)
			}
			// Every batch operation's permission is held exactly by admins and superadmins.
			for _, perm := range []Permissions{PermAdd, PermKick, PermBan, PermUnban, PermPromote, PermDemote, PermInvite, PermUpdate} {
				if p.has(perm) != (r >= roleAdmin) {
					t.Errorf("state %d holds %v: %v", as, perm.Names(), p.has(perm))
				}
			}
			if p.manageRoles() != (r == roleSuperadmin) || p.has(PermManageRoles) != (r == roleSuperadmin) {
				t.Errorf("manage_roles by state %d", as)
			}
		}
	}
}

func TestHoldsPermission(t *testing.T) {
	u := UserActor("u", "")
	cases := []struct {
		a    Actor
		s    State
		ok   bool
		r    MemberRole
		p    Permissions
		want bool
	}{
		{SystemActor(), 0, false, MemberRole{}, PermManageRoles, true},
		{u, Superadmin, true, MemberRole{}, PermManageRoles, true},
		{u, Admin, true, MemberRole{}, PermAttributes, true},
		{u, Admin, true, MemberRole{}, PermManageRoles, false},
		{u, Member, true, MemberRole{}, PermAttributes, false},
		{u, Member, true, roleHeld(150, PermAttributes), PermAttributes, true},
		{u, Member, true, roleHeld(150, PermKick), PermAttributes, false},
		{u, Admin, true, roleHeld(150, PermManageRoles), PermManageRoles, true},
		{u, Banned, true, roleHeld(150, PermAttributes), PermAttributes, false},
		{u, 0, false, roleHeld(150, PermAttributes), PermAttributes, false},
	}
	for _, c := range cases {
		if got := HoldsPermission(c.a, c.s, c.ok, c.r, c.p); got != c.want {
			t.Errorf("HoldsPermission(%+v, %d, %v, %+v, %v) = %v", c.a, c.s, c.ok, c.r, c.p.Names(), got)
		}
	}
}

func TestRoleManagement(t *testing.T) {
	u := UserActor("u", "")
	super := powerOf(u, Superadmin, true, MemberRole{})
	steward := powerOf(u, Member, true, roleHeld(250, PermManageRoles|PermKick))
	if !super.manages(299, AllPermissions) {
		t.Error("a superadmin manages any role")
	}
	if !steward.manages(249, PermKick|PermManageRoles) || steward.manages(250, 0) || steward.manages(120, PermBan) {
		t.Error("a role's manager manages roles below its rank with permissions it holds")
	}
	if !steward.assignable(targetOf(Admin, true, MemberRole{})) || steward.assignable(targetOf(Member, true, roleHeld(250, 0))) ||
		steward.assignable(targetOf(JoinRequest, true, MemberRole{})) || steward.assignable(targetOf(Superadmin, true, MemberRole{})) {
		t.Error("a role's manager assigns only to members and admins it outranks")
	}
	if !super.assignable(targetOf(Admin, true, roleHeld(299, 0))) || super.assignable(targetOf(Banned, true, MemberRole{})) {
		t.Error("a superadmin assigns to any member or admin, never to others")
	}
}

func TestParsePermissions(t *testing.T) {
	p, err := ParsePermissions([]string{"kick", "invite", "kick", "attributes"})
	if err != nil || !slices.Equal(p.Names(), []string{"invite", "kick", "attributes"}) {
		t.Errorf("got %v %v", p.Names(), err)
	}
	if _, err := ParsePermissions([]string{"kick", "KICK"}); err == nil || !strings.Contains(err.Error(), `"KICK"`) {
		t.Errorf("an unknown name must be named: %v", err)
	}
	if len(PermissionNames()) != 10 || AllPermissions.Names()[9] != "attributes" || Permissions(0).Names() != nil {
		t.Error("ten documented permissions")
	}
	// The stored bits never change (migration 00008 documents them).
	for i, n := range []string{"update", "invite", "add", "kick", "ban", "unban", "promote", "demote", "manage_roles", "attributes"} {
		if p, _ := ParsePermissions([]string{n}); p != 1<<i {
			t.Errorf("%s is bit %d", n, i)
		}
	}
}
