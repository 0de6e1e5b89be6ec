package runtime

import (
	"encoding/json"
	"math"
	"time"

	"github.com/guildhall/guildhall/codec"
	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
)

// Script data is plain Go values: map[string]any with Nakama's proto field
// names (snake_case), []any, string, bool, int64, float64 and nil. Each
// language adapts key style: JS camelCases keys (and keeps nil as null), Lua
// keeps snake_case and drops nil.

// GroupPayload is a group as hook payloads carry it: metadata is JSON text,
// times are RFC 3339 strings (the wire form).
func GroupPayload(g groups.Group) map[string]any {
	return map[string]any{
		"id": g.ID, "creator_id": g.CreatorID, "name": g.Name, "description": g.Description,
		"lang_tag": g.LangTag, "metadata": g.Metadata, "avatar_url": g.AvatarURL, "open": g.Open,
		"edge_count": int64(g.EdgeCount), "max_count": int64(g.MaxCount),
		"create_time": rfc3339(g.CreateTime), "update_time": rfc3339(g.UpdateTime),
		"join_policy": string(g.JoinPolicy), "tag": g.Tag, "hidden": g.Hidden, "category": g.Category,
		"admins_only_create_attributes": g.AdminsOnlyCreateAttributes,
	}
}

// GroupNK is a group as nk functions return it: metadata is an object, times
// are unix seconds.
func GroupNK(g groups.Group) map[string]any {
	return map[string]any{
		"id": g.ID, "creator_id": g.CreatorID, "name": g.Name, "description": g.Description,
		"lang_tag": g.LangTag, "metadata": ParseObject(g.Metadata), "avatar_url": g.AvatarURL, "open": g.Open,
		"edge_count": int64(g.EdgeCount), "max_count": int64(g.MaxCount),
		"create_time": g.CreateTime.Unix(), "update_time": g.UpdateTime.Unix(),
		"join_policy": string(g.JoinPolicy), "tag": g.Tag, "hidden": g.Hidden, "category": g.Category,
		"admins_only_create_attributes": g.AdminsOnlyCreateAttributes,
	}
}

// InvitationPayload is an invitation as hook payloads and nk carry it.
func InvitationPayload(inv groups.Invitation) map[string]any {
	return map[string]any{
		"id": inv.ID, "group_id": inv.GroupID, "group_name": inv.GroupName, "inviter_id": inv.InviterID,
		"user_id": inv.UserID, "message": inv.Message, "state": string(inv.State),
		"create_time": rfc3339(inv.CreateTime), "update_time": rfc3339(inv.UpdateTime),
		"expire_time": rfc3339(inv.ExpireTime),
	}
}

// AttributePayload is a group attribute as hook payloads and nk carry it.
func AttributePayload(at groups.Attribute) map[string]any {
	return map[string]any{
		"group_id": at.GroupID, "key": at.Key, "value": at.Value, "creator_id": at.CreatorID,
		"only_creator_can_edit": at.OnlyCreatorCanEdit, "can_edit": at.CanEdit,
		"create_time": rfc3339(at.CreateTime), "update_time": rfc3339(at.UpdateTime),
	}
}

// RolePayload is a custom role as hook payloads and nk carry it.
func RolePayload(r groups.Role) map[string]any {
	perms := make([]any, 0, len(groups.PermissionNames()))
	for _, n := range r.Permissions.Names() {
		perms = append(perms, n)
	}
	return map[string]any{
		"id": r.ID, "group_id": r.GroupID, "name": r.Name, "rank": int64(r.Rank), "permissions": perms,
		"create_time": rfc3339(r.CreateTime), "update_time": rfc3339(r.UpdateTime),
	}
}

// UserPayload is a user as hook payloads carry it.
func UserPayload(u groups.User) map[string]any {
	return map[string]any{
		"id": u.ID, "username": u.Username, "display_name": u.DisplayName, "avatar_url": u.AvatarURL,
		"lang_tag": u.LangTag, "location": u.Location, "timezone": u.Timezone, "metadata": u.Metadata,
		"online": false, "edge_count": int64(0),
		"create_time": rfc3339(u.CreateTime), "update_time": rfc3339(u.UpdateTime),
	}
}

// UserNK is a user as nk listings return it (Nakama names the id user_id there).
func UserNK(u groups.User) map[string]any {
	return map[string]any{
		"user_id": u.ID, "username": u.Username, "display_name": u.DisplayName, "avatar_url": u.AvatarURL,
		"lang_tag": u.LangTag, "location": u.Location, "timezone": u.Timezone, "metadata": ParseObject(u.Metadata),
		"online": false, "edge_count": int64(0),
		"create_time": u.CreateTime.Unix(), "update_time": u.UpdateTime.Unix(),
	}
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// ParseObject decodes JSON object text; anything else gives an empty object.
func ParseObject(text string) map[string]any {
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil || m == nil {
		return map[string]any{}
	}
	return m
}

// SnakeCase turns lowerCamelCase into snake_case ("groupId" → "group_id").
func SnakeCase(s string) string { return codec.Snake(s) }

// CamelCase turns snake_case into lowerCamelCase ("group_id" → "groupId").
func CamelCase(s string) string { return codec.Camel(s) }

// fields reads a script's request object by Nakama's names, in either key
// style. An unknown key is an error, as in Nakama.
type fields struct {
	m map[string]any
}

// errPayload is Nakama's answer to a before hook returning a malformed request.
var errPayload = errs.Errorf(errs.CodeInternal, "Could not complete runtime Before function.")

func newFields(m map[string]any, known ...string) (fields, error) {
	norm := make(map[string]any, len(m))
	allowed := make(map[string]bool, len(known))
	for _, k := range known {
		allowed[k] = true
	}
	for k, v := range m {
		sk := SnakeCase(k)
		if !allowed[sk] {
			return fields{}, errPayload
		}
		norm[sk] = v
	}
	return fields{m: norm}, nil
}

func (f fields) str(k string) (*string, error) {
	v, ok := f.m[k]
	if !ok || v == nil {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, errPayload
	}
	return &s, nil
}

func (f fields) strOr(k string, dst *string) error {
	s, err := f.str(k)
	if s != nil {
		*dst = *s
	}
	return err
}

func (f fields) boolean(k string) (*bool, error) {
	v, ok := f.m[k]
	if !ok || v == nil {
		return nil, nil
	}
	b, ok := v.(bool)
	if !ok {
		return nil, errPayload
	}
	return &b, nil
}

// ToInt converts a script number (int64 from goja, float64 from Lua or JSON)
// to an int when it is integral and within int32.
func ToInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, n >= math.MinInt32 && n <= math.MaxInt32
	case int64:
		return int(n), n >= math.MinInt32 && n <= math.MaxInt32
	case float64:
		if n != math.Trunc(n) || n < math.MinInt32 || n > math.MaxInt32 {
			return 0, false
		}
		return int(n), true
	}
	return 0, false
}

// ToGoInt converts a script number to an int when it is integral and fits
// Go's int, with no narrower range: nk arguments are decoded with it and the
// groups service alone decides which values are allowed.
func ToGoInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), int64(int(n)) == n
	case float64:
		// -2^63 ≤ n < 2^63: the float64 range that converts to int64 exactly.
		if n != math.Trunc(n) || n < math.MinInt64 || n >= -math.MinInt64 {
			return 0, false
		}
		return ToGoInt(int64(n))
	}
	return 0, false
}

func anyStrings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
