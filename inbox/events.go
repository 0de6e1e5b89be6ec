package inbox

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/groups"
)

// Notification codes beyond Nakama's, for group events, in the range
// -199…-100 that Nakama leaves unused and scripts may not send (Send allows
// only codes above 0 or in -2000…-1000).
const (
	NotifyJoinRequestRejected = -100 // to the requester
	NotifyInvitationReceived  = -101 // to the invitee
	NotifyNewMember           = -102 // to every member but the new one and the actor; live only
	NotifyPromoted            = -103 // to the member; live only
	NotifyDemoted             = -104 // to the member; live only
	NotifyKicked              = -105 // to the member; live only
	NotifyBanned              = -106 // to the target
	NotifyGroupDisbanded      = -107 // to every member but the actor
	NotifyRoleAssigned        = -108 // to the member; content has roleId; live only
	NotifyRoleRemoved         = -109 // to the member (unassigned, or the role deleted); content has roleId; live only
	// NotifyLeadershipTransferred goes to the new superadmin and the
	// superadmins who became admins (but the actor); content has from, to.
	NotifyLeadershipTransferred = -110
)

// The content's kind of each code beyond Nakama's.
const (
	KindJoinRequestRejected = "join_request_rejected"
	KindInvitationReceived  = "invitation_received"
	KindNewMember           = "new_member"
	KindPromoted            = "promoted"
	KindDemoted             = "demoted"
	KindKicked              = "kicked"
	KindBanned              = "banned"
	KindGroupDisbanded      = "group_disbanded"
	KindRoleAssigned        = "role_assigned"
	KindRoleRemoved         = "role_removed"
	// KindLeadershipTransferred is -110's kind.
	KindLeadershipTransferred = "leadership_transferred"
)

// GroupNotifications returns the notifications group events cause to named
// users, for the store to write the persistent ones in the events' own
// transaction (one INSERT in the commit batch) and the hub to push them all
// after the commit: a join request notifies the admins the event names (-5);
// an added member or an accepted request notifies the user (-4); a rejected
// request, an invitation, a promotion, a demotion, a kick, a ban, a
// disbanded group, a role assigned or removed and a leadership transfer
// notify the users they concern (-100…-110, see the codes). The actor is
// never notified of their own action. A new member's notice to the other
// members is not here: it is a Broadcast.
//
// Promotions, demotions, kicks and role changes are live only: they are the
// frequent membership changes (a row each would add a write to every one of
// them; a role is a custom group's promotion), and their outcome stays
// visible — the member's state and role in the member list, the group
// missing from the kicked user's groups, the channel's event messages. The
// rarer ones are stored, as Nakama stores -4 and -5: an invitation, a
// rejected request, a ban, a disbanded group and a leadership transfer
// (once in a group's life, and the new superadmin must learn of powers
// they now hold even if they were offline).
func GroupNotifications(events []groups.Event) []Notification {
	var out []Notification
	for _, e := range events {
		switch e := e.(type) {
		case groups.JoinRequested:
			if len(e.Admins) == 0 {
				continue
			}
			content := mustJSON(map[string]string{"group_id": e.GroupID, "username": e.Username})
			subject := "User " + e.Username + " wants to join your group"
			for _, uid := range e.Admins {
				out = append(out, Notification{ID: uuid.NewString(), UserID: uid, Subject: subject, Content: content,
					Code: NotifyGroupJoinRequest, SenderID: e.ActorID, CreateTime: e.Time, Persistent: true})
			}
		case groups.MembersAdded:
			out = appendAdded(out, e.EventMeta, e.GroupName, e.Targets)
		case groups.RequestsAccepted:
			out = appendAdded(out, e.EventMeta, e.GroupName, e.Targets)
		case groups.MembersKicked:
			out = appendKind(out, e.EventMeta, e.GroupName, e.Requests, NotifyJoinRequestRejected, KindJoinRequestRejected, true,
				"Your request to join group "+e.GroupName+" was rejected")
			out = appendKind(out, e.EventMeta, e.GroupName, e.Members, NotifyKicked, KindKicked, false,
				"You've been kicked from group "+e.GroupName)
		case groups.MembersBanned:
			out = appendKind(out, e.EventMeta, e.GroupName, e.Targets, NotifyBanned, KindBanned, true,
				"You've been banned from group "+e.GroupName)
		case groups.MembersPromoted:
			out = appendKind(out, e.EventMeta, e.GroupName, e.Targets, NotifyPromoted, KindPromoted, false,
				"You've been promoted in group "+e.GroupName)
		case groups.MembersDemoted:
			out = appendKind(out, e.EventMeta, e.GroupName, e.Targets, NotifyDemoted, KindDemoted, false,
				"You've been demoted in group "+e.GroupName)
		case groups.GroupDeleted:
			out = appendKind(out, e.EventMeta, e.GroupName, e.Members, NotifyGroupDisbanded, KindGroupDisbanded, true,
				"Group "+e.GroupName+" was disbanded")
		case groups.RoleAssigned:
			out = appendRole(out, e.EventMeta, e.GroupName, e.RoleID, e.RoleName, e.Targets, NotifyRoleAssigned, KindRoleAssigned,
				"You've been given the role "+e.RoleName+" in group "+e.GroupName)
		case groups.RoleUnassigned:
			out = appendRole(out, e.EventMeta, e.GroupName, e.RoleID, e.RoleName, e.Targets, NotifyRoleRemoved, KindRoleRemoved,
				"Your role "+e.RoleName+" in group "+e.GroupName+" was removed")
		case groups.RoleDeleted:
			out = appendRole(out, e.EventMeta, e.GroupName, e.RoleID, e.RoleName, e.Holders, NotifyRoleRemoved, KindRoleRemoved,
				"Your role "+e.RoleName+" in group "+e.GroupName+" was removed")
		case groups.LeadershipTransferred:
			out = appendTransfer(out, e)
		case groups.InvitationsSent:
			for _, inv := range e.Invitations {
				content := mustJSON(map[string]string{"kind": KindInvitationReceived, "group_id": inv.GroupID,
					"group_name": inv.GroupName, "invitation_id": inv.ID, "inviter_id": inv.InviterID,
					"message": inv.Message, "expire_time": inv.ExpireTime.UTC().Format(time.RFC3339)})
				out = append(out, Notification{ID: uuid.NewString(), UserID: inv.UserID,
					Subject: "You've been invited to group " + inv.GroupName, Content: content,
					Code: NotifyInvitationReceived, SenderID: e.ActorID, CreateTime: e.Time, Persistent: true})
			}
		}
	}
	return out
}

