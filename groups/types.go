// Package groups is the domain of Guildhall: groups, membership states, the rules
// of who may do what to whom, and the Service that applies them in one transaction
// per operation, recording typed events (events.go) that its subscribers receive
// after the commit. It knows nothing of HTTP, SQL or scripts; storage comes in through
// the Store port.
package groups

import (
	"math"
	"time"
)

// State is a user's standing in a group. The numbers are Nakama's wire values.
type State int

// Membership states.
const (
	Superadmin  State = 0
	Admin       State = 1
	Member      State = 2
	JoinRequest State = 3
	Banned      State = 4
)

// Valid reports whether s is one of the five states.
func (s State) Valid() bool { return s >= Superadmin && s <= Banned }

// Counts reports whether a user in state s counts towards edge_count.
func (s State) Counts() bool { return s >= Superadmin && s <= Member }

// Group is one group row.
type Group struct {
	ID          string
	CreatorID   string
	Name        string
	Description string
	LangTag     string
	Metadata    string // JSON object text
	AvatarURL   string
	Open        bool // exactly JoinPolicy == PolicyOpen (Nakama's flag)
	EdgeCount   int
	MaxCount    int
	CreateTime  time.Time
	UpdateTime  time.Time
	JoinPolicy  JoinPolicy
	Tag         string // 2-5 letters or digits, unique case-insensitively; "" none
	Hidden      bool   // never listed by ListGroups
	Category    string // DefaultCategory unless set at create
	// AdminsOnlyCreateAttributes: only holders of the attributes
	// permission create attributes (attributes.go).
	AdminsOnlyCreateAttributes bool
}

// JoinPolicy is how a group takes new members.
type JoinPolicy string

// The join policies. Nakama's open flag is PolicyOpen; its closed groups are
// PolicyRequest.
const (
	PolicyOpen       JoinPolicy = "open"        // join makes a member
	PolicyRequest    JoinPolicy = "request"     // join files a join request
	PolicyInviteOnly JoinPolicy = "invite_only" // members come by invitation (or an admin's add)
	PolicyClosed     JoinPolicy = "closed"      // no new members by join or invitation
)

// Valid reports whether p is one of the four policies.
func (p JoinPolicy) Valid() bool {
	switch p {
	case PolicyOpen, PolicyRequest, PolicyInviteOnly, PolicyClosed:
		return true
	}
	return false
}

// DefaultCategory is the category of a group created without one; it always
// exists and is unlimited unless configured.
const DefaultCategory = "group"

// GroupView is one group as a user sees it: with the user's state in it
// (nil when the user has no relation to the group).
type GroupView struct {
	Group Group
	State *State
}

// User is the public profile shown in member listings.
type User struct {
	ID          string
	Username    string
	DisplayName string
	AvatarURL   string
	LangTag     string
	Location    string
	Timezone    string
	Metadata    string
	CreateTime  time.Time
	UpdateTime  time.Time
}

// GroupUser is one row of a group's member listing.
type GroupUser struct {
	User    User
	State   State
	Message string   // a join request's message
	Role    *RoleRef // the custom role held; nil for none
}

// UserGroup is one row of a user's group listing.
type UserGroup struct {
	Group Group
	State State
}

// Notification codes Nakama reserves for group events (the inbox writes them
// for JoinRequested, MembersAdded and RequestsAccepted).
const (
	NotifyGroupAdd         = -4
	NotifyGroupJoinRequest = -5
)

// Actor is who performs an operation. The zero UserID with System set stands for
// server-authoritative calls (http key, script nk.* calls): no permission checks,
// but the invariants (capacity, last superadmin) still hold.
type Actor struct {
	UserID   string
	Username string
	System   bool
}

// SystemActor is the caller of server-authoritative operations.
func SystemActor() Actor { return Actor{System: true} }

// UserActor is a client acting as itself.
func UserActor(userID, username string) Actor { return Actor{UserID: userID, Username: username} }

// Request fields carry `op` tags (package codec): one field list that the
// HTTP API, the hook payloads and the nk bindings read.

