// Package audit is the log of group operations: who (a user or the system)
// did what (the operation) to which group and users, with the request id and
// an optional reason. The store writes one entry per committed operation in
// that operation's own transaction, derived from the events the service
// recorded (FromEvents), so a rolled-back operation leaves no entry and every
// path — client API, server API, scripts' nk — is covered alike. The package
// knows nothing of HTTP, SQL or scripts; storage comes in through the Store port.
package audit

import (
	"context"
	"encoding/base64"
	"slices"
	"time"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
)

// System is the actor of server-authoritative operations (http key, nk as the system).
const System = "system"

// Operation names.
const (
	OpCreateGroup  = "create_group"
	OpUpdateGroup  = "update_group"
	OpDeleteGroup  = "delete_group"
	OpJoinGroup    = "join_group"
	OpLeaveGroup   = "leave_group"
	OpAddUsers     = "add_group_users"
	OpKickUsers    = "kick_group_users"
	OpBanUsers     = "ban_group_users"
	OpUnbanUsers   = "unban_group_users"
	OpPromoteUsers = "promote_group_users"
	OpDemoteUsers  = "demote_group_users"
	// Invitations (the invitations issue's operations).
	OpInviteUsers       = "invite_group_users"
	OpAcceptInvitation  = "accept_invitation"
	OpDeclineInvitation = "decline_invitation"
	OpRevokeInvitation  = "revoke_invitation"
	OpTransferGroup     = "transfer_group" // targets: the new superadmin
	OpPutAttribute      = "put_group_attribute"
	OpDelAttribute      = "delete_group_attribute"
	OpCreateRole        = "create_group_role" // custom roles (issue 11)
	OpUpdateRole        = "update_group_role"
	OpDeleteRole        = "delete_group_role"
	OpAssignRole        = "assign_group_role"
	OpUnassignRole      = "unassign_group_role"
	maxReasonLength     = 512
)

var ops = map[string]bool{
	OpCreateGroup: true, OpUpdateGroup: true, OpDeleteGroup: true, OpJoinGroup: true, OpLeaveGroup: true,
	OpAddUsers: true, OpKickUsers: true, OpBanUsers: true, OpUnbanUsers: true, OpPromoteUsers: true,
	OpDemoteUsers: true, OpInviteUsers: true, OpAcceptInvitation: true, OpDeclineInvitation: true,
	OpRevokeInvitation: true, OpTransferGroup: true, OpPutAttribute: true, OpDelAttribute: true,
	OpCreateRole: true, OpUpdateRole: true, OpDeleteRole: true, OpAssignRole: true,
	OpUnassignRole: true,
}

// Outcomes. Only committed operations are logged (see FromEvents), so the
// outcome says how an operation succeeded where there is more than one way.
const (
	OutcomeOK        = "ok"
	OutcomeRequested = "requested" // a join of a closed group filed a join request
	OutcomeDeleted   = "deleted"   // the last member's leave deleted the group
)

// Entry is one audited operation.
type Entry struct {
	ID        int64 // the store's, in insert order; 0 until written
	Time      time.Time
	ActorID   string // a user id, or System
	Op        string
	GroupID   string
	Targets   []string // users the operation changed, in request order
	Outcome   string
	RequestID string // empty outside a request (a script's startup code)
	Reason    string // given by a server API caller
}

