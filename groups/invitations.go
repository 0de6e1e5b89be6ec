package groups

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/errs"
)

// Invitations: a group's admins invite users, who accept (becoming members,
// subject at that moment to the group's capacity, bans, category limit and
// policy) or decline; admins or the inviter revoke. Every change of a
// group's invitations runs under that group's row lock, like its members.

// Invitation limits.
const (
	DefaultInvitationTTL = 7 * 24 * time.Hour
	MaxInvitationTTL     = 30 * 24 * time.Hour
	// DefaultInvitationLimit is an invitation listing's page size when none is given.
	DefaultInvitationLimit = 20
)

// InvitationState is an invitation's wire state. Expired is never stored:
// it is a pending invitation past its expire time.
type InvitationState string

// The invitation states.
const (
	InvitePending  InvitationState = "pending"
	InviteAccepted InvitationState = "accepted"
	InviteDeclined InvitationState = "declined"
	InviteRevoked  InvitationState = "revoked"
	InviteExpired  InvitationState = "expired"
)

// Invitation is one invitation of a user (UserID) to a group.
type Invitation struct {
	ID         string
	GroupID    string
	GroupName  string
	InviterID  string // "" for the system
	UserID     string
	Message    string
	State      InvitationState
	CreateTime time.Time
	UpdateTime time.Time
	ExpireTime time.Time
}

// shown is inv as a reader sees it at now: a pending invitation past its
// expire time is expired.
func (inv Invitation) shown(now time.Time) Invitation {
	if inv.State == InvitePending && !now.Before(inv.ExpireTime) {
		inv.State = InviteExpired
	}
	return inv
}

// InvitationList is a page of invitations.
type InvitationList struct {
	Invitations []Invitation
	Cursor      string
}

// InviteRequest invites users to a group.
type InviteRequest struct {
	GroupID      string   `op:"group_id,path"`
	UserIDs      []string `op:"user_ids"`
	Message      string   `op:"message"`
	ExpiresInSec int      `op:"expires_in_sec"` // 0: the service's default
}

// InvitationRequest names one invitation (accept, decline, revoke).
type InvitationRequest struct {
	InvitationID string `op:"invitation_id,path"`
	// GroupID, when set (Go callers only: the admin console), refuses an
	// invitation of another group as not found.
	GroupID string
}

// ListInvitationsRequest pages through the caller's pending invitations.
type ListInvitationsRequest struct {
	Limit  int    `op:"limit,query,null,limit"` // 0 means DefaultInvitationLimit
	Cursor string `op:"cursor,query"`
}

// ListGroupInvitationsRequest pages through a group's invitations.
type ListGroupInvitationsRequest struct {
	GroupID string `op:"group_id,path"`
	State   string `op:"state,query"` // "" means pending
	Limit   int    `op:"limit,query,null,limit"`
	Cursor  string `op:"cursor,query"`
}

// InvitationQuery is an invitation listing in storage terms: a user's
// (UserID) or a group's (GroupID) invitations stored in State, newest
// first; for pending ones Expired chooses those past Now (true) or not.
type InvitationQuery struct {
	UserID, GroupID string
	State           InvitationState // a stored state (not expired)
	Expired         bool
	Now             time.Time
	After           *InvitationCursor
	Limit           int
}

// InvitationCursor is the keyset position after the last row of a page.
type InvitationCursor struct {
	UpdateTime int64 // unix microseconds
	ID         string
	Filter     string
}

var (
	errInvitationNotFound = errs.Errorf(errs.CodeNotFound, "Invitation not found.")
	errNotPending         = errs.Errorf(errs.CodeFailedPrecondition, "Invitation is no longer pending.")
	errExpired            = errs.Errorf(errs.CodeFailedPrecondition, "Invitation has expired.")
	errBanned             = errs.Errorf(errs.CodePermissionDenied, "User is banned from this group.")
)

