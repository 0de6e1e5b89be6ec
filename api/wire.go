package api

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/guildhall/guildhall/groups"
)

// The wire types are Nakama's JSON: snake_case keys, zero values omitted,
// wrapper fields (open, state) always present, whole-second RFC 3339 times.
//
// The listings, the group and the error body are written by hand (append*
// below) straight into one buffer: encoding/json's reflection, and a string
// per timestamp, were a sixth of a member listing's server CPU. The bytes are
// exactly what encoding/json writes for the struct types kept beside them as
// the reference shape (groupJSON, userJSON, the *Struct list types); the list
// types carry the domain page and implement json.Marshaler, so any other
// encoder writes the same JSON.

type groupJSON struct {
	ID          string `json:"id,omitempty"`
	CreatorID   string `json:"creator_id,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	LangTag     string `json:"lang_tag,omitempty"`
	Metadata    string `json:"metadata,omitempty"`
	AvatarURL   string `json:"avatar_url,omitempty"`
	Open        bool   `json:"open"`
	EdgeCount   int    `json:"edge_count,omitempty"`
	MaxCount    int    `json:"max_count,omitempty"`
	CreateTime  string `json:"create_time,omitempty"`
	UpdateTime  string `json:"update_time,omitempty"`
	JoinPolicy  string `json:"join_policy"`
	Tag         string `json:"tag,omitempty"`
	Hidden      bool   `json:"hidden,omitempty"`
	Category    string `json:"category"`
	// AdminsOnlyCreateAttributes is Guildhall's (issue 11).
	AdminsOnlyCreateAttributes bool `json:"admins_only_create_attributes,omitempty"`
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// encodeJSON is the app's JSONEncoder (Ctx.JSON): the hot wire types by
// hand, anything else through encoding/json.
func encodeJSON(v any) ([]byte, error) {
	switch v := v.(type) {
	case groupListJSON:
		return v.append(make([]byte, 0, 256+len(v.l.Groups)*384)), nil
	case groupUserListJSON:
		return v.append(make([]byte, 0, 256+len(v.l.GroupUsers)*320)), nil
	case userGroupListJSON:
		return v.append(make([]byte, 0, 256+len(v.l.UserGroups)*400)), nil
	case groupOut:
		return appendGroup(make([]byte, 0, 384), v.g), nil
	case errorBody:
		b := append(make([]byte, 0, 64+len(v.Message)), `{"code":`...)
		b = strconv.AppendInt(b, int64(v.Code), 10)
		b = append(b, `,"message":`...)
		return append(appendString(b, v.Message), '}'), nil
	}
	return json.Marshal(v)
}

// groupOut is one group, written like groupJSON.
type groupOut struct{ g *groups.Group }

// MarshalJSON makes encoding/json write the same bytes.
func (v groupOut) MarshalJSON() ([]byte, error) { return appendGroup(nil, v.g), nil }

// appendGroup writes toGroupJSON(g) without building it.
func appendGroup(b []byte, g *groups.Group) []byte {
	b = append(b, '{')
	b = appendStrField(b, "id", g.ID)
	b = appendStrField(b, "creator_id", g.CreatorID)
	b = appendStrField(b, "name", g.Name)
	b = appendStrField(b, "description", g.Description)
	b = appendStrField(b, "lang_tag", g.LangTag)
	b = appendStrField(b, "metadata", g.Metadata)
	b = appendStrField(b, "avatar_url", g.AvatarURL)
	b = appendKey(b, "open")
	b = strconv.AppendBool(b, g.Open)
	b = appendIntField(b, "edge_count", g.EdgeCount)
	b = appendIntField(b, "max_count", g.MaxCount)
	b = appendTimeField(b, "create_time", g.CreateTime)
	b = appendTimeField(b, "update_time", g.UpdateTime)
	b = appendString(appendKey(b, "join_policy"), string(g.JoinPolicy))
	b = appendStrField(b, "tag", g.Tag)
	if g.Hidden {
		b = append(appendKey(b, "hidden"), "true"...)
	}
	b = appendString(appendKey(b, "category"), g.Category)
	if g.AdminsOnlyCreateAttributes {
		b = append(appendKey(b, "admins_only_create_attributes"), "true"...)
	}
	return append(b, '}')
}

// appendUser writes toUserJSON(u) without building it.
func appendUser(b []byte, u *groups.User) []byte {
	b = append(b, '{')
	b = appendStrField(b, "id", u.ID)
	b = appendStrField(b, "username", u.Username)
	b = appendStrField(b, "display_name", u.DisplayName)
	b = appendStrField(b, "avatar_url", u.AvatarURL)
	b = appendStrField(b, "lang_tag", u.LangTag)
	b = appendStrField(b, "location", u.Location)
	b = appendStrField(b, "timezone", u.Timezone)
	b = appendStrField(b, "metadata", u.Metadata)
	b = appendTimeField(b, "create_time", u.CreateTime)
	b = appendTimeField(b, "update_time", u.UpdateTime)
	return append(b, '}')
}

// appendStrField writes "key":"v" (after a comma unless first in its object),
// or nothing when v is "" (omitempty).
func appendStrField(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendString(appendKey(b, key), v)
}

// appendKey writes "key": after a comma unless it is the first in its object.
func appendKey(b []byte, key string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, `":`...)
}

func appendIntField(b []byte, key string, v int) []byte {
	if v == 0 {
		return b
	}
	b = appendKey(b, key)
	return strconv.AppendInt(b, int64(v), 10)
}

func appendTimeField(b []byte, key string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = appendKey(b, key)
	b = append(b, '"')
	return append(appendTimestamp(b, t), '"')
}

// appendTimestamp writes timestamp(t) (t not zero).
func appendTimestamp(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.Truncate(time.Second).AppendFormat(b, time.RFC3339)
	}
	h, mi, s := t.Clock()
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(mo)/10), byte('0'+int(mo)%10), '-', byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':',
		byte('0'+s/10), byte('0'+s%10), 'Z')
	return b
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string exactly as encoding/json does (HTML
// characters escaped, invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func toGroupJSON(g groups.Group) groupJSON {
	return groupJSON{
		ID: g.ID, CreatorID: g.CreatorID, Name: g.Name, Description: g.Description, LangTag: g.LangTag,
		Metadata: g.Metadata, AvatarURL: g.AvatarURL, Open: g.Open, EdgeCount: g.EdgeCount,
		MaxCount: g.MaxCount, CreateTime: timestamp(g.CreateTime), UpdateTime: timestamp(g.UpdateTime),
		JoinPolicy: string(g.JoinPolicy), Tag: g.Tag, Hidden: g.Hidden, Category: g.Category,
		AdminsOnlyCreateAttributes: g.AdminsOnlyCreateAttributes,
	}
}

