package runtime

import (
	"context"
	"sort"
	"strings"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
)

// BeforeFunc is a script before hook in script data: it gets the request
// (Nakama's field names) and returns it, changed or not, or nil to refuse.
type BeforeFunc func(ctx context.Context, c *hooks.Caller, in map[string]any) (map[string]any, error)

// AfterFunc is a script after hook: it gets the response (nil for operations
// answering {}) and the request. It may return a replacement response; for the
// three listings (ListGroups, ListGroupUsers, ListUserGroups) the replacement's
// list keeps only the rows whose ids it still holds, in its order, so an after
// hook can hide rows (Guildhall's addition: Nakama ignores what after hooks
// return). Returning nil leaves the response as it is.
type AfterFunc func(ctx context.Context, c *hooks.Caller, out any, in map[string]any) (any, error)

// Op is one hook point seen from a script runtime, which knows it by name only.
type Op struct {
	Name           string
	RegisterBefore func(r *hooks.Registry, fn BeforeFunc)
	RegisterAfter  func(r *hooks.Registry, fn AfterFunc)
}

func op[Req comparable, Resp any](name string, point func(*hooks.Registry) *hooks.Point[Req, Resp],
	encode func(Req) map[string]any, decode func(map[string]any) (Req, error), result func(Resp) any) Op {
	return opWithReplace(name, point, encode, decode, result, nil)
}

// opWithReplace is op for responses an after hook may narrow: replace applies
// the script's returned value to the response in place.
func opWithReplace[Req comparable, Resp any](name string, point func(*hooks.Registry) *hooks.Point[Req, Resp],
	encode func(Req) map[string]any, decode func(map[string]any) (Req, error), result func(Resp) any,
	replace func(Resp, any) error) Op {
	return Op{
		Name: name,
		RegisterBefore: func(r *hooks.Registry, fn BeforeFunc) {
			point(r).Before(func(ctx context.Context, c *hooks.Caller, req Req) (Req, error) {
				var zero Req
				out, err := fn(ctx, c, encode(req))
				if err != nil || out == nil {
					return zero, err // a nil request is refused by hooks.Run
				}
				return decode(out)
			})
		},
		RegisterAfter: func(r *hooks.Registry, fn AfterFunc) {
			point(r).After(func(ctx context.Context, c *hooks.Caller, req Req, resp Resp) error {
				out, err := fn(ctx, c, result(resp), encode(req))
				if err != nil || out == nil || replace == nil {
					return err
				}
				return replace(resp, out)
			})
		},
	}
}

var ops = map[string]Op{}

// Ops lists every hookable operation name, sorted.
func Ops() []string {
	names := make([]string, 0, len(ops))
	for _, o := range ops {
		names = append(names, o.Name)
	}
	sort.Strings(names)
	return names
}

// OpByName finds an operation by name, case-insensitively ("kickgroupusers").
func OpByName(name string) (Op, bool) {
	o, ok := ops[strings.ToLower(name)]
	return o, ok
}

func register(o Op) { ops[strings.ToLower(o.Name)] = o }

func empty(hooks.Empty) any { return nil }

