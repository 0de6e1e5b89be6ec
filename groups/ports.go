package groups

import (
	"context"
	"time"
)

// Store is what the Service needs from persistence. Reads outside a transaction
// serve listings; every change goes through Tx.
type Store interface {
	// Tx runs fn in one transaction, committing when fn returns nil. A store may
	// run fn again after a serialization failure, so fn must not keep state
	// across attempts.
	Tx(ctx context.Context, fn func(tx Tx) error) error

	GetGroups(ctx context.Context, ids []string) ([]Group, error)
	ListGroups(ctx context.Context, q GroupQuery) ([]Group, error)
	ListGroupUsers(ctx context.Context, q MemberQuery) ([]GroupUser, []int64, error)
	ListUserGroups(ctx context.Context, q MemberQuery) ([]UserGroup, []int64, error)

	ListNotifications(ctx context.Context, userID string, after *NotificationCursor, limit int) ([]Notification, error)
	DeleteNotifications(ctx context.Context, userID string, ids []string) error
}

// Tx is one transaction. LockGroup must be called first: it takes the group's row
// lock, which serialises every change to that group's members and counters.
type Tx interface {
	LockGroup(ctx context.Context, id string) (Group, error) // ErrNotFound
	InsertGroup(ctx context.Context, g Group) error          // ErrNameTaken
	UpdateGroup(ctx context.Context, g Group) error          // ErrNameTaken; writes every field
	DeleteGroup(ctx context.Context, id string) error        // and all its member rows

	// States returns the states of the given users in the group; absent users have no row.
	States(ctx context.Context, groupID string, userIDs []string) (map[string]State, error)
	CountState(ctx context.Context, groupID string, s State) (int, error)
	StateUsers(ctx context.Context, groupID string, states ...State) ([]string, error)
	InsertMember(ctx context.Context, groupID, userID string, s State, now time.Time) error
	SetState(ctx context.Context, groupID, userID string, s State, now time.Time) error
	DeleteMembers(ctx context.Context, groupID string, userIDs []string) error
	// AddEdgeCount changes edge_count by delta and sets update_time, refusing with
	// ErrFull when the result would exceed max_count (guarded in the write itself).
	AddEdgeCount(ctx context.Context, groupID string, delta int, now time.Time) error

	// Usernames returns id→username for the users that exist.
	Usernames(ctx context.Context, userIDs []string) (map[string]string, error)
	InsertNotifications(ctx context.Context, ns []Notification) error
}

// GroupQuery is a ListGroups search in storage terms. Exactly one Order applies.
type GroupQuery struct {
	NamePattern string // lower-cased LIKE pattern on name_key; "" means no name filter
	NamePrefix  string // the literal prefix of NamePattern, for a range scan
	LangTag     string
	Members     *int
	Open        *bool
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