type userJSON struct {
	ID          string `json:"id,omitempty"`
	Username    string `json:"username,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	AvatarURL   string `json:"avatar_url,omitempty"`
	LangTag     string `json:"lang_tag,omitempty"`
	Location    string `json:"location,omitempty"`
	Timezone    string `json:"timezone,omitempty"`
	Metadata    string `json:"metadata,omitempty"`
	CreateTime  string `json:"create_time,omitempty"`
	UpdateTime  string `json:"update_time,omitempty"`
}

func toUserJSON(u groups.User) userJSON {
	return userJSON{
		ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, AvatarURL: u.AvatarURL,
		LangTag: u.LangTag, Location: u.Location, Timezone: u.Timezone, Metadata: u.Metadata,
		CreateTime: timestamp(u.CreateTime), UpdateTime: timestamp(u.UpdateTime),
	}
}

type groupUserJSON struct {
	User    userJSON     `json:"user"`
	State   groups.State `json:"state"`
	Message string       `json:"message,omitempty"` // a join request's
	Role    *roleRefJSON `json:"role,omitempty"`    // the custom role held (issue 11)
}

type roleRefJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Rank int    `json:"rank"`
}

// groupUserListJSON is a page of a group's users; it writes itself (append)
// as encoding/json would write groupUserListStruct.
type groupUserListJSON struct{ l *groups.GroupUserList }

type groupUserListStruct struct {
	GroupUsers []groupUserJSON `json:"group_users,omitempty"`
	Cursor     string          `json:"cursor,omitempty"`
}

func (v groupUserListJSON) append(b []byte) []byte {
	b = append(b, '{')
	if len(v.l.GroupUsers) > 0 {
		b = append(b, `"group_users":[`...)
		for i := range v.l.GroupUsers {
			if i > 0 {
				b = append(b, ',')
			}
			gu := &v.l.GroupUsers[i]
			b = append(b, `{"user":`...)
			b = appendUser(b, &gu.User)
			b = append(b, `,"state":`...)
			b = strconv.AppendInt(b, int64(gu.State), 10)
			b = appendStrField(b, "message", gu.Message)
			if r := gu.Role; r != nil {
				b = append(b, `,"role":{"id":`...)
				b = appendString(b, r.ID)
				b = append(b, `,"name":`...)
				b = appendString(b, r.Name)
				b = append(b, `,"rank":`...)
				b = strconv.AppendInt(b, int64(r.Rank), 10)
				b = append(b, '}')
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return appendCursor(b, v.l.Cursor)
}

// MarshalJSON makes encoding/json write the same bytes.
func (v groupUserListJSON) MarshalJSON() ([]byte, error) { return v.append(nil), nil }

func appendCursor(b []byte, cursor string) []byte {
	if cursor != "" {
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		b = append(b, `"cursor":`...)
		b = appendString(b, cursor)
	}
	return append(b, '}')
}

type userGroupJSON struct {
	Group groupJSON    `json:"group"`
	State groups.State `json:"state"`
}

// userGroupListJSON is a page of a user's groups, written like userGroupListStruct.
type userGroupListJSON struct{ l *groups.UserGroupList }

type userGroupListStruct struct {
	UserGroups []userGroupJSON `json:"user_groups,omitempty"`
	Cursor     string          `json:"cursor,omitempty"`
}

func (v userGroupListJSON) append(b []byte) []byte {
	b = append(b, '{')
	if len(v.l.UserGroups) > 0 {
		b = append(b, `"user_groups":[`...)
		for i := range v.l.UserGroups {
			if i > 0 {
				b = append(b, ',')
			}
			ug := &v.l.UserGroups[i]
			b = append(b, `{"group":`...)
			b = appendGroup(b, &ug.Group)
			b = append(b, `,"state":`...)
			b = strconv.AppendInt(b, int64(ug.State), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return appendCursor(b, v.l.Cursor)
}

// MarshalJSON makes encoding/json write the same bytes.
func (v userGroupListJSON) MarshalJSON() ([]byte, error) { return v.append(nil), nil }

// groupViewJSON is one group with the caller's state: {"group", "state"},
// state absent when the caller has no relation to the group.
type groupViewJSON struct{ v *groups.GroupView }

// MarshalJSON writes the view.
func (v groupViewJSON) MarshalJSON() ([]byte, error) {
	b := append(make([]byte, 0, 400), `{"group":`...)
	b = appendGroup(b, &v.v.Group)
	if v.v.State != nil {
		b = append(b, `,"state":`...)
		b = strconv.AppendInt(b, int64(*v.v.State), 10)
	}
	return append(b, '}'), nil
}

// groupListJSON is a page of groups, written like groupListStruct.
type groupListJSON struct{ l *groups.GroupList }

type groupListStruct struct {
	Groups []groupJSON `json:"groups,omitempty"`
	Cursor string      `json:"cursor,omitempty"`
}

func (v groupListJSON) append(b []byte) []byte {
	b = append(b, '{')
	if len(v.l.Groups) > 0 {
		b = append(b, `"groups":[`...)
		for i := range v.l.Groups {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendGroup(b, &v.l.Groups[i])
		}
		b = append(b, ']')
	}
	return appendCursor(b, v.l.Cursor)
}

// MarshalJSON makes encoding/json write the same bytes.
func (v groupListJSON) MarshalJSON() ([]byte, error) { return v.append(nil), nil }

func toGroupListJSON(l *groups.GroupList) groupListJSON { return groupListJSON{l: l} }

func toGroupUserListJSON(l *groups.GroupUserList) groupUserListJSON { return groupUserListJSON{l: l} }

func toUserGroupListJSON(l *groups.UserGroupList) userGroupListJSON { return userGroupListJSON{l: l} }

type sessionJSON struct {
	Created      bool   `json:"created,omitempty"`
	Token        string `json:"token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// invitationJSON is one invitation (Guildhall's own, issue 10); message and
// inviter_id (the system's invitations have none) are omitted when empty.
type invitationJSON struct {
	ID         string `json:"id"`
	GroupID    string `json:"group_id"`
	GroupName  string `json:"group_name,omitempty"`
	InviterID  string `json:"inviter_id,omitempty"`
	UserID     string `json:"user_id"`
	Message    string `json:"message,omitempty"`
	State      string `json:"state"`
	CreateTime string `json:"create_time,omitempty"`
	UpdateTime string `json:"update_time,omitempty"`
	ExpireTime string `json:"expire_time,omitempty"`
}

type invitationListJSON struct {
	Invitations []invitationJSON `json:"invitations,omitempty"`
	Cursor      string           `json:"cursor,omitempty"`
}

// toInvitationListJSON: invitations are not a hot path, so encoding/json
// writes them from these structs.
func toInvitationListJSON(l *groups.InvitationList) invitationListJSON {
	out := invitationListJSON{Cursor: l.Cursor, Invitations: make([]invitationJSON, len(l.Invitations))}
	for i, inv := range l.Invitations {
		out.Invitations[i] = invitationJSON{
			ID: inv.ID, GroupID: inv.GroupID, GroupName: inv.GroupName, InviterID: inv.InviterID, UserID: inv.UserID,
			Message: inv.Message, State: string(inv.State), CreateTime: timestamp(inv.CreateTime),
			UpdateTime: timestamp(inv.UpdateTime), ExpireTime: timestamp(inv.ExpireTime),
		}
	}
	return out
}

// roleJSON is one custom role (Guildhall's own, issue 11).
type roleJSON struct {
	ID          string   `json:"id"`
	GroupID     string   `json:"group_id"`
	Name        string   `json:"name"`
	Rank        int      `json:"rank"`
	Permissions []string `json:"permissions,omitempty"`
	CreateTime  string   `json:"create_time,omitempty"`
	UpdateTime  string   `json:"update_time,omitempty"`
}

type roleListJSON struct {
	Roles []roleJSON `json:"roles,omitempty"`
}

// toRoleJSON: roles are not a hot path, so encoding/json writes them.
func toRoleJSON(r groups.Role) roleJSON {
	return roleJSON{ID: r.ID, GroupID: r.GroupID, Name: r.Name, Rank: r.Rank, Permissions: r.Permissions.Names(),
		CreateTime: timestamp(r.CreateTime), UpdateTime: timestamp(r.UpdateTime)}
}

func toRoleListJSON(l *groups.RoleList) roleListJSON {
	out := roleListJSON{Roles: make([]roleJSON, len(l.Roles))}
	for i, r := range l.Roles {
		out.Roles[i] = toRoleJSON(r)
	}
	return out
}
