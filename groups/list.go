package groups

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/guildhall/guildhall/errs"
)

// GetGroups returns the groups with the given ids; unknown ids are left out.
func (s *Service) GetGroups(ctx context.Context, ids []string) ([]Group, error) {
	if s.disabled {
		return nil, ErrDisabled
	}
	clean := make([]string, 0, len(ids))
	for _, id := range ids {
		if v, ok := parseID(id); ok {
			clean = append(clean, v)
		}
	}
	if len(clean) == 0 {
		return nil, nil
	}
	return s.store.GetGroups(ctx, clean)
}

// GetGroup reads one group and the actor's state in it (none for the system).
func (s *Service) GetGroup(ctx context.Context, a Actor, req GroupRequest) (GroupView, error) {
	if s.disabled {
		return GroupView{}, ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return GroupView{}, err
	}
	g, st, err := s.store.GetGroup(ctx, id, a.UserID)
	if errors.Is(err, ErrNotFound) {
		return GroupView{}, errs.Errorf(errs.CodeNotFound, "Group not found.")
	}
	return GroupView{Group: g, State: st}, err
}

// ListGroups searches groups. The filters present choose the order (Nakama's
// rules), and each order is served by an index.
func (s *Service) ListGroups(ctx context.Context, req ListGroupsRequest) (GroupList, error) {
	if s.disabled {
		return GroupList{}, ErrDisabled
	}
	limit, err := checkLimit(req.Limit, 1)
	if err != nil {
		return GroupList{}, err
	}
	q := GroupQuery{LangTag: req.LangTag, Members: req.Members, Open: req.Open, Hidden: req.Hidden, Limit: limit}
	name := strings.TrimLeft(req.Name, "% ")
	switch {
	case name != "" && (req.LangTag != "" || req.Members != nil || req.Open != nil):
		return GroupList{}, errs.Invalid("name filter cannot be combined with any other filter")
	case name != "":
		if err := checkText("Name filter", name, MaxNameLen+1); err != nil {
			return GroupList{}, err
		}
		q.Order = OrderByName
		q.NamePattern = nameKey(name)
		q.NamePrefix = q.NamePattern
		if i := strings.IndexAny(q.NamePrefix, "%_"); i >= 0 {
			q.NamePrefix = q.NamePrefix[:i]
		}
	case req.Members != nil || (req.LangTag != "" && req.Open != nil):
		q.Order = OrderByEdgesDesc
	case req.LangTag != "":
		q.Order = OrderByLangEdges
	default:
		q.Order = OrderByUpdateTime
	}
	if err := checkText("Language filter", req.LangTag, MaxLangTagLen); err != nil {
		return GroupList{}, err
	}
	if req.Members != nil {
		if err := checkInt32("Members filter", *req.Members); err != nil {
			return GroupList{}, err
		}
	}
	filter := fmt.Sprintf("%d|%s|%s|%v|%v", q.Order, q.NamePattern, q.LangTag, deref(q.Members), deref(q.Open))
	if q.Hidden != HiddenExcluded {
		filter += fmt.Sprintf("|h%d", q.Hidden) // public cursors keep their old fingerprint
	}
	if req.Cursor != "" {
		c, err := decodeGroupCursor(req.Cursor, q.Order, filter)
		if err != nil {
			return GroupList{}, err
		}
		q.After = c
	}
	q.Limit = limit + 1 // one more tells whether another page exists
	rows, err := s.store.ListGroups(ctx, q)
	if err != nil {
		return GroupList{}, err
	}
	out := GroupList{Groups: rows}
	if len(rows) > limit {
		out.Groups = rows[:limit]
		last := out.Groups[limit-1]
		out.Cursor = encodeCursor(GroupCursor{
			Order: q.Order, NameKey: nameKey(last.Name), UpdateTime: last.UpdateTime.UnixMicro(),
			EdgeCount: last.EdgeCount, ID: last.ID, Filter: filter,
		}, base64.RawURLEncoding)
	}
	return out, nil
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// ListGroupUsers pages through a group's users by state, then join order.
// Without a state filter, bans are left out.
func (s *Service) ListGroupUsers(ctx context.Context, req ListGroupUsersRequest) (GroupUserList, error) {
	if s.disabled {
		return GroupUserList{}, ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return GroupUserList{}, err
	}
	q, err := memberQuery(id, req.Limit, req.State, req.Cursor)
	if err != nil {
		return GroupUserList{}, err
	}
	rows, pos, err := s.store.ListGroupUsers(ctx, q)
	if err != nil {
		return GroupUserList{}, err
	}
	out := GroupUserList{GroupUsers: rows}
	if n := q.Limit - 1; len(rows) > n {
		out.GroupUsers = rows[:n]
		out.Cursor = memberCursor(q, rows[n-1].State, pos[n-1], rows[n-1].User.ID)
	}
	return out, nil
}

// ListUserGroups pages through a user's groups by state, then join order.
// Bans are never listed, under any filter.
func (s *Service) ListUserGroups(ctx context.Context, req ListUserGroupsRequest) (UserGroupList, error) {
	if s.disabled {
		return UserGroupList{}, ErrDisabled
	}
	if req.UserID == "" {
		return UserGroupList{}, errs.Invalid("User ID must be set.")
	}
	id, ok := parseID(req.UserID)
	if !ok {
		// Nakama's text (sic), which its clients see for a malformed user id here.
		return UserGroupList{}, errs.Invalid("Group ID must be a valid ID.")
	}
	q, err := memberQuery(id, req.Limit, req.State, req.Cursor)
	if err != nil {
		return UserGroupList{}, err
	}
	if req.State != nil && *req.State == Banned {
		// Nakama keeps a ban only as the group's edge to the user (the user's
		// edge to the group is deleted), so a user's own groups never show one;
		// the group's member listing does.
		return UserGroupList{}, nil
	}
	rows, pos, err := s.store.ListUserGroups(ctx, q)
	if err != nil {
		return UserGroupList{}, err
	}
	out := UserGroupList{UserGroups: rows}
	if n := q.Limit - 1; len(rows) > n {
		out.UserGroups = rows[:n]
		out.Cursor = memberCursor(q, rows[n-1].State, pos[n-1], rows[n-1].Group.ID)
	}
	return out, nil
}

func memberQuery(id string, limit int, state *State, cursor string) (MemberQuery, error) {
	limit, err := checkLimit(limit, MaxListLimit)
	if err != nil {
		return MemberQuery{}, err
	}
	q := MemberQuery{ID: id, Limit: limit + 1, States: []State{Superadmin, Admin, Member, JoinRequest}}
	filter := -1
	if state != nil {
		if !state.Valid() {
			return MemberQuery{}, errs.Invalid("Invalid state - state must be between 0 and 4.")
		}
		q.States = []State{*state}
		filter = int(*state)
	}
	if cursor != "" {
		c, err := decodeMemberCursor(cursor, filter)
		if err != nil {
			return MemberQuery{}, err
		}
		q.After = c
	}
	return q, nil
}

func memberCursor(q MemberQuery, st State, pos int64, id string) string {
	filter := -1
	if len(q.States) == 1 {
		filter = int(q.States[0])
	}
	return encodeCursor(MemberCursor{State: st, Position: pos, ID: id, Filter: filter}, base64.URLEncoding)
}