func appendAdded(out []Notification, m groups.EventMeta, name string, targets []string) []Notification {
	content := mustJSON(map[string]string{"group_id": m.GroupID, "name": name})
	subject := "You've been added to group " + name
	for _, uid := range targets {
		out = append(out, Notification{ID: uuid.NewString(), UserID: uid, Subject: subject, Content: content,
			Code: NotifyGroupAdd, SenderID: m.ActorID, CreateTime: m.Time, Persistent: true})
	}
	return out
}

// appendKind adds one notification of a kind with the common content
// {"kind","group_id","group_name"} to each target but the actor.
func appendKind(out []Notification, m groups.EventMeta, name string, targets []string, code int, kind string,
	persistent bool, subject string) []Notification {
	if len(targets) == 0 {
		return out
	}
	content := mustJSON(map[string]string{"kind": kind, "group_id": m.GroupID, "group_name": name})
	for _, uid := range targets {
		if uid == m.ActorID {
			continue
		}
		out = append(out, Notification{ID: uuid.NewString(), UserID: uid, Subject: subject, Content: content,
			Code: code, SenderID: m.ActorID, CreateTime: m.Time, Persistent: persistent})
	}
	return out
}

// appendRole adds a role notification (live only) to each target but the
// actor: the common content with the role's id (AccelByte's "roleId") and
// name.
func appendRole(out []Notification, m groups.EventMeta, name, roleID, roleName string, targets []string, code int,
	kind, subject string) []Notification {
	content := mustJSON(map[string]string{"kind": kind, "group_id": m.GroupID, "group_name": name,
		"roleId": roleID, "role_name": roleName})
	for _, uid := range targets {
		if uid == m.ActorID {
			continue
		}
		out = append(out, Notification{ID: uuid.NewString(), UserID: uid, Subject: subject, Content: content,
			Code: code, SenderID: m.ActorID, CreateTime: m.Time})
	}
	return out
}