func init() {
	register(op("CreateGroup", func(r *hooks.Registry) *hooks.Point[*groups.CreateGroupRequest, *groups.Group] { return r.CreateGroup },
		func(q *groups.CreateGroupRequest) map[string]any {
			return map[string]any{"name": q.Name, "description": q.Description, "lang_tag": q.LangTag,
				"avatar_url": q.AvatarURL, "open": q.Open, "max_count": int64(q.MaxCount)}
		},
		func(m map[string]any) (*groups.CreateGroupRequest, error) {
			f, err := newFields(m, "name", "description", "lang_tag", "avatar_url", "open", "max_count")
			if err != nil {
				return nil, err
			}
			q := &groups.CreateGroupRequest{}
			for k, dst := range map[string]*string{"name": &q.Name, "description": &q.Description, "lang_tag": &q.LangTag, "avatar_url": &q.AvatarURL} {
				if err := f.strOr(k, dst); err != nil {
					return nil, err
				}
			}
			open, err := f.boolean("open")
			if err != nil {
				return nil, err
			}
			if open != nil {
				q.Open = *open
			}
			n, err := f.integer("max_count")
			if err != nil {
				return nil, err
			}
			if n != nil {
				q.MaxCount = *n
			}
			return q, nil
		},
		func(g *groups.Group) any { return GroupPayload(*g) }))

	register(op("UpdateGroup", func(r *hooks.Registry) *hooks.Point[*groups.UpdateGroupRequest, hooks.Empty] { return r.UpdateGroup },
		func(q *groups.UpdateGroupRequest) map[string]any {
			return map[string]any{"group_id": q.GroupID, "name": optStr(q.Name), "description": optStr(q.Description),
				"lang_tag": optStr(q.LangTag), "avatar_url": optStr(q.AvatarURL), "open": optBool(q.Open)}
		},
		func(m map[string]any) (*groups.UpdateGroupRequest, error) {
			f, err := newFields(m, "group_id", "name", "description", "lang_tag", "avatar_url", "open")
			if err != nil {
				return nil, err
			}
			q := &groups.UpdateGroupRequest{}
			if err := f.strOr("group_id", &q.GroupID); err != nil {
				return nil, err
			}
			for k, dst := range map[string]**string{"name": &q.Name, "description": &q.Description, "lang_tag": &q.LangTag, "avatar_url": &q.AvatarURL} {
				if *dst, err = f.str(k); err != nil {
					return nil, err
				}
			}
			q.Open, err = f.boolean("open")
			return q, err
		},
		empty))

	groupOp := func(name string, point func(*hooks.Registry) *hooks.Point[*groups.GroupRequest, hooks.Empty]) Op {
		return op(name, point,
			func(q *groups.GroupRequest) map[string]any { return map[string]any{"group_id": q.GroupID} },
			func(m map[string]any) (*groups.GroupRequest, error) {
				f, err := newFields(m, "group_id")
				if err != nil {
					return nil, err
				}
				q := &groups.GroupRequest{}
				return q, f.strOr("group_id", &q.GroupID)
			}, empty)
	}
	register(groupOp("DeleteGroup", func(r *hooks.Registry) *hooks.Point[*groups.GroupRequest, hooks.Empty] { return r.DeleteGroup }))
	register(groupOp("JoinGroup", func(r *hooks.Registry) *hooks.Point[*groups.GroupRequest, hooks.Empty] { return r.JoinGroup }))
	register(groupOp("LeaveGroup", func(r *hooks.Registry) *hooks.Point[*groups.GroupRequest, hooks.Empty] { return r.LeaveGroup }))

	usersOp := func(name string, point func(*hooks.Registry) *hooks.Point[*groups.GroupUsersRequest, hooks.Empty]) Op {
		return op(name, point,
			func(q *groups.GroupUsersRequest) map[string]any {
				return map[string]any{"group_id": q.GroupID, "user_ids": anyStrings(q.UserIDs)}
			},
			func(m map[string]any) (*groups.GroupUsersRequest, error) {
				f, err := newFields(m, "group_id", "user_ids")
				if err != nil {
					return nil, err
				}
				q := &groups.GroupUsersRequest{}
				if err := f.strOr("group_id", &q.GroupID); err != nil {
					return nil, err
				}
				q.UserIDs, err = f.strings("user_ids")
				return q, err
			}, empty)
	}
	register(usersOp("AddGroupUsers", func(r *hooks.Registry) *hooks.Point[*groups.GroupUsersRequest, hooks.Empty] { return r.AddGroupUsers }))
	register(usersOp("KickGroupUsers", func(r *hooks.Registry) *hooks.Point[*groups.GroupUsersRequest, hooks.Empty] { return r.KickGroupUsers }))
	register(usersOp("BanGroupUsers", func(r *hooks.Registry) *hooks.Point[*groups.GroupUsersRequest, hooks.Empty] { return r.BanGroupUsers }))
	register(usersOp("UnbanGroupUsers", func(r *hooks.Registry) *hooks.Point[*groups.GroupUsersRequest, hooks.Empty] { return r.UnbanGroupUsers }))
	register(usersOp("PromoteGroupUsers", func(r *hooks.Registry) *hooks.Point[*groups.GroupUsersRequest, hooks.Empty] {
		return r.PromoteGroupUsers
	}))
	register(usersOp("DemoteGroupUsers", func(r *hooks.Registry) *hooks.Point[*groups.GroupUsersRequest, hooks.Empty] {
		return r.DemoteGroupUsers
	}))

	register(opWithReplace("ListGroupUsers", func(r *hooks.Registry) *hooks.Point[*groups.ListGroupUsersRequest, *groups.GroupUserList] {
		return r.ListGroupUsers
	},
		func(q *groups.ListGroupUsersRequest) map[string]any {
			return map[string]any{"group_id": q.GroupID, "limit": limitValue(q.Limit), "state": optState(q.State), "cursor": q.Cursor}
		},
		func(m map[string]any) (*groups.ListGroupUsersRequest, error) {
			q := &groups.ListGroupUsersRequest{}
			err := decodeMemberList(m, "group_id", &q.GroupID, &q.Limit, &q.State, &q.Cursor)
			return q, err
		},
		func(l *groups.GroupUserList) any {
			items := make([]any, len(l.GroupUsers))
			for i, gu := range l.GroupUsers {
				items[i] = map[string]any{"user": UserPayload(gu.User), "state": int64(gu.State)}
			}
			return map[string]any{"group_users": items, "cursor": l.Cursor}
		},
		func(l *groups.GroupUserList, v any) error {
			byID := map[string]groups.GroupUser{}
			for _, gu := range l.GroupUsers {
				byID[gu.User.ID] = gu
			}
			ids, err := keptIDs(v, "group_users", "user")
			if err != nil {
				return err
			}
			l.GroupUsers = pick(byID, ids)
			return nil
		}))

	register(opWithReplace("ListUserGroups", func(r *hooks.Registry) *hooks.Point[*groups.ListUserGroupsRequest, *groups.UserGroupList] {
		return r.ListUserGroups
	},
		func(q *groups.ListUserGroupsRequest) map[string]any {
			return map[string]any{"user_id": q.UserID, "limit": limitValue(q.Limit), "state": optState(q.State), "cursor": q.Cursor}
		},
		func(m map[string]any) (*groups.ListUserGroupsRequest, error) {
			q := &groups.ListUserGroupsRequest{}
			err := decodeMemberList(m, "user_id", &q.UserID, &q.Limit, &q.State, &q.Cursor)
			return q, err
		},
		func(l *groups.UserGroupList) any {
			items := make([]any, len(l.UserGroups))
			for i, ug := range l.UserGroups {
				items[i] = map[string]any{"group": GroupPayload(ug.Group), "state": int64(ug.State)}
			}
			return map[string]any{"user_groups": items, "cursor": l.Cursor}
		},
		func(l *groups.UserGroupList, v any) error {
			byID := map[string]groups.UserGroup{}
			for _, ug := range l.UserGroups {
				byID[ug.Group.ID] = ug
			}
			ids, err := keptIDs(v, "user_groups", "group")
			if err != nil {
				return err
			}
			l.UserGroups = pick(byID, ids)
			return nil
		}))

	register(opWithReplace("ListGroups", func(r *hooks.Registry) *hooks.Point[*groups.ListGroupsRequest, *groups.GroupList] {
		return r.ListGroups
	},
		func(q *groups.ListGroupsRequest) map[string]any {
			return map[string]any{"name": q.Name, "cursor": q.Cursor, "limit": limitValue(q.Limit),
				"lang_tag": q.LangTag, "members": optInt(q.Members), "open": optBool(q.Open)}
		},
		func(m map[string]any) (*groups.ListGroupsRequest, error) {
			f, err := newFields(m, "name", "cursor", "limit", "lang_tag", "members", "open")
			if err != nil {
				return nil, err
			}
			q := &groups.ListGroupsRequest{}
			for k, dst := range map[string]*string{"name": &q.Name, "cursor": &q.Cursor, "lang_tag": &q.LangTag} {
				if err := f.strOr(k, dst); err != nil {
					return nil, err
				}
			}
			limit, err := f.integer("limit")
			if err != nil {
				return nil, err
			}
			if limit != nil {
				q.Limit = *limit
			}
			if q.Members, err = f.integer("members"); err != nil {
				return nil, err
			}
			q.Open, err = f.boolean("open")
			return q, err
		},
		func(l *groups.GroupList) any {
			items := make([]any, len(l.Groups))
			for i, g := range l.Groups {
				items[i] = GroupPayload(g)
			}
			return map[string]any{"groups": items, "cursor": l.Cursor}
		},
		func(l *groups.GroupList, v any) error {
			byID := map[string]groups.Group{}
			for _, g := range l.Groups {
				byID[g.ID] = g
			}
			ids, err := keptIDs(v, "groups", "")
			if err != nil {
				return err
			}
			l.Groups = pick(byID, ids)
			return nil
		}))

	authOp := func(name string, email bool, point func(*hooks.Registry) *hooks.Point[*accounts.AuthRequest, *accounts.Session]) Op {
		return op(name, point,
			func(q *accounts.AuthRequest) map[string]any {
				account := map[string]any{"vars": stringMap(q.Vars)}
				if email {
					account["email"], account["password"] = q.Email, q.Password
				} else {
					account["id"] = q.ID
				}
				create := true
				if q.Create != nil {
					create = *q.Create
				}
				return map[string]any{"account": account, "create": create, "username": q.Username}
			},
			func(m map[string]any) (*accounts.AuthRequest, error) {
				f, err := newFields(m, "account", "create", "username")
				if err != nil {
					return nil, err
				}
				q := &accounts.AuthRequest{}
				if err := f.strOr("username", &q.Username); err != nil {
					return nil, err
				}
				if q.Create, err = f.boolean("create"); err != nil {
					return nil, err
				}
				acc, _ := f.m["account"].(map[string]any)
				af, err := newFields(acc, "id", "email", "password", "vars")
				if err != nil {
					return nil, err
				}
				for k, dst := range map[string]*string{"id": &q.ID, "email": &q.Email, "password": &q.Password} {
					if err := af.strOr(k, dst); err != nil {
						return nil, err
					}
				}
				q.Vars, err = af.stringMap("vars")
				return q, err
			},
			sessionData)
	}
	register(authOp("AuthenticateDevice", false, func(r *hooks.Registry) *hooks.Point[*accounts.AuthRequest, *accounts.Session] {
		return r.AuthenticateDevice
	}))
	register(authOp("AuthenticateCustom", false, func(r *hooks.Registry) *hooks.Point[*accounts.AuthRequest, *accounts.Session] {
		return r.AuthenticateCustom
	}))
	register(authOp("AuthenticateEmail", true, func(r *hooks.Registry) *hooks.Point[*accounts.AuthRequest, *accounts.Session] {
		return r.AuthenticateEmail
	}))
	register(op("SessionRefresh", func(r *hooks.Registry) *hooks.Point[*hooks.SessionRefreshRequest, *accounts.Session] {
		return r.SessionRefresh
	},
		func(q *hooks.SessionRefreshRequest) map[string]any {
			return map[string]any{"token": q.Token, "vars": stringMap(q.Vars)}
		},
		func(m map[string]any) (*hooks.SessionRefreshRequest, error) {
			f, err := newFields(m, "token", "vars")
			if err != nil {
				return nil, err
			}
			q := &hooks.SessionRefreshRequest{}
			if err := f.strOr("token", &q.Token); err != nil {
				return nil, err
			}
			q.Vars, err = f.stringMap("vars")
			return q, err
		},
		sessionData))
}