// InviteUsers invites users to a group, one invitation per user, answering
// them in request order. Members, banned users and the caller are skipped; a
// pending invitation is renewed (same id); a join request is accepted instead
// (the entry comes back accepted). Admins and superadmins invite; a closed
// group refuses.
func (s *Service) InviteUsers(ctx context.Context, a Actor, req InviteRequest) (InvitationList, error) {
	if s.disabled {
		return InvitationList{}, ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return InvitationList{}, err
	}
	targets, err := checkUserIDs(req.UserIDs)
	if err != nil {
		return InvitationList{}, err
	}
	if a, err = checkActor(a); err != nil {
		return InvitationList{}, err
	}
	if err := checkText("Invitation message", req.Message, MaxMessageLen); err != nil {
		return InvitationList{}, err
	}
	ttl := s.invitationTTL
	if req.ExpiresInSec != 0 {
		ttl = time.Duration(req.ExpiresInSec) * time.Second
		if req.ExpiresInSec < 0 || ttl > MaxInvitationTTL {
			return InvitationList{}, errs.Invalid(fmt.Sprintf("Invitation expiry must be between 1 and %d seconds.",
				int(MaxInvitationTTL/time.Second)))
		}
	}
	var out []Invitation
	err = s.tx(ctx, func(tx Tx) error {
		out = out[:0]
		if len(targets) == 0 {
			return nil
		}
		q := LockQuery{GroupID: id, UserIDs: targets, CheckUsers: true}
		if a.UserID != "" {
			q.UserIDs = append([]string{a.UserID}, targets...)
		}
		l, err := tx.Lock(ctx, q)
		if errors.Is(err, ErrNotFound) {
			return errPermission
		} else if err != nil {
			return err
		}
		g := l.Group
		st, ok := l.States[a.UserID]
		p := powerOf(a, st, ok, l.Role(a.UserID))
		if !p.has(PermInvite) {
			return errPermission
		}
		for _, t := range targets {
			if _, ok := l.Usernames[t]; !ok {
				return errs.Invalid("One or more users not found.")
			}
		}
		if g.JoinPolicy == PolicyClosed {
			return errClosed
		}
		pending, err := tx.PendingInvitations(ctx, id, targets)
		if err != nil {
			return err
		}
		now := s.now()
		m := meta(id, a, now)
		var accepted []string
		for _, t := range targets {
			st, has := l.States[t]
			act := p.invite(targetOf(st, has, l.Role(t)))
			if t == a.UserID || act == inviteSkip {
				continue // the caller, members and banned users, as Nakama's add skips them
			}
			inv, renew := pending[t]
			if !renew {
				inv = Invitation{ID: newID(), GroupID: id, UserID: t, CreateTime: now}
			}
			inv.GroupName, inv.InviterID, inv.Message, inv.UpdateTime = g.Name, a.UserID, req.Message, now
			inv.State, inv.ExpireTime = InvitePending, now.Add(ttl)
			if act == inviteAccept {
				if g.EdgeCount+len(accepted)+1 > g.MaxCount {
					return errs.Invalid("Group is full.")
				}
				if err := s.checkCategory(ctx, tx, g.Category, []string{t}); err != nil {
					return err
				}
				tx.SetState(ctx, id, t, Member, now)
				accepted = append(accepted, t)
				inv.State = InviteAccepted
			}
			if renew {
				tx.UpdateInvitation(ctx, inv)
			} else {
				tx.InsertInvitation(ctx, inv)
			}
			out = append(out, inv)
		}
		if len(accepted) > 0 {
			tx.AddEdgeCount(ctx, id, len(accepted), now)
			tx.Record(RequestsAccepted{EventMeta: m, GroupName: g.Name, Targets: accepted})
		}
		if len(out) > len(accepted) {
			tx.Record(InvitationsSent{EventMeta: m, Invitations: pendingOnly(out)})
		}
		return nil
	})
	if err != nil {
		return InvitationList{}, fullOr(err)
	}
	return InvitationList{Invitations: out}, nil
}

func pendingOnly(invs []Invitation) []Invitation {
	out := make([]Invitation, 0, len(invs))
	for _, inv := range invs {
		if inv.State == InvitePending {
			out = append(out, inv)
		}
	}
	return out
}

