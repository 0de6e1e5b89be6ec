package runtime

import (
	"context"
	"encoding/json"
	"time"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/inbox"
)

// NK is the server API scripts call (nk.* in both languages), in Go terms. It
// goes straight to groups.Service: no client hooks run, and a missing caller
// id acts as the system (no permission checks; invariants still hold).
type NK struct {
	groups *groups.Service
	inbox  *inbox.Service
	hooks  *hooks.Registry
}

// NewNK returns the facade over g (and the inbox over g's store); events
// (nk.event) go to h's handlers.
func NewNK(g *groups.Service, h *hooks.Registry) *NK {
	return &NK{groups: g, inbox: inbox.FromGroups(g), hooks: h}
}

func actor(callerID string) groups.Actor {
	if callerID == "" {
		return groups.SystemActor()
	}
	return groups.UserActor(callerID, "")
}

func metadataText(m map[string]any) (string, error) {
	if m == nil {
		return "", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", errs.Invalid("Metadata must be a JSON object.")
	}
	return string(b), nil
}

// GroupCreate creates a group owned by userID (nk.groupCreate). maxCount nil
// means 100; a given one is checked by the service (0 is refused there, as in
// Nakama's nk, where a client's 0 means the default).
func (n *NK) GroupCreate(ctx context.Context, userID, name, creatorID, langTag, description, avatarURL string,
	open bool, metadata map[string]any, maxCount *int) (map[string]any, error) {
	meta, err := metadataText(metadata)
	if err != nil {
		return nil, err
	}
	req := groups.CreateGroupRequest{
		OwnerID: userID, CreatorID: creatorID, Name: name, Description: description, LangTag: langTag,
		AvatarURL: avatarURL, Open: &open, Metadata: meta,
	}
	if maxCount != nil {
		req.MaxCount, req.MaxCountSet = *maxCount, true
	}
	g, err := n.groups.CreateGroup(ctx, groups.SystemActor(), req)
	if err != nil {
		return nil, err
	}
	return GroupNK(g), nil
}

// GroupUpdate changes the given fields (nil = unchanged; maxCount 0 = unchanged).
// userID "" acts as the system; otherwise that user's permissions apply.
func (n *NK) GroupUpdate(ctx context.Context, groupID, userID string, name, creatorID, langTag, description,
	avatarURL *string, open *bool, metadata map[string]any, maxCount int) error {
	req := groups.UpdateGroupRequest{GroupID: groupID, Name: name, CreatorID: creatorID, LangTag: langTag,
		Description: description, AvatarURL: avatarURL, Open: open}
	if metadata != nil {
		meta, err := metadataText(metadata)
		if err != nil {
			return err
		}
		req.Metadata = &meta
	}
	if maxCount != 0 {
		req.MaxCount = &maxCount
	}
	return n.groups.UpdateGroup(ctx, actor(userID), req)
}

// GroupsGetID returns the groups that exist among ids, in nk form.
func (n *NK) GroupsGetID(ctx context.Context, ids []string) ([]any, error) {
	gs, err := n.Groups(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(gs))
	for i, g := range gs {
		out[i] = GroupNK(g)
	}
	return out, nil
}

// Groups reads groups by id as GroupsGetID does, unconverted: a runtime
// that makes its script values straight from groups.Group (as GroupNK
// shows them) uses it.
func (n *NK) Groups(ctx context.Context, ids []string) ([]groups.Group, error) {
	return n.groups.GetGroups(ctx, ids)
}

// GroupsList searches groups (limit 0 means 100).
func (n *NK) GroupsList(ctx context.Context, name, langTag string, open *bool, members *int, limit int,
	cursor string) ([]any, string, error) {
	if limit == 0 {
		limit = groups.MaxListLimit
	}
	l, err := n.groups.ListGroups(ctx, groups.ListGroupsRequest{Name: name, LangTag: langTag, Open: open,
		Members: members, Limit: limit, Cursor: cursor})
	if err != nil {
		return nil, "", err
	}
	out := make([]any, len(l.Groups))
	for i, g := range l.Groups {
		out[i] = GroupNK(g)
	}
	return out, l.Cursor, nil
}

func statePtr(state *int) *groups.State {
	if state == nil {
		return nil
	}
	s := groups.State(*state)
	return &s
}

// GroupUsersList pages a group's members: items {user, state, role?}.
func (n *NK) GroupUsersList(ctx context.Context, groupID string, limit int, state *int, cursor string) ([]any, string, error) {
	l, err := n.groups.ListGroupUsers(ctx, groups.ListGroupUsersRequest{GroupID: groupID, Limit: limit,
		State: statePtr(state), Cursor: cursor})
	if err != nil {
		return nil, "", err
	}
	out := make([]any, len(l.GroupUsers))
	for i, gu := range l.GroupUsers {
		item := map[string]any{"user": UserNK(gu.User), "state": int64(gu.State)}
		if gu.Role != nil { // a custom role (Guildhall's own)
			item["role"] = map[string]any{"id": gu.Role.ID, "name": gu.Role.Name, "rank": int64(gu.Role.Rank)}
		}
		out[i] = item
	}
	return out, l.Cursor, nil
}