// CreateGroupRequest creates a group owned (state 0) by OwnerID, or by the actor.
type CreateGroupRequest struct {
	OwnerID     string `op:"user_id,server"` // system calls only; defaults to the actor
	CreatorID   string // nk only; defaults to the owner
	Name        string `op:"name"`
	Description string `op:"description"`
	LangTag     string `op:"lang_tag"`
	AvatarURL   string `op:"avatar_url"`
	Metadata    string `op:"metadata,server"` // system calls only; "" means "{}"
	Open        *bool  `op:"open"`            // nil: as JoinPolicy says, else request
	MaxCount    int    `op:"max_count"`       // 0 means DefaultMaxCount, unless MaxCountSet
	JoinPolicy  string `op:"join_policy"`     // "": from Open
	Tag         string `op:"tag"`
	Hidden      bool   `op:"hidden"`
	Category    string `op:"category"` // "": DefaultCategory
	// AdminsOnlyCreateAttributes: see Group.
	AdminsOnlyCreateAttributes bool `op:"admins_only_create_attributes"`
	// MaxCountSet says MaxCount was given explicitly (script nk calls), so
	// 0 is refused rather than meaning the default.
	MaxCountSet bool
}

// UpdateGroupRequest changes the fields that are set. Metadata, MaxCount and
// CreatorID are server-authoritative: a user actor may not set them.
type UpdateGroupRequest struct {
	GroupID     string  `op:"group_id,path"`
	MaxCount    *int    `op:"max_count,server"`
	Name        *string `op:"name"`
	Description *string `op:"description"`
	LangTag     *string `op:"lang_tag"`
	AvatarURL   *string `op:"avatar_url"`
	Metadata    *string `op:"metadata,server"`
	CreatorID   *string `op:"creator_id,server"`
	Open        *bool   `op:"open"`
	JoinPolicy  *string `op:"join_policy"`
	Tag         *string `op:"tag"` // "" clears it
	Hidden      *bool   `op:"hidden"`
	// AdminsOnlyCreateAttributes: see Group.
	AdminsOnlyCreateAttributes *bool `op:"admins_only_create_attributes"`
}

// GroupRequest names one group (delete, join, leave).
type GroupRequest struct {
	GroupID string `op:"group_id,path"`
}

// JoinGroupRequest asks to join a group; Message goes with a join request.
type JoinGroupRequest struct {
	GroupID string `op:"group_id,path"`
	Message string `op:"message"`
}

// GroupUsersRequest names a group and target users (add, kick, ban, unban,
// promote, demote).
type GroupUsersRequest struct {
	GroupID string   `op:"group_id,path"`
	UserIDs []string `op:"user_ids,query"`
}

// ListGroupUsersRequest pages through a group's members.
type ListGroupUsersRequest struct {
	GroupID string `op:"group_id,path"`
	Limit   int    `op:"limit,query,null,limit"` // 0 means 100
	State   *State `op:"state,query,state"`      // nil means states 0-3
	Cursor  string `op:"cursor,query"`
}

// ListUserGroupsRequest pages through a user's groups.
type ListUserGroupsRequest struct {
	UserID string `op:"user_id,path"`
	Limit  int    `op:"limit,query,null,limit"`
	State  *State `op:"state,query,state"`
	Cursor string `op:"cursor,query"`
}

// ListGroupsRequest searches groups. Name cannot be combined with the other filters.
type ListGroupsRequest struct {
	Name    string `op:"name,query"` // case-insensitive; a trailing % makes it a prefix search
	LangTag string `op:"lang_tag,query"`
	Cursor  string `op:"cursor,query"`
	Limit   int    `op:"limit,query,null,limit"` // 0 means 1 (Nakama's default)
	Members *int   `op:"members,query"`          // groups with edge_count <= Members
	Open    *bool  `op:"open,query"`             // nil: both
	// Hidden says whether hidden groups are listed. No op tag: the API
	// and scripts never list them; Go callers (the admin console) may.
	Hidden HiddenFilter
}

// HiddenFilter chooses a listing's hidden groups.
type HiddenFilter int

// Hidden group filters.
const (
	HiddenExcluded HiddenFilter = iota // public listings: never
	HiddenIncluded                     // hidden and visible groups alike
	HiddenOnly                         // hidden groups only
)

// GroupUserList is a page of a group's members.
type GroupUserList struct {
	GroupUsers []GroupUser
	Cursor     string
}

// UserGroupList is a page of a user's groups.
type UserGroupList struct {
	UserGroups []UserGroup
	Cursor     string
}

// GroupList is a page of groups.
type GroupList struct {
	Groups []Group
	Cursor string
}

// Limits of stored fields (characters, except metadata which is bytes).
const (
	DefaultMaxCount   = 100
	MaxMaxCount       = math.MaxInt32 // max_count is an INTEGER column
	MaxNameLen        = 255
	MaxDescriptionLen = 255
	MaxAvatarURLLen   = 512
	MaxLangTagLen     = 18
	MaxMetadataBytes  = 16 * 1024
	MaxListLimit      = 100
	MaxBatchUsers     = 100
	MaxMessageLen     = 255 // join request and invitation messages
)
