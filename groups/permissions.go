package groups

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/guildhall/guildhall/errs"
)

// Permissions and ranks (issue 11). A built-in state keeps Nakama's power
// (roleNone/roleAdmin/roleSuperadmin and the rules of policy.go, unchanged);
// a custom role adds permissions that act only on targets of strictly lower
// rank. An actor's power is computed once per request, under the group's row
// lock, from its state and its role; the rules below are pure functions of
// that power and the target.

// Permissions is a set of permissions; each constant is one of them.
type Permissions uint16

// The permissions, in their documented order. The bit of a name is stored
// (group_roles.permissions) and must never change.
const (
	PermUpdate Permissions = 1 << iota
	PermInvite
	PermAdd
	PermKick
	PermBan
	PermUnban
	PermPromote
	PermDemote
	PermManageRoles
	PermAttributes

	permCount = iota
)

// AllPermissions is every permission: a superadmin's set.
const AllPermissions Permissions = 1<<permCount - 1

// adminPermissions is Nakama's admin set, plus attributes.
const adminPermissions = PermUpdate | PermInvite | PermAdd | PermKick | PermBan | PermUnban | PermPromote |
	PermDemote | PermAttributes

var permissionNames = [permCount]string{"update", "invite", "add", "kick", "ban", "unban", "promote", "demote",
	"manage_roles", "attributes"}

// PermissionNames lists the permission names in their documented order.
func PermissionNames() []string { return permissionNames[:] }

// Names lists the set's names in the documented order (nil for none).
func (p Permissions) Names() []string {
	var out []string
	for i, n := range permissionNames {
		if p&(1<<i) != 0 {
			if out == nil {
				out = make([]string, 0, bits.OnesCount16(uint16(p)))
			}
			out = append(out, n)
		}
	}
	return out
}

// Has reports whether p holds every permission of q.
func (p Permissions) Has(q Permissions) bool { return p&q == q }

// ParsePermissions reads permission names (duplicates merge); an unknown
// name is refused naming it.
func ParsePermissions(names []string) (Permissions, error) {
	var p Permissions
next:
	for _, n := range names {
		for i, known := range permissionNames {
			if n == known {
				p |= 1 << i
				continue next
			}
		}
		return 0, errs.Invalid(fmt.Sprintf("Unknown permission %q: permissions are %s.", n,
			strings.Join(permissionNames[:], ", ")))
	}
	return p, nil
}

// The ranks of the built-in states; a custom role's rank lies between.
const (
	RankMember     = 100
	RankAdmin      = 200
	RankSuperadmin = 300
	MinRoleRank    = RankMember + 1
	MaxRoleRank    = RankSuperadmin - 1
)

// stateRank is a state's rank; join requests, bans and users without a row
// rank below members.
func stateRank(s State, ok bool) int {
	switch {
	case !ok:
		return 0
	case s == Superadmin:
		return RankSuperadmin
	case s == Admin:
		return RankAdmin
	case s == Member:
		return RankMember
	}
	return 0
}

// builtinPermissions is the set a built-in power grants.
func builtinPermissions(r role) Permissions {
	switch r {
	case roleSuperadmin:
		return AllPermissions
	case roleAdmin:
		return adminPermissions
	}
	return 0
}

// MemberRole is the custom role a member holds, as read under the lock; the
// zero value (ID "") is none.
type MemberRole struct {
	ID          string
	Rank        int
	Permissions Permissions
}

// holdsRole: only members and admins (states 1–2) hold custom roles; a
// stale role of any other state counts for nothing.
func holdsRole(s State, ok bool) bool { return ok && (s == Admin || s == Member) }

// power is what one actor may do in one group.
type power struct {
	base role        // the built-in power of the state (Nakama's rules)
	role Permissions // what the custom role grants (0 without one)
	rank int         // the higher of the state's rank and the role's
}