// invitationChange is the frame of accept, decline and revoke: the
// invitation read, its group locked, the invitation read again under the
// lock, then change decides.
func (s *Service) invitationChange(ctx context.Context, a Actor, req InvitationRequest,
	change func(tx Tx, l Locked, inv Invitation, now time.Time) error) error {
	if s.disabled {
		return ErrDisabled
	}
	if req.InvitationID == "" {
		return errs.Invalid("Invitation ID must be set.")
	}
	invID, ok := parseID(req.InvitationID)
	if !ok {
		return errs.Invalid("Invitation ID must be a valid ID.")
	}
	a, err := checkActor(a)
	if err != nil {
		return err
	}
	if a.UserID == "" && !a.System {
		return errs.Invalid("User ID must be set.")
	}
	err = s.tx(ctx, func(tx Tx) error {
		inv, err := tx.Invitation(ctx, invID)
		if err != nil {
			return err
		}
		if req.GroupID != "" && inv.GroupID != req.GroupID {
			return errInvitationNotFound
		}
		l, err := tx.Lock(ctx, LockQuery{GroupID: inv.GroupID, UserIDs: dedupe(actorIDs(a), inv.UserID)})
		if err != nil {
			return err
		}
		if inv, err = tx.Invitation(ctx, invID); err != nil { // as it is under the lock
			return err
		}

		return change(tx, l, inv, s.now())
	})
	if errors.Is(err, ErrNotFound) {
		return errInvitationNotFound
	}
	return fullOr(err)
}

func dedupe(ids []string, id string) []string {
	for _, x := range ids {
		if x == id {
			return ids
		}
	}
	return append(ids, id)
}

// stillPending refuses an invitation that is no longer pending or has expired.
func stillPending(inv Invitation, now time.Time) error {
	switch inv.shown(now).State {
	case InvitePending:
		return nil
	case InviteExpired:
		return errExpired
	}
	return errNotPending
}

// AcceptInvitation makes the invitee a member (a join request of theirs is
// accepted); the group's capacity, bans, category limit and a closed policy
// apply at this moment.
func (s *Service) AcceptInvitation(ctx context.Context, a Actor, req InvitationRequest) error {
	return s.invitationChange(ctx, a, req, func(tx Tx, l Locked, inv Invitation, now time.Time) error {
		if !a.System && inv.UserID != a.UserID {
			return errInvitationNotFound
		}
		if err := stillPending(inv, now); err != nil {
			return err
		}
		g := l.Group
		if g.JoinPolicy == PolicyClosed {
			return errClosed
		}
		st, has := l.States[inv.UserID]
		joined := false
		switch {
		case has && st == Banned:
			return errBanned
		case has && st != JoinRequest: // already a member: nothing to add
		default:
			joined = true
			if g.EdgeCount >= g.MaxCount {
				return errs.Invalid("Group is full.")
			}
			if err := s.checkCategory(ctx, tx, g.Category, []string{inv.UserID}); err != nil {
				return err
			}
			if has {
				tx.SetState(ctx, g.ID, inv.UserID, Member, now)
			} else {
				tx.InsertMember(ctx, g.ID, inv.UserID, Member, now)
			}
			tx.AddEdgeCount(ctx, g.ID, 1, now)
		}
		inv.State, inv.UpdateTime, inv.GroupName = InviteAccepted, now, g.Name
		tx.UpdateInvitation(ctx, inv)
		tx.Record(InvitationAccepted{EventMeta: EventMeta{GroupID: g.ID, ActorID: inv.UserID, Time: now}, Invitation: inv, Joined: joined})
		return nil
	})
}

// DeclineInvitation declines a pending invitation (the invitee only).
func (s *Service) DeclineInvitation(ctx context.Context, a Actor, req InvitationRequest) error {
	return s.invitationChange(ctx, a, req, func(tx Tx, l Locked, inv Invitation, now time.Time) error {
		if !a.System && inv.UserID != a.UserID {
			return errInvitationNotFound
		}
		if err := stillPending(inv, now); err != nil {
			return err
		}
		inv.State, inv.UpdateTime, inv.GroupName = InviteDeclined, now, l.Group.Name
		tx.UpdateInvitation(ctx, inv)
		tx.Record(InvitationDeclined{EventMeta: EventMeta{GroupID: inv.GroupID, ActorID: inv.UserID, Time: now}, Invitation: inv})
		return nil
	})
}

