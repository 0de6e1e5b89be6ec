package groups

import (
	"context"
	"time"
)

// Store is what the Service needs from persistence. Reads outside a transaction
// serve listings; every change goes through Tx.
type Store interface {
	// Tx runs fn in one transaction, committing when fn returns nil, then
	// calls committed (when not nil) with the events fn recorded. A store may
	// run fn again after a serialization failure, so fn must not keep state
	// across attempts; only the attempt that commits reaches committed, and
	// nothing does when the transaction fails.
	Tx(ctx context.Context, fn func(tx Tx) error, committed func(events []Event)) error

	GetGroups(ctx context.Context, ids []string) ([]Group, error)
	// GetGroup reads a group and userID's state in it (nil: no row; userID
	// "" reads none); ErrNotFound when the group does not exist.
	GetGroup(ctx context.Context, id, userID string) (Group, *State, error)
	ListGroups(ctx context.Context, q GroupQuery) ([]Group, error)
	ListGroupUsers(ctx context.Context, q MemberQuery) ([]GroupUser, []int64, error)
	ListUserGroups(ctx context.Context, q MemberQuery) ([]UserGroup, []int64, error)
	// ListInvitations reads a page of invitations (with their group names),
	// newest (update_time, id) first.
	ListInvitations(ctx context.Context, q InvitationQuery) ([]Invitation, error)

	AttributeStore // attributes.go
	// ListRoles reads a group's custom roles, by rank (highest first), then name.
	ListRoles(ctx context.Context, groupID string) ([]Role, error)
	// HeldRole reads the custom role userID holds in the group (zero: none).
	HeldRole(ctx context.Context, groupID, userID string) (MemberRole, error)
}

// Tx is one transaction. Lock must be called first on an existing group: it takes
// the group's row lock, which serialises every change to that group's members and
// counters, and reads under it what the change needs.
//
// Writes return nothing. A store may send a write later, with the next read or
// the commit (PostgreSQL pipelines them: a change costs two round trips, not
// one per statement), so a write's error (ErrNameTaken, ErrFull, ErrNotFound)
// comes from the next read, or from Store.Tx when no read follows, on every
// store alike; after it, the transaction does nothing more. The service maps
// these sentinels on what Store.Tx returns.
type Tx interface {
	Lock(ctx context.Context, q LockQuery) (Locked, error) // ErrNotFound
	InsertGroup(ctx context.Context, g Group)              // ErrNameTaken, ErrTagTaken
	UpdateGroup(ctx context.Context, g Group)              // ErrNameTaken, ErrTagTaken; writes every field but Category
	DeleteGroup(ctx context.Context, id string)            // and all its member rows

	CountState(ctx context.Context, groupID string, s State) (int, error)
	StateUsers(ctx context.Context, groupID string, states ...State) ([]string, error)
	// JoinNoticeAdmins returns the superadmins and admins (state, then join
	// order) to notify of userID's join request and records now as its notice
	// time; it returns none, and records nothing, when a request of userID to
	// the group was notified after since. A zero since notifies always and
	// records nothing.
	JoinNoticeAdmins(ctx context.Context, groupID, userID string, now, since time.Time) ([]string, error)
	// InsertMember adds a row; ErrNotFound when the user does not exist.
	InsertMember(ctx context.Context, groupID, userID string, s State, now time.Time)
	// InsertJoinRequest adds a join request (state 3) with its message.
	InsertJoinRequest(ctx context.Context, groupID, userID, message string, now time.Time)
	// SetState changes a user's state (and clears a join request's message,
	// and the custom role when the new state is neither member nor admin).
	SetState(ctx context.Context, groupID, userID string, s State, now time.Time)
	DeleteMembers(ctx context.Context, groupID string, userIDs []string)
	// AddEdgeCount changes edge_count by delta and sets update_time, refusing with
	// ErrFull when the result would exceed max_count or go below 0 (guarded in the
	// write itself, so the transaction cannot commit past the limit).
	AddEdgeCount(ctx context.Context, groupID string, delta int, now time.Time)

	// CategoryCounts locks the users' rows (in the order given) and counts,
	// per user, the groups of category they are in with states 0-2.
	CategoryCounts(ctx context.Context, userIDs []string, category string) (map[string]int, error)

	// Invitation reads one invitation (without GroupName); ErrNotFound.
	Invitation(ctx context.Context, id string) (Invitation, error)
	// PendingInvitations reads the stored-pending invitations (expired or
	// not) of the users to the group, by user.
	PendingInvitations(ctx context.Context, groupID string, userIDs []string) (map[string]Invitation, error)
	InsertInvitation(ctx context.Context, inv Invitation)
	// UpdateInvitation writes inviter, message, state and times.
	UpdateInvitation(ctx context.Context, inv Invitation)

	// GroupRoles reads the group's custom roles.
	GroupRoles(ctx context.Context, groupID string) ([]Role, error)
	InsertRole(ctx context.Context, r Role) // ErrNameTaken
	UpdateRole(ctx context.Context, r Role) // ErrNameTaken; name, rank, permissions, update time
	// GroupRolesAndHolders reads the group's custom roles and the users
	// holding roleID (by id), in one round trip.
	GroupRolesAndHolders(ctx context.Context, groupID, roleID string) ([]Role, []string, error)
	// DeleteRole deletes a role and takes it from its holders.
	DeleteRole(ctx context.Context, groupID, roleID string)
	// SetMemberRole makes the users' rows hold roleID ("" none).
	SetMemberRole(ctx context.Context, groupID string, userIDs []string, roleID string)

	// Usernames returns id→username for the users that exist.
	Usernames(ctx context.Context, userIDs []string) (map[string]string, error)

	AttributeTx // attributes.go

	// Record adds an event of this transaction: the store writes the
	// notifications it causes before the commit, and passes it to Store.Tx's
	// committed step after.
	Record(e Event)
}

