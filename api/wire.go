package api

import (
	"time"

	"github.com/guildhall/guildhall/groups"
)

// The wire types are Nakama's JSON: snake_case keys, zero values omitted,
// wrapper fields (open, state) always present, whole-second RFC 3339 times.

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
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

func toGroupJSON(g groups.Group) groupJSON {
	return groupJSON{
		ID: g.ID, CreatorID: g.CreatorID, Name: g.Name, Description: g.Description, LangTag: g.LangTag,
		Metadata: g.Metadata, AvatarURL: g.AvatarURL, Open: g.Open, EdgeCount: g.EdgeCount,
		MaxCount: g.MaxCount, CreateTime: timestamp(g.CreateTime), UpdateTime: timestamp(g.UpdateTime),
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
	User  userJSON     `json:"user"`
	State groups.State `json:"state"`
}

type groupUserListJSON struct {
	GroupUsers []groupUserJSON `json:"group_users,omitempty"`
	Cursor     string          `json:"cursor,omitempty"`
}

type userGroupJSON struct {
	Group groupJSON    `json:"group"`
	State groups.State `json:"state"`
}

type userGroupListJSON struct {
	UserGroups []userGroupJSON `json:"user_groups,omitempty"`
	Cursor     string          `json:"cursor,omitempty"`
}

type groupListJSON struct {
	Groups []groupJSON `json:"groups,omitempty"`
	Cursor string      `json:"cursor,omitempty"`
}

func toGroupListJSON(l *groups.GroupList) groupListJSON {
	out := groupListJSON{Cursor: l.Cursor}
	if len(l.Groups) > 0 {
		out.Groups = make([]groupJSON, len(l.Groups))
		for i, g := range l.Groups {
			out.Groups[i] = toGroupJSON(g)
		}
	}
	return out
}

func toGroupUserListJSON(l *groups.GroupUserList) groupUserListJSON {
	out := groupUserListJSON{Cursor: l.Cursor}
	if len(l.GroupUsers) > 0 {
		out.GroupUsers = make([]groupUserJSON, len(l.GroupUsers))
		for i, gu := range l.GroupUsers {
			out.GroupUsers[i] = groupUserJSON{User: toUserJSON(gu.User), State: gu.State}
		}
	}
	return out
}

func toUserGroupListJSON(l *groups.UserGroupList) userGroupListJSON {
	out := userGroupListJSON{Cursor: l.Cursor}
	if len(l.UserGroups) > 0 {
		out.UserGroups = make([]userGroupJSON, len(l.UserGroups))
		for i, ug := range l.UserGroups {
			out.UserGroups[i] = userGroupJSON{Group: toGroupJSON(ug.Group), State: ug.State}
		}
	}
	return out
}

type sessionJSON struct {
	Created      bool   `json:"created,omitempty"`
	Token        string `json:"token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
}