// RevokeInvitation withdraws a pending (or expired) invitation: the group's
// admins and superadmins, or its inviter.
func (s *Service) RevokeInvitation(ctx context.Context, a Actor, req InvitationRequest) error {
	return s.invitationChange(ctx, a, req, func(tx Tx, l Locked, inv Invitation, now time.Time) error {
		st, ok := l.States[a.UserID]
		p := powerOf(a, st, ok, l.Role(a.UserID))
		if !canRevoke(p.base, a.UserID != "" && inv.InviterID == a.UserID) && !p.has(PermInvite) {
			return errInvitationNotFound
		}
		if inv.State != InvitePending {
			return errNotPending
		}
		inv.State, inv.UpdateTime, inv.GroupName = InviteRevoked, now, l.Group.Name
		tx.UpdateInvitation(ctx, inv)
		tx.Record(InvitationRevoked{EventMeta: meta(inv.GroupID, a, now), Invitation: inv})
		return nil
	})
}

// ListInvitations pages through the actor's pending invitations, newest first.
func (s *Service) ListInvitations(ctx context.Context, a Actor, req ListInvitationsRequest) (InvitationList, error) {
	if s.disabled {
		return InvitationList{}, ErrDisabled
	}
	a, err := checkActor(a)
	if err != nil {
		return InvitationList{}, err
	}
	if a.UserID == "" {
		return InvitationList{}, errs.Invalid("User ID must be set.")
	}
	return s.listInvitations(ctx, InvitationQuery{UserID: a.UserID, State: InvitePending}, req.Limit, req.Cursor)
}

// ListGroupInvitations pages through a group's invitations in one state
// (default pending; "expired" are the pending ones past their expiry),
// newest first: for its admins and superadmins (and the system).
func (s *Service) ListGroupInvitations(ctx context.Context, a Actor, req ListGroupInvitationsRequest) (InvitationList, error) {
	if s.disabled {
		return InvitationList{}, ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return InvitationList{}, err
	}
	if a, err = checkActor(a); err != nil {
		return InvitationList{}, err
	}
	q := InvitationQuery{GroupID: id, State: InvitationState(req.State)}
	switch q.State {
	case "":
		q.State = InvitePending
	case InviteExpired:
		q.State, q.Expired = InvitePending, true
	case InvitePending, InviteAccepted, InviteDeclined, InviteRevoked:
	default:
		return InvitationList{}, errs.Invalid("Invalid state - state must be one of pending, accepted, declined, revoked, expired.")
	}
	_, st, err := s.store.GetGroup(ctx, id, a.UserID)
	if errors.Is(err, ErrNotFound) {
		return InvitationList{}, errPermission
	} else if err != nil {
		return InvitationList{}, err
	}
	if !a.System && (st == nil || roleOf(a, *st, true) < roleAdmin) {
		// A custom role granting invite lets its holder see the invitations
		// too; read only for members, whose state alone does not.
		if st == nil || !holdsRole(*st, true) {
			return InvitationList{}, errPermission
		}
		r, err := s.store.HeldRole(ctx, id, a.UserID)
		if err != nil {
			return InvitationList{}, err
		}
		if !HoldsPermission(a, *st, true, r, PermInvite) {
			return InvitationList{}, errPermission
		}
	}
	return s.listInvitations(ctx, q, req.Limit, req.Cursor)
}

func (s *Service) listInvitations(ctx context.Context, q InvitationQuery, limit int, cursor string) (InvitationList, error) {
	limit, err := checkLimit(limit, DefaultInvitationLimit)
	if err != nil {
		return InvitationList{}, err
	}
	q.Now, q.Limit = s.now(), limit+1
	filter := fmt.Sprintf("%s|%s|%s|%v", q.UserID, q.GroupID, q.State, q.Expired)
	if cursor != "" {
		var c InvitationCursor
		if !decodeCursor(cursor, base64.RawURLEncoding, &c) || c.Filter != filter || !validCursorID(c.ID) {
			return InvitationList{}, errs.Invalid(msgMalformedCursor)
		}
		q.After = &c
	}
	rows, err := s.store.ListInvitations(ctx, q)
	if err != nil {
		return InvitationList{}, err
	}
	for i := range rows {
		rows[i] = rows[i].shown(q.Now)
	}
	out := InvitationList{Invitations: rows}
	if len(rows) > limit {
		out.Invitations = rows[:limit]
		last := out.Invitations[limit-1]
		out.Cursor = encodeCursor(InvitationCursor{UpdateTime: last.UpdateTime.UnixMicro(), ID: last.ID, Filter: filter},
			base64.RawURLEncoding)
	}
	return out, nil
}