// LockQuery names the group a change locks and what it reads under that lock.
type LockQuery struct {
	GroupID    string
	UserIDs    []string // read their states in the group
	CheckUsers bool     // also read which of UserIDs exist, with their usernames
	Members    bool     // also read the group's members (states 0–2), in the same round trip
}

// Locked is what Lock read, every part after the lock was granted (so it includes
// everything committed before).
type Locked struct {
	Group     Group
	States    map[string]State  // of LockQuery.UserIDs that have a row in the group
	Usernames map[string]string // id → username of LockQuery.UserIDs that exist, when CheckUsers
	// Roles are the custom roles of LockQuery.UserIDs that hold one, read
	// with their states (nil when none does).
	Roles   map[string]MemberRole
	Members []string // the group's members (states 0–2), when LockQuery.Members
}

// Role is the custom role userID holds (zero: none).
func (l Locked) Role(userID string) MemberRole { return l.Roles[userID] }

// GroupQuery is a ListGroups search in storage terms. Exactly one Order applies.
type GroupQuery struct {
	NamePattern string // lower-cased LIKE pattern on name_key; "" means no name filter
	NamePrefix  string // the literal prefix of NamePattern, for a range scan
	LangTag     string
	Members     *int
	Open        *bool
	Hidden      HiddenFilter // HiddenExcluded unless a Go caller asks
	Order       GroupOrder
	After       *GroupCursor
	Limit       int
}

// GroupOrder is the order of a group listing, fixed by which filters are present
// (Nakama's rules), each served by one index.
type GroupOrder int

// Group listing orders.
const (
	OrderByName       GroupOrder = iota // name filter: name_key ascending
	OrderByUpdateTime                   // no filter, or open only: update_time, id ascending
	OrderByLangEdges                    // lang_tag only: edge_count, id ascending
	OrderByEdgesDesc                    // members, or open+lang_tag: edge_count, id descending
)

// GroupCursor is the keyset position after the last row of a page.
type GroupCursor struct {
	Order      GroupOrder
	NameKey    string
	UpdateTime int64 // unix microseconds
	EdgeCount  int
	ID         string
	Filter     string // fingerprint of the filters the cursor was made for
}

// MemberQuery pages a group's members or a user's groups in (state, position, id) order.
type MemberQuery struct {
	ID     string // group id for ListGroupUsers, user id for ListUserGroups
	States []State
	After  *MemberCursor
	Limit  int
}

// MemberCursor is the keyset position after the last row of a member page.
type MemberCursor struct {
	State    State
	Position int64
	ID       string // user id (group listing) or group id (user listing)
	Filter   int    // the state filter, -1 for none
}