// FromEvents is the entry of one committed operation, from the events it
// recorded (without an ID: the store numbers entries); ok is false when it recorded none (an operation that changed
// nothing — a repeated join, a kick of non-members — is not logged).
func FromEvents(events []groups.Event, requestID, reason string) (e Entry, ok bool) {
	if len(events) == 0 {
		return Entry{}, false
	}
	m := events[0].Meta()
	e = Entry{Time: m.Time, ActorID: m.ActorID, GroupID: m.GroupID, Outcome: OutcomeOK,
		RequestID: requestID, Reason: reason}
	if e.ActorID == "" {
		e.ActorID = System
	}
	for _, ev := range events {
		switch ev := ev.(type) {
		case groups.GroupCreated:
			e.Op = OpCreateGroup
			if ev.OwnerID != m.ActorID {
				e.Targets = append(e.Targets, ev.OwnerID)
			}
		case groups.GroupUpdated:
			e.Op = OpUpdateGroup
		case groups.GroupDeleted:
			if e.Op == OpLeaveGroup {
				e.Outcome = OutcomeDeleted
			} else {
				e.Op = OpDeleteGroup
			}
		case groups.MemberJoined:
			e.Op = OpJoinGroup
		case groups.JoinRequested:
			e.Op, e.Outcome = OpJoinGroup, OutcomeRequested
		case groups.MemberLeft:
			e.Op = OpLeaveGroup
		case groups.MembersAdded:
			e.Op, e.Targets = OpAddUsers, addTargets(e.Targets, ev.Targets)
		case groups.RequestsAccepted:
			e.Op, e.Targets = OpAddUsers, addTargets(e.Targets, ev.Targets)
		case groups.MembersKicked:
			e.Op, e.Targets = OpKickUsers, addTargets(e.Targets, ev.Targets)
		case groups.MembersBanned:
			e.Op, e.Targets = OpBanUsers, addTargets(e.Targets, ev.Targets)
		case groups.MembersUnbanned:
			e.Op, e.Targets = OpUnbanUsers, addTargets(e.Targets, ev.Targets)
		case groups.MembersPromoted:
			e.Op, e.Targets = OpPromoteUsers, addTargets(e.Targets, ev.Targets)
		case groups.MembersDemoted:
			e.Op, e.Targets = OpDemoteUsers, addTargets(e.Targets, ev.Targets)
		case groups.InvitationsSent:
			// An invitation of a user with a join request accepts it
			// (RequestsAccepted, its targets first): one invite entry.
			e.Op = OpInviteUsers
			for _, inv := range ev.Invitations {
				e.Targets = append(e.Targets, inv.UserID)
			}
		case groups.InvitationAccepted:
			e.Op = OpAcceptInvitation
		case groups.InvitationDeclined:
			e.Op = OpDeclineInvitation
		case groups.InvitationRevoked:
			e.Op, e.Targets = OpRevokeInvitation, append(e.Targets, ev.Invitation.UserID)
		case groups.LeadershipTransferred:
			e.Op, e.Targets = OpTransferGroup, append(e.Targets, ev.To)
		case groups.AttributePut:
			e.Op = OpPutAttribute
		case groups.AttributeDeleted:
			e.Op = OpDelAttribute
		case groups.RoleCreated:
			e.Op = OpCreateRole
		case groups.RoleUpdated:
			e.Op = OpUpdateRole
		case groups.RoleDeleted:
			e.Op = OpDeleteRole
		case groups.RoleAssigned:
			e.Op, e.Targets = OpAssignRole, addTargets(e.Targets, ev.Targets)
		case groups.RoleUnassigned:
			e.Op, e.Targets = OpUnassignRole, addTargets(e.Targets, ev.Targets)
		}
	}
	if e.Op == "" {
		return Entry{}, false // an event type this package does not know yet
	}
	return e, true
}

// addTargets appends more to targets; the first list is shared, not copied
// (clipped, so a later append copies instead of writing into the event's array).
func addTargets(targets, more []string) []string {
	if targets == nil {
		return slices.Clip(more)
	}
	return append(targets, more...)
}

type reasonKey struct{}

// WithReason returns ctx carrying the reason a server API caller gave; the
// entry of an operation run with it stores it.
func WithReason(ctx context.Context, reason string) context.Context {
	if reason == "" {
		return ctx
	}
	return context.WithValue(ctx, reasonKey{}, reason)
}

// Reason is the reason ctx carries, if any.
func Reason(ctx context.Context) string {
	r, _ := ctx.Value(reasonKey{}).(string)
	return r
}

