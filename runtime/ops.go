package runtime

import (
	"context"
	"reflect"
	"sort"
	"strings"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/codec"
	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
)

// BeforeFunc is a script before hook: it gets the request and returns the
// request to go on with (changed or not; in.Decode makes one of script
// data), or nil to refuse.
type BeforeFunc func(ctx context.Context, c *hooks.Caller, in *Payload) (any, error)

// Payload is a request on its way into a before hook. An engine may build
// its script value from Plan and Req directly (no intermediate map) and
// read the script's answer back through Plan, or use Map and Decode, which
// every request supports (the authentication rows have no Plan).
type Payload struct {
	Req    any
	Plan   *codec.Plan
	encode func(any) map[string]any
	decode func(map[string]any) (any, error)
}

// Map is the request as script data (Nakama's snake_case field names).
func (p *Payload) Map() map[string]any { return p.encode(p.Req) }

// Decode makes a request of the script data a hook returned; a malformed one
// is Nakama's "Could not complete runtime Before function.".
func (p *Payload) Decode(m map[string]any) (any, error) { return p.decode(m) }

// New is an empty request of the payload's type (for engines decoding
// through Plan).
func (p *Payload) New() any { return reflect.New(reflect.TypeOf(p.Req).Elem()).Interface() }

// ErrPayload is the error for a malformed request returned by a before hook.
func ErrPayload() error { return errPayload }

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

func init() {
	for _, o := range hooks.Ops() {
		register(scriptOp(o))
	}
}

// scriptOp adapts a row of the operation table to script data: the request
// goes out as its codec payload (or, for authentication, its own shape) and
// comes back through the same codec; the response goes out by its type.
func scriptOp(o hooks.Operation) Op {
	encode, decode := payloadCodec(o)
	plan := o.Plan()
	return Op{
		Name: o.Info().Name,
		RegisterBefore: func(r *hooks.Registry, fn BeforeFunc) {
			o.BeforeAny(r, func(ctx context.Context, c *hooks.Caller, req any) (any, error) {
				return fn(ctx, c, &Payload{Req: req, Plan: plan, encode: encode, decode: decode})
			})
		},
		RegisterAfter: func(r *hooks.Registry, fn AfterFunc) {
			o.AfterAny(r, func(ctx context.Context, c *hooks.Caller, req, resp any) error {
				out, err := fn(ctx, c, result(resp), encode(req))
				if err != nil || out == nil {
					return err
				}
				return replace(resp, out)
			})
		},
	}
}

// payloadCodec is how an operation's request crosses into scripts.
func payloadCodec(o hooks.Operation) (func(any) map[string]any, func(map[string]any) (any, error)) {
	if plan := o.Plan(); plan != nil {
		return plan.Payload, func(m map[string]any) (any, error) {
			req := o.NewRequest()
			if err := plan.FromPayload(m, req); err != nil {
				return nil, errPayload
			}
			return req, nil
		}
	}
	switch o.Info().Name {
	case "SessionRefresh":
		return encodeRefresh, decodeRefresh
	case "AuthenticateEmail":
		return authCodec(true)
	default:
		return authCodec(false)
	}
}

// result is a response as script data, by its type.
func result(resp any) any {
	switch r := resp.(type) {
	case *groups.Group:
		return GroupPayload(*r)
	case *groups.GroupView:
		var state any
		if r.State != nil {
			state = int64(*r.State)
		}
		return map[string]any{"group": GroupPayload(r.Group), "state": state}
	case *groups.GroupUserList:
		items := make([]any, len(r.GroupUsers))
		for i, gu := range r.GroupUsers {
			items[i] = map[string]any{"user": UserPayload(gu.User), "state": int64(gu.State), "message": gu.Message}
			if gu.Role != nil {
				items[i].(map[string]any)["role"] = map[string]any{"id": gu.Role.ID, "name": gu.Role.Name,
					"rank": int64(gu.Role.Rank)}
			}
		}
		return map[string]any{"group_users": items, "cursor": r.Cursor}
	case *groups.UserGroupList:
		items := make([]any, len(r.UserGroups))
		for i, ug := range r.UserGroups {
			items[i] = map[string]any{"group": GroupPayload(ug.Group), "state": int64(ug.State)}
		}
		return map[string]any{"user_groups": items, "cursor": r.Cursor}
	case *groups.GroupList:
		items := make([]any, len(r.Groups))
		for i, g := range r.Groups {
			items[i] = GroupPayload(g)
		}
		return map[string]any{"groups": items, "cursor": r.Cursor}
	case *groups.InvitationList:
		items := make([]any, len(r.Invitations))
		for i, inv := range r.Invitations {
			items[i] = InvitationPayload(inv)
		}
		return map[string]any{"invitations": items, "cursor": r.Cursor}
	case *groups.Attribute:
		return AttributePayload(*r)
	case *groups.AttributeList:
		items := make([]any, len(r.Attributes))
		for i, at := range r.Attributes {
			items[i] = AttributePayload(at)
		}
		return map[string]any{"attributes": items}
	case *groups.Role:
		return RolePayload(*r)
	case *groups.RoleList:
		items := make([]any, len(r.Roles))
		for i, x := range r.Roles {
			items[i] = RolePayload(x)
		}
		return map[string]any{"roles": items}
	case *accounts.Session:
		return sessionData(r)
	}
	return nil // hooks.Empty: Nakama passes no response
}

// replace applies an after hook's returned value to a listing in place: it
// keeps the rows whose ids the value still holds. Other responses ignore it.
func replace(resp, v any) error {
	switch l := resp.(type) {
	case *groups.GroupUserList:
		byID := map[string]groups.GroupUser{}
		for _, gu := range l.GroupUsers {
			byID[gu.User.ID] = gu
		}
		ids, err := keptIDs(v, "group_users", "user")
		if err != nil {
			return err
		}
		l.GroupUsers = pick(byID, ids)
	case *groups.UserGroupList:
		byID := map[string]groups.UserGroup{}
		for _, ug := range l.UserGroups {
			byID[ug.Group.ID] = ug
		}
		ids, err := keptIDs(v, "user_groups", "group")
		if err != nil {
			return err
		}
		l.UserGroups = pick(byID, ids)
	case *groups.GroupList:
		byID := map[string]groups.Group{}
		for _, g := range l.Groups {
			byID[g.ID] = g
		}
		ids, err := keptIDs(v, "groups", "")
		if err != nil {
			return err
		}
		l.Groups = pick(byID, ids)
	}
	return nil
}

func authCodec(email bool) (func(any) map[string]any, func(map[string]any) (any, error)) {
	encode := func(req any) map[string]any {
		q := req.(*accounts.AuthRequest)
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
	}
	decode := func(m map[string]any) (any, error) {
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
		for _, k := range []struct {
			name string
			dst  *string
		}{{"id", &q.ID}, {"email", &q.Email}, {"password", &q.Password}} {
			if err := af.strOr(k.name, k.dst); err != nil {
				return nil, err
			}
		}
		q.Vars, err = af.stringMap("vars")
		return q, err
	}
	return encode, decode
}

func encodeRefresh(req any) map[string]any {
	q := req.(*hooks.SessionRefreshRequest)
	return map[string]any{"token": q.Token, "vars": stringMap(q.Vars)}
}

func decodeRefresh(m map[string]any) (any, error) {
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