// powerOf computes the actor's power from its state (ok = has a row) and its
// custom role (zero: none). The system acts as a superadmin.
func powerOf(a Actor, s State, ok bool, r MemberRole) power {
	p := power{base: roleOf(a, s, ok), rank: stateRank(s, ok)}
	if a.System {
		p.rank = RankSuperadmin
	}
	if r.ID != "" && holdsRole(s, ok) && !a.System {
		p.role = r.Permissions
		p.rank = max(p.rank, r.Rank)
	}
	return p
}

// has reports whether the power holds perm at all (for some target).
func (p power) has(perm Permissions) bool {
	return (builtinPermissions(p.base)|p.role)&perm != 0
}

// HoldsPermission answers "does this actor hold permission perm in this
// group", given its state (ok = has a row) and custom role (zero: none,
// Locked.Role reads it): the check for permissions without targets (update,
// attributes, manage_roles …). The system holds every permission.
func HoldsPermission(a Actor, s State, ok bool, r MemberRole, perm Permissions) bool {
	return powerOf(a, s, ok, r).has(perm)
}

// target is one user an operation acts on, as read under the lock.
type target struct {
	state State
	has   bool // has a row in the group
	rank  int
}

func targetOf(s State, ok bool, r MemberRole) target {
	t := target{state: s, has: ok, rank: stateRank(s, ok)}
	if r.ID != "" && holdsRole(s, ok) {
		t.rank = max(t.rank, r.Rank)
	}
	return t
}

// byRole: the custom role grants perm and the target ranks strictly lower.
func (p power) byRole(perm Permissions, t target) bool {
	return p.role&perm != 0 && t.rank < p.rank
}

func (p power) kick(t target) bool {
	return t.has && (canKick(p.base, t.state) || p.byRole(PermKick, t))
}

func (p power) ban(t target) bool {
	return t.has && t.state != Banned && (canBan(p.base, t.state) || p.byRole(PermBan, t))
}

func (p power) unban(t target) bool {
	return t.has && (canUnban(p.base, t.state) || t.state == Banned && p.byRole(PermUnban, t))
}

// promote: a role-granted promote makes members admins, never superadmins.
func (p power) promote(t target) (State, bool) {
	if !t.has {
		return t.state, false
	}
	if to, ok := promoteTo(p.base, t.state); ok {
		return to, true
	}
	if t.state == Member && p.byRole(PermPromote, t) {
		return Admin, true
	}
	return t.state, false
}

// demote: a role-granted demote makes admins members (superadmins outrank every role).
func (p power) demote(t target) (State, bool) {
	if !t.has {
		return t.state, false
	}
	if to, ok := demoteTo(p.base, t.state); ok {
		return to, true
	}
	if t.state == Admin && p.byRole(PermDemote, t) {
		return Member, true
	}
	return t.state, false
}

func (p power) add(t target) bool {
	return canAdd(p.base, t.state, t.has) || (!t.has || t.state == JoinRequest) && p.byRole(PermAdd, t)
}

func (p power) invite(t target) inviteAction {
	if act := inviteFor(p.base, t.state, t.has); act != inviteSkip || !p.byRole(PermInvite, t) {
		return act
	}
	return inviteFor(roleAdmin, t.state, t.has)
}

func (p power) update() bool { return canUpdate(p.base) || p.role&PermUpdate != 0 }

// manageRoles: superadmins, or a role granting manage_roles.
func (p power) manageRoles() bool { return p.base == roleSuperadmin || p.role&PermManageRoles != 0 }

// manages reports whether the power may create, change, delete or hand out a
// role of the given rank and permissions: superadmins any; a role-granted
// manager only roles ranking strictly below itself with permissions it holds.
func (p power) manages(rank int, perms Permissions) bool {
	if p.base == roleSuperadmin {
		return true
	}
	return p.role&PermManageRoles != 0 && rank < p.rank && (builtinPermissions(p.base) | p.role).Has(perms)
}

// assignable: role assignments change members and admins (states 1–2) only;
// a role-granted manager changes only targets ranking below itself.
func (p power) assignable(t target) bool {
	if !holdsRole(t.state, t.has) {
		return false
	}
	return p.base == roleSuperadmin || p.role&PermManageRoles != 0 && t.rank < p.rank
}
