package groups

// The rules of who may do what to whom, as pure functions of states. They
// reproduce Nakama's state machine (see README "Compatibility"); the service calls
// them inside the transaction, with states read under the group's row lock.

// role is an actor's power in one group.
type role int

const (
	roleNone role = iota
	roleAdmin
	roleSuperadmin
)

// roleOf derives the actor's power from its state in the group (ok = has a row).
// The system actor acts as a superadmin.
func roleOf(a Actor, s State, ok bool) role {
	switch {
	case a.System:
		return roleSuperadmin
	case !ok:
		return roleNone
	case s == Superadmin:
		return roleSuperadmin
	case s == Admin:
		return roleAdmin
	}
	return roleNone
}

// canKick: admins remove members, join requests (reject) and bans (unban);
// superadmins remove anyone. The last-superadmin guard is the service's.
func canKick(r role, target State) bool {
	switch r {
	case roleSuperadmin:
		return true
	case roleAdmin:
		return target >= Member
	}
	return false
}

// canBan: as kick, but the target must already have a row (no pre-banning) and
// banning a banned user changes nothing.
func canBan(r role, target State) bool {
	return target != Banned && canKick(r, target)
}

// canUnban: any admin lifts a ban (Guildhall's addition; Nakama has it server-side only).
func canUnban(r role, target State) bool {
	return r >= roleAdmin && target == Banned
}

// promoteTo: members become admins; only superadmins make superadmins.
// Join requests and bans are never promoted.
func promoteTo(r role, target State) (State, bool) {
	switch {
	case r >= roleAdmin && target == Member:
		return Admin, true
	case r == roleSuperadmin && target == Admin:
		return Superadmin, true
	}
	return target, false
}

// demoteTo: admins demote admins; superadmins also demote superadmins.
func demoteTo(r role, target State) (State, bool) {
	switch {
	case r >= roleAdmin && target == Admin:
		return Member, true
	case r == roleSuperadmin && target == Superadmin:
		return Admin, true
	}
	return target, false
}

// canAdd: adding creates a member or accepts a join request; existing members
// and banned users are left alone (a ban must be lifted first).
func canAdd(r role, target State, hasRow bool) bool {
	return r >= roleAdmin && (!hasRow || target == JoinRequest)
}

// canUpdate: admins and superadmins edit a group's client-settable fields.
func canUpdate(r role) bool { return r >= roleAdmin }

// canDelete: only superadmins delete.
func canDelete(r role) bool { return r == roleSuperadmin }

// inviteAction is what an invitation does to one target.
type inviteAction int

const (
	inviteSkip   inviteAction = iota // members and bans, as add skips them
	inviteSend                       // a pending invitation (new or renewed)
	inviteAccept                     // a join request: accepted at once
)

// inviteFor: admins and superadmins invite users without a row; inviting a
// user who asked to join accepts the request.
func inviteFor(r role, target State, hasRow bool) inviteAction {
	switch {
	case r < roleAdmin:
		return inviteSkip
	case !hasRow:
		return inviteSend
	case target == JoinRequest:
		return inviteAccept
	}
	return inviteSkip
}

// canRevoke: admins and superadmins revoke any of the group's invitations,
// the inviter their own.
func canRevoke(r role, inviter bool) bool { return r >= roleAdmin || inviter }