// UserGroupsList pages a user's groups: items {group, state}.
func (n *NK) UserGroupsList(ctx context.Context, userID string, limit int, state *int, cursor string) ([]any, string, error) {
	l, err := n.groups.ListUserGroups(ctx, groups.ListUserGroupsRequest{UserID: userID, Limit: limit,
		State: statePtr(state), Cursor: cursor})
	if err != nil {
		return nil, "", err
	}
	out := make([]any, len(l.UserGroups))
	for i, ug := range l.UserGroups {
		out[i] = map[string]any{"group": GroupNK(ug.Group), "state": int64(ug.State)}
	}
	return out, l.Cursor, nil
}

// OpArgs are an nk function's arguments, by the operation's NK shape.
type OpArgs struct {
	GroupID  string
	UserIDs  []string       // NKGroupUsers
	UserID   string         // NKGroupAsUser: the user acting (required)
	Username string         // NKGroupAsUser
	CallerID string         // NKGroupUsers, NKRequest: the user acting; "" is the system
	Request  map[string]any // NKRequest: the request's fields
}

// Op runs a table operation's nk function (nk.groupUsersKick …,
// nk.group_user_join …): the request from the arguments, the actor by the
// row's shape, the service call alone (no client hooks).
func (n *NK) Op(ctx context.Context, o hooks.Operation, a OpArgs) (any, error) {
	plan, req := o.Plan(), o.NewRequest()
	if o.Info().NK.Args == hooks.NKRequest {
		if err := plan.FromPayload(a.Request, req); err != nil {
			return nil, errs.Invalid("nk." + o.Info().NK.JS + ": the request has an unknown field or a value of the wrong type.")
		}
		resp, err := o.Exec(ctx, n.groups, actor(a.CallerID), req)
		if err != nil {
			return nil, err
		}
		return result(resp), nil
	}
	if f, ok := plan.Field("group_id"); ok {
		plan.SetString(req, f, a.GroupID)
	}
	if f, ok := plan.Field("user_ids"); ok {
		plan.SetStrings(req, f, a.UserIDs)
	}
	var who groups.Actor
	switch o.Info().NK.Args {
	case hooks.NKGroupAsUser:
		id, err := userIDArg(a.UserID)
		if err != nil {
			return nil, err
		}
		who = groups.UserActor(id, a.Username)
	case hooks.NKGroupUsers:
		who = actor(a.CallerID)
	default:
		who = groups.SystemActor()
	}
	return o.Exec(ctx, n.groups, who, req)
}

func userIDArg(userID string) (string, error) {
	if userID == "" {
		return "", errs.Invalid("User ID must be set.")
	}
	return userID, nil
}

// NotificationSend stores a notification for userID.
func (n *NK) NotificationSend(ctx context.Context, userID, subject string, content map[string]any, code int,
	senderID string, persistent bool) error {
	text, err := metadataText(content)
	if err != nil {
		return err
	}
	return n.inbox.Send(ctx, inbox.Notification{UserID: userID, Subject: subject, Content: text,
		Code: code, SenderID: senderID, Persistent: persistent})
}

// NotificationInput is one notification of a batch (nk.notificationsSend).
type NotificationInput struct {
	UserID     string
	Subject    string
	Content    map[string]any
	Code       int
	SenderID   string
	Persistent bool
}

// NotificationsSend stores a batch of notifications; the first invalid one
// fails the call before any is stored.
func (n *NK) NotificationsSend(ctx context.Context, batch []NotificationInput) error {
	out := make([]inbox.Notification, len(batch))
	for i, in := range batch {
		text, err := metadataText(in.Content)
		if err != nil {
			return err
		}
		out[i] = inbox.Notification{UserID: in.UserID, Subject: in.Subject, Content: text, Code: in.Code,
			SenderID: in.SenderID, Persistent: in.Persistent}
	}
	for _, nt := range out {
		if err := n.inbox.Send(ctx, nt); err != nil {
			return err
		}
	}
	return nil
}

// Event hands an event to the registered event handlers (nk.event); a zero
// timestamp means now.
func (n *NK) Event(ctx context.Context, name string, properties map[string]string, ts time.Time, external bool) error {
	if name == "" {
		return errs.Invalid("Event name must be set.")
	}
	if ts.IsZero() {
		ts = time.Now().UTC()
	}
	if n.hooks != nil {
		n.hooks.Emit(ctx, hooks.Event{Name: name, Properties: properties, Timestamp: ts, External: external})
	}
	return nil
}