func sessionData(s *accounts.Session) any {
	return map[string]any{"created": s.Created, "token": s.Token, "refresh_token": s.RefreshToken}
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (f fields) stringMap(k string) (map[string]string, error) {
	v, ok := f.m[k]
	if !ok || v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errPayload
	}
	out := make(map[string]string, len(m))
	for key, e := range m {
		s, ok := e.(string)
		if !ok {
			return nil, errPayload
		}
		out[key] = s
	}
	return out, nil
}

// limitValue shows an unset limit (0) as null, as Nakama's Int32Value does.
func limitValue(n int) any {
	if n == 0 {
		return nil
	}
	return int64(n)
}

func decodeMemberList(m map[string]any, idKey string, id *string, limit *int, state **groups.State, cursor *string) error {
	f, err := newFields(m, idKey, "limit", "state", "cursor")
	if err != nil {
		return err
	}
	if err := f.strOr(idKey, id); err != nil {
		return err
	}
	if err := f.strOr("cursor", cursor); err != nil {
		return err
	}
	l, err := f.integer("limit")
	if err != nil {
		return err
	}
	if l != nil {
		*limit = *l
	}
	s, err := f.integer("state")
	if err != nil {
		return err
	}
	if s != nil {
		st := groups.State(*s)
		*state = &st
	}
	return nil
}