// CheckReason refuses a reason that is not storable text or is too long.
func CheckReason(reason string) error {
	return groups.CheckText("Reason", reason, maxReasonLength)
}

// Query is a listing in storage terms: newest first (by id, which follows
// commit order), every set filter applies.
type Query struct {
	GroupID string
	UserID  string // actor or target; System matches the system's entries
	Op      string
	Start   time.Time // inclusive; zero for none
	End     time.Time // exclusive; zero for none
	After   *Cursor
	Limit   int
}

// Cursor is the keyset position after the last entry of a page (newest
// first, by id).
type Cursor struct {
	ID int64 `json:"id"`
}

// Store keeps the log. Entries are written by the groups store itself, in the
// operations' transactions.
type Store interface {
	ListAudit(ctx context.Context, q Query) ([]Entry, error)
	// PurgeAudit deletes entries older than before, at most batch rows per
	// statement, and returns how many it deleted.
	PurgeAudit(ctx context.Context, before time.Time, batch int) (int64, error)
}

// Service reads and purges the log.
type Service struct {
	store Store
	now   func() time.Time
}

// New returns the log over st.
func New(st Store) *Service {
	return &Service{store: st, now: func() time.Time { return time.Now().UTC() }}
}

// FromGroups returns the log over the groups service's store when that store
// keeps it (Guildhall's one store does), else nil.
func FromGroups(g *groups.Service) *Service {
	if g == nil {
		return nil
	}
	st, ok := g.Store().(Store)
	if !ok {
		return nil
	}
	return New(st)
}

// ListRequest is GET /v2/server/audit's query.
type ListRequest struct {
	GroupID    string
	UserID     string
	Op         string
	Start, End time.Time
	Limit      int // 0 means 100
	Cursor     string
}

// Page is a page of entries, newest first; Cursor is empty on the last page.
type Page struct {
	Entries []Entry
	Cursor  string
}

// List pages through the log, newest first.
func (s *Service) List(ctx context.Context, r ListRequest) (Page, error) {
	q := Query{Op: r.Op, Start: r.Start, End: r.End}
	var err error
	if q.Limit, err = groups.CheckLimit(r.Limit, groups.MaxListLimit); err != nil {
		return Page{}, err
	}
	if r.GroupID != "" {
		var ok bool
		if q.GroupID, ok = groups.ParseID(r.GroupID); !ok {
			return Page{}, errs.Invalid("Group ID must be a valid ID.")
		}
	}
	if r.UserID == System {
		q.UserID = System
	} else if r.UserID != "" {
		var ok bool
		if q.UserID, ok = groups.ParseID(r.UserID); !ok {
			return Page{}, errs.Invalid("User ID must be a valid ID or \"system\".")
		}
	}
	if r.Op != "" && !ops[r.Op] {
		return Page{}, errs.Invalid("Unknown operation.")
	}
	if r.Cursor != "" {
		var c Cursor
		if !groups.DecodeCursor(r.Cursor, base64.RawURLEncoding, &c) || c.ID <= 0 {
			return Page{}, errs.Invalid("Malformed cursor was used.")
		}
		q.After = &c
	}
	// One more than the page tells whether there is a next page.
	want := q.Limit
	q.Limit++
	es, err := s.store.ListAudit(ctx, q)
	if err != nil {
		return Page{}, err
	}
	var p Page
	if len(es) > want {
		es = es[:want]
		last := es[want-1]
		p.Cursor = groups.EncodeCursor(Cursor{ID: last.ID}, base64.RawURLEncoding)
	}
	p.Entries = es
	return p, nil
}

// Purge deletes the entries older than retention; 0 keeps everything.
func (s *Service) Purge(ctx context.Context, retention time.Duration) (int64, error) {
	if retention <= 0 {
		return 0, nil
	}
	return s.store.PurgeAudit(ctx, s.now().Add(-retention), 1000)
}
