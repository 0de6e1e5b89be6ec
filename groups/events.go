package groups

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Event is something that happened to a group, recorded by the Service inside
// the operation's transaction (Tx.Record). The store writes the notifications
// an event causes in that same transaction; after the commit the Service hands
// the events to its subscribers (Service.Subscribe). An operation that is
// refused or rolled back publishes nothing; a retried transaction publishes
// the events of the attempt that committed, once.
type Event interface {
	// Meta is what every event has: the group, who acted, and when.
	Meta() EventMeta
}

// EventMeta is the common part of every event.
type EventMeta struct {
	GroupID string
	ActorID string // empty for the system
	Time    time.Time
}

// Meta returns m, so that every event type embedding EventMeta is an Event.
func (m EventMeta) Meta() EventMeta { return m }

// The events. Targets lists the users the operation changed, in request order
// (users it skipped are not in it).
type (
	// GroupCreated: a group was created with OwnerID as its superadmin.
	GroupCreated struct {
		EventMeta
		Group   Group
		OwnerID string
	}
	// GroupUpdated: a group was updated; Group is the new row. Changed
	// names, by their wire names, the fields whose value the update changed
	// (ChangedFields): none when every field given already had its value.
	GroupUpdated struct {
		EventMeta
		Group   Group
		Changed []string
	}
	// GroupDeleted: a group was deleted with all its rows. Members are its
	// members (states 0–2) other than the actor, read before the deletion,
	// to be told it was disbanded.
	GroupDeleted struct {
		EventMeta
		GroupName string
		Members   []string
	}
	// MemberJoined: the actor joined an open group.
	MemberJoined struct {
		EventMeta
		GroupName string
	}
	// JoinRequested: the actor asked to join a closed group. Admins are the
	// superadmins and admins to notify (-5); none when a request of the same
	// user was notified within the service's window.
	JoinRequested struct {
		EventMeta
		Username string // the requester's; read only for a notice, so empty may mean "not read" when Admins is
		Admins   []string
	}
	// MembersAdded: users without a row became members (-4 to each).
	MembersAdded struct {
		EventMeta
		GroupName string
		Targets   []string
	}
	// RequestsAccepted: join requests were accepted (-4 to each).
	RequestsAccepted struct {
		EventMeta
		GroupName string
		Targets   []string
	}
	// MembersKicked: members were removed, requests rejected or bans lifted by a kick.
	MembersKicked struct {
		EventMeta
		Targets   []string
		Members   []string // the targets that were members (states 0–2) before the kick
		Requests  []string // the targets whose join request (state 3) the kick rejected
		GroupName string
	}
	// MembersBanned: users were banned.
	MembersBanned struct {
		EventMeta
		Targets   []string
		Members   []string // the targets that were members (states 0–2) before the ban
		GroupName string
	}
	// MembersUnbanned: bans were lifted.
	MembersUnbanned struct {
		EventMeta
		Targets []string
	}
	// MembersPromoted: users were raised one state.
	MembersPromoted struct {
		EventMeta
		Targets   []string
		GroupName string
	}
	// MembersDemoted: users were lowered one state.
	MembersDemoted struct {
		EventMeta
		Targets   []string
		GroupName string
	}
	// MemberLeft: the actor left the group.
	MemberLeft struct{ EventMeta }
	// InvitationsSent: users were invited (or their pending invitations
	// renewed); join requests an invite accepted are RequestsAccepted.
	InvitationsSent struct {
		EventMeta
		Invitations []Invitation
	}
	// InvitationAccepted: the invitee (ActorID) accepted and is a member;
	// Joined says the acceptance made them one (false: they already were).
	InvitationAccepted struct {
		EventMeta
		Invitation Invitation
		Joined     bool
	}
	// InvitationDeclined: the invitee (ActorID) declined.
	InvitationDeclined struct {
		EventMeta
		Invitation Invitation
	}
	// InvitationRevoked: an admin or the inviter withdrew an invitation.
	InvitationRevoked struct {
		EventMeta
		Invitation Invitation
	}
)

// Subscriber receives the events of each committed operation, in the order
// they were recorded, on the caller's goroutine after the commit. It must not
// block for long: the operation's caller is waiting.
type Subscriber func(ctx context.Context, events []Event)

// subscribers is the Service's list, read without a lock on every commit
// (copied on write: subscribing happens at startup).
type subscribers struct {
	mu   sync.Mutex // serialises Subscribe
	list atomic.Pointer[[]Subscriber]
}

// Subscribe registers fn for the events of every operation committed from
// now on.
func (s *Service) Subscribe(fn Subscriber) {
	s.subs.mu.Lock()
	defer s.subs.mu.Unlock()
	var list []Subscriber
	if old := s.subs.list.Load(); old != nil {
		list = append(list, *old...)
	}
	list = append(list, fn)
	s.subs.list.Store(&list)
}

// tx runs fn in a store transaction whose committed events go to the
// subscribers (without any, there is no after-commit step to run).
func (s *Service) tx(ctx context.Context, fn func(Tx) error) error {
	list := s.subs.list.Load()
	if list == nil {
		return s.store.Tx(ctx, fn, nil)
	}
	return s.store.Tx(ctx, fn, func(events []Event) {
		if len(events) == 0 {
			return
		}
		for _, sub := range *list {
			sub(ctx, events)
		}
	})
}

func meta(groupID string, a Actor, now time.Time) EventMeta {
	return EventMeta{GroupID: groupID, ActorID: a.UserID, Time: now}
}

// Store returns the service's store, for wiring that builds other services
// over the same storage (the inbox).
func (s *Service) Store() Store { return s.store }

// ChangedFields lists, by their wire names and in the group's wire order, the
// fields of a group that differ between before and after: what an update
// changed. A changed join policy names both "open" (when Nakama's flag
// changed with it) and "join_policy".
func ChangedFields(before, after Group) []string {
	var out []string
	add := func(changed bool, name string) {
		if changed {
			out = append(out, name)
		}
	}
	add(before.CreatorID != after.CreatorID, "creator_id")
	add(before.Name != after.Name, "name")
	add(before.Description != after.Description, "description")
	add(before.LangTag != after.LangTag, "lang_tag")
	add(before.Metadata != after.Metadata, "metadata")
	add(before.AvatarURL != after.AvatarURL, "avatar_url")
	add(before.Open != after.Open, "open")
	add(before.MaxCount != after.MaxCount, "max_count")
	add(before.JoinPolicy != after.JoinPolicy, "join_policy")
	add(before.Tag != after.Tag, "tag")
	add(before.Hidden != after.Hidden, "hidden")
	add(before.AdminsOnlyCreateAttributes != after.AdminsOnlyCreateAttributes, "admins_only_create_attributes")
	return out
}