// keptIDs reads the ids left in a listing an after hook returned: v is the
// response object (list under key, in either key style) or the list itself;
// each row carries its id directly or inside its nested object (inner).
func keptIDs(v any, key, inner string) ([]string, error) {
	if m, ok := v.(map[string]any); ok {
		if l, ok := m[key]; ok {
			v = l
		} else if l, ok := m[CamelCase(key)]; ok {
			v = l
		} else {
			return nil, errAfter
		}
	}
	rows, ok := v.([]any)
	if !ok {
		if m, isMap := v.(map[string]any); isMap && len(m) == 0 {
			return nil, nil // an empty Lua table
		}
		return nil, errAfter
	}
	ids := make([]string, 0, len(rows))
	for _, row := range rows {
		m, ok := row.(map[string]any)
		if !ok {
			return nil, errAfter
		}
		if inner != "" {
			if m, ok = m[inner].(map[string]any); !ok {
				return nil, errAfter
			}
		}
		id, _ := m["id"].(string)
		if id == "" {
			id, _ = m["user_id"].(string)
		}
		if id == "" {
			id, _ = m["userId"].(string)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// pick keeps the rows whose ids are in ids, in that order; a hook can drop or
// reorder rows but not invent them.
func pick[T any](byID map[string]T, ids []string) []T {
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		if row, ok := byID[id]; ok {
			out = append(out, row)
			delete(byID, id)
		}
	}
	return out
}

var errAfter = errs.Errorf(errs.CodeInternal, "Could not apply the runtime After function's result.")
