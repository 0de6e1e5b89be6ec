package chat

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/groups"
)

// Message codes: 0–2 are a user's message and its update and removal; the
// others are the group event messages Nakama writes into a group's channel.
const (
	CodeChat         = 0
	CodeChatUpdate   = 1
	CodeChatRemove   = 2
	CodeGroupJoin    = 3
	CodeGroupAdd     = 4
	CodeGroupLeave   = 5
	CodeGroupKick    = 6
	CodeGroupPromote = 7
	CodeGroupBan     = 8
	CodeGroupDemote  = 9
	// CodeGroupTransfer is Guildhall's (issue 11): leadership was handed to
	// the sender; the content names the superadmins who became admins,
	// {"from":["<user id>",…]}.
	CodeGroupTransfer = 10
	// The codes below are Guildhall's too; a client that knows only
	// Nakama's codes shows them as it shows any unknown code.
	//
	// CodeGroupInvitationAccept: the sender accepted an invitation and
	// became a member; content {"invitation_id","inviter_id"} (inviter_id ""
	// for the system's invitations). Not 4: the member came by their own
	// choice, not an admin's add.
	CodeGroupInvitationAccept = 11
	// CodeGroupRoleAssign / CodeGroupRoleRemove: the sender was given a
	// custom role (in place of the one they held, if any) / lost it
	// (unassigned, or the role deleted); content {"role_id","role_name"}.
	CodeGroupRoleAssign = 12
	CodeGroupRoleRemove = 13
	// CodeGroupUpdate: the sender (the actor; SystemUserID for the server)
	// changed the group's settings; content {"fields":[…]}, the wire names
	// of the fields whose value changed (groups.ChangedFields).
	CodeGroupUpdate = 14
)

// SystemUserID is the sender of messages without one (scripts acting as the
// server), as Nakama shows it.
const SystemUserID = "00000000-0000-0000-0000-000000000000"

// Message is one channel message, stored or live.
type Message struct {
	ID         string
	ChannelID  string
	Code       int
	SenderID   string
	Username   string
	Content    string // JSON object text
	CreateTime time.Time
	UpdateTime time.Time
	Persistent bool
	// GroupID, Room, UserOne and UserTwo are the channel's parts (Channel).
	GroupID, Room, UserOne, UserTwo string
}

// WithChannel fills m's channel fields from c.
func (m Message) WithChannel(c Channel) Message {
	m.ChannelID, m.GroupID, m.Room, m.UserOne, m.UserTwo = c.ID, c.GroupID, c.Room, c.UserOne, c.UserTwo
	return m
}

// GroupEventMessages returns the event messages group events write into the
// groups' channels, in the events' order, for the store to insert in the
// events' own transaction: sender = the affected user (for a settings
// update, the actor), content "{}" for Nakama's codes. Their Username is
// left empty: the store reads it from the users table as it inserts. A group
// deleted in the same transaction gets none (its channel goes with it).
func GroupEventMessages(events []groups.Event) []Message {
	var deleted map[string]bool
	for _, e := range events {
		if d, ok := e.(groups.GroupDeleted); ok {
			if deleted == nil {
				deleted = map[string]bool{}
			}
			deleted[d.GroupID] = true
		}
	}
	var out []Message
	add := func(m groups.EventMeta, code int, content string, users ...string) {
		if deleted[m.GroupID] {
			return
		}
		c := Channel{ID: GroupChannelID(m.GroupID), Mode: ModeGroup, GroupID: m.GroupID}
		for _, u := range users {
			if _, ok := groups.ParseID(u); !ok && u != SystemUserID {
				continue // only a real user has a place in the history (events are built by the service with canonical ids)
			}
			out = append(out, Message{ID: uuid.NewString(), Code: code, SenderID: u, Content: content,
				CreateTime: m.Time, UpdateTime: m.Time, Persistent: true}.WithChannel(c))
		}
	}
	for _, e := range events {
		switch e := e.(type) {
		case groups.MemberJoined:
			add(e.EventMeta, CodeGroupJoin, "{}", e.ActorID)
		case groups.MembersAdded:
			add(e.EventMeta, CodeGroupAdd, "{}", e.Targets...)
		case groups.RequestsAccepted:
			add(e.EventMeta, CodeGroupAdd, "{}", e.Targets...)
		case groups.MemberLeft:
			add(e.EventMeta, CodeGroupLeave, "{}", e.ActorID)
		case groups.MembersKicked:
			add(e.EventMeta, CodeGroupKick, "{}", e.Members...)
		case groups.MembersBanned:
			add(e.EventMeta, CodeGroupBan, "{}", e.Members...)
		case groups.MembersPromoted:
			add(e.EventMeta, CodeGroupPromote, "{}", e.Targets...)
		case groups.MembersDemoted:
			add(e.EventMeta, CodeGroupDemote, "{}", e.Targets...)
		case groups.LeadershipTransferred:
			add(e.EventMeta, CodeGroupTransfer, transferContent(e.From), e.To)
		case groups.InvitationAccepted:
			if e.Joined {
				add(e.EventMeta, CodeGroupInvitationAccept, contentJSON(map[string]string{
					"invitation_id": e.Invitation.ID, "inviter_id": e.Invitation.InviterID}), e.Invitation.UserID)
			}
		case groups.RoleAssigned:
			add(e.EventMeta, CodeGroupRoleAssign, roleContent(e.RoleID, e.RoleName), e.Targets...)
		case groups.RoleUnassigned:
			add(e.EventMeta, CodeGroupRoleRemove, roleContent(e.RoleID, e.RoleName), e.Targets...)
		case groups.RoleDeleted:
			add(e.EventMeta, CodeGroupRoleRemove, roleContent(e.RoleID, e.RoleName), e.Holders...)
		case groups.GroupUpdated:
			if len(e.Changed) > 0 {
				sender := e.ActorID
				if sender == "" {
					sender = SystemUserID
				}
				add(e.EventMeta, CodeGroupUpdate, contentJSON(map[string][]string{"fields": e.Changed}), sender)
			}
		}
	}
	return out
}

// DeletedGroups returns the groups events deleted, whose channels and
// history go with them.
func DeletedGroups(events []groups.Event) []string {
	var out []string
	for _, e := range events {
		if d, ok := e.(groups.GroupDeleted); ok {
			out = append(out, d.GroupID)
		}
	}
	return out
}

// RemovedUsers returns, per group, the users events took out of it (left,
// kicked, banned): their sockets leave the group's channel.
func RemovedUsers(events []groups.Event) map[string][]string {
	var out map[string][]string
	add := func(gid string, users ...string) {
		if len(users) == 0 {
			return
		}
		if out == nil {
			out = map[string][]string{}
		}
		out[gid] = append(out[gid], users...)
	}
	for _, e := range events {
		switch e := e.(type) {
		case groups.MemberLeft:
			add(e.GroupID, e.ActorID)
		case groups.MembersKicked:
			add(e.GroupID, e.Targets...)
		case groups.MembersBanned:
			add(e.GroupID, e.Targets...)
		}
	}
	return out
}

// transferContent is a transfer message's content: the previous superadmins.
func transferContent(from []string) string {
	if from == nil {
		from = []string{}
	}
	return contentJSON(map[string][]string{"from": from})
}

// roleContent is a role message's content: the role's id and name.
func roleContent(id, name string) string {
	return contentJSON(map[string]string{"role_id": id, "role_name": name})
}

func contentJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}