// appendTransfer adds the stored leadership notice to the new superadmin and
// each superadmin who became an admin, but the actor: the common content
// with "from" (the previous superadmins) and "to" (the new one).
func appendTransfer(out []Notification, e groups.LeadershipTransferred) []Notification {
	from := e.From
	if from == nil {
		from = []string{}
	}
	content := mustJSON(map[string]any{"kind": KindLeadershipTransferred, "group_id": e.GroupID,
		"group_name": e.GroupName, "from": from, "to": e.To})
	add := func(uid, subject string) {
		if uid != e.ActorID {
			out = append(out, Notification{ID: uuid.NewString(), UserID: uid, Subject: subject, Content: content,
				Code: NotifyLeadershipTransferred, SenderID: e.ActorID, CreateTime: e.Time, Persistent: true})
		}
	}
	add(e.To, "You've been given the leadership of group "+e.GroupName)
	for _, uid := range from {
		add(uid, "Your leadership of group "+e.GroupName+" was transferred")
	}
	return out
}

// Stored returns the persistent ones of ns (ns itself when all are).
func Stored(ns []Notification) []Notification {
	for i, n := range ns {
		if !n.Persistent {
			out := append([]Notification(nil), ns[:i]...)
			for _, n := range ns[i+1:] {
				if n.Persistent {
					out = append(out, n)
				}
			}
			return out
		}
	}
	return ns
}

// Broadcast is the new-member notice (-102) for every member (states 0–2)
// of a group but the new member and the actor. It is not stored: the
// realtime hub pushes it after the commit to the sockets of the members it
// finds then, on every node (a group of 500 would otherwise cost 500 rows per
// join). It travels between nodes in this compact form; Notification builds
// the notice only where a recipient is online.
type Broadcast struct {
	GroupID   string    `json:"g"`
	GroupName string    `json:"n"`
	Member    string    `json:"m"`           // the new member
	ActorID   string    `json:"a,omitempty"` // who added them; the member for a join or an accept
	Time      time.Time `json:"t"`
}

// Skips reports whether the notice is not for uid: the new member and the
// actor learn nothing from it.
func (b Broadcast) Skips(uid string) bool { return uid == b.Member || uid == b.ActorID }

// Notification is the notice for uid, with a fresh id.
func (b Broadcast) Notification(uid string) Notification {
	return Notification{ID: uuid.NewString(), UserID: uid, Subject: "A new member joined group " + b.GroupName,
		Content: mustJSON(map[string]string{"kind": KindNewMember, "group_id": b.GroupID, "group_name": b.GroupName,
			"newGroupMember": b.Member}),
		Code: NotifyNewMember, SenderID: b.ActorID, CreateTime: b.Time}
}

// GroupBroadcasts returns the live-only notices group events cause: a new
// member (a join, an add, an accepted request or invitation) is announced to
// the group's other members (-102), not to the new member nor the actor who
// added them.
func GroupBroadcasts(events []groups.Event) []Broadcast {
	var out []Broadcast
	for _, e := range events {
		switch e := e.(type) {
		case groups.MemberJoined:
			out = append(out, Broadcast{GroupID: e.GroupID, GroupName: e.GroupName, Member: e.ActorID, ActorID: e.ActorID, Time: e.Time})
		case groups.MembersAdded:
			out = appendNewMembers(out, e.EventMeta, e.GroupName, e.Targets)
		case groups.RequestsAccepted:
			out = appendNewMembers(out, e.EventMeta, e.GroupName, e.Targets)
		case groups.InvitationAccepted:
			if e.Joined {
				out = append(out, Broadcast{GroupID: e.GroupID, GroupName: e.Invitation.GroupName, Member: e.Invitation.UserID,
					ActorID: e.ActorID, Time: e.Time})
			}
		}
	}
	return out
}

func appendNewMembers(out []Broadcast, m groups.EventMeta, name string, members []string) []Broadcast {
	for _, uid := range members {
		out = append(out, Broadcast{GroupID: m.GroupID, GroupName: name, Member: uid, ActorID: m.ActorID, Time: m.Time})
	}
	return out
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called with maps of strings and string slices
	}
	return string(b)
}
