package store

import (
	"context"
	"strings"

	"github.com/guildhall/guildhall/groups"
)

const groupColumns = "g.id, g.creator_id, g.name, g.name_key, g.description, g.avatar_url, g.lang_tag, " +
	"g.metadata, g.open, g.edge_count, g.max_count, g.create_time, g.update_time"

// GetGroups reads groups by id.
func (s *Groups) GetGroups(ctx context.Context, ids []string) ([]groups.Group, error) {
	var rows []groupRow
	if err := s.db.Read.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]groups.Group, len(rows))
	for i, r := range rows {
		out[i] = r.group()
	}
	return out, nil
}

// maxRune sorts after every character in byte order (C collation, SQLite BINARY),
// so prefix <= name_key < prefix+maxRune is exactly "starts with prefix".
const maxRune = "\U0010FFFF"

// ListGroups runs one keyset query per order; each matches an index of the
// groups table (see migrations), for its filter and its order.
func (s *Groups) ListGroups(ctx context.Context, q groups.GroupQuery) ([]groups.Group, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	order := ""
	switch q.Order {
	case groups.OrderByName:
		if q.NamePrefix == q.NamePattern {
			add("g.name_key = ?", q.NamePattern)
		} else {
			if q.NamePrefix != "" {
				add("g.name_key >= ? AND g.name_key < ?", q.NamePrefix, q.NamePrefix+maxRune)
			}
			add("g.name_key LIKE ?", q.NamePattern)
		}
		if q.After != nil {
			add("g.name_key > ?", q.After.NameKey)
		}
		order = "g.name_key"
	case groups.OrderByUpdateTime:
		if q.Open != nil {
			add("g.open = ?", *q.Open)
		}
		if q.After != nil {
			add("(g.update_time, g.id) > (?, ?)", q.After.UpdateTime, q.After.ID)
		}
		order = "g.update_time, g.id"
	case groups.OrderByLangEdges:
		add("g.lang_tag = ?", q.LangTag)
		if q.After != nil {
			add("(g.edge_count, g.id) > (?, ?)", q.After.EdgeCount, q.After.ID)
		}
		order = "g.edge_count, g.id"
	case groups.OrderByEdgesDesc:
		if q.LangTag != "" {
			add("g.lang_tag = ?", q.LangTag)
		}
		if q.Open != nil {
			add("g.open = ?", *q.Open)
		}
		if q.Members != nil {
			add("g.edge_count <= ?", *q.Members)
		}
		if q.After != nil {
			add("(g.edge_count, g.id) < (?, ?)", q.After.EdgeCount, q.After.ID)
		}
		order = "g.edge_count DESC, g.id DESC"
	}
	sql := "SELECT " + groupColumns + " FROM groups g"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY " + order + " LIMIT ?"
	args = append(args, q.Limit)
	var rows []groupRow
	if err := s.db.Read.WithContext(ctx).Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]groups.Group, len(rows))
	for i, r := range rows {
		out[i] = r.group()
	}
	return out, nil
}

// memberPage builds the keyset query shared by both member listings.
func memberPage(q groups.MemberQuery, key string) (string, []any) {
	where := "m." + key + " = ? AND m.state IN ?"
	args := []any{q.ID, q.States}
	other := "m.user_id"
	if key == "user_id" {
		other = "m.group_id"
	}
	if q.After != nil {
		where += " AND (m.state, m.position, " + other + ") > (?, ?, ?)"
		args = append(args, q.After.State, q.After.Position, q.After.ID)
	}
	return where + " ORDER BY m.state, m.position, " + other + " LIMIT ?", append(args, q.Limit)
}

// ListGroupUsers reads a page of a group's members with their profiles in one query.
func (s *Groups) ListGroupUsers(ctx context.Context, q groups.MemberQuery) ([]groups.GroupUser, []int64, error) {
	where, args := memberPage(q, "group_id")
	rows, err := s.db.Read.WithContext(ctx).Raw(`SELECT u.id, u.username, u.display_name, u.avatar_url, u.lang_tag,
		u.location, u.timezone, u.metadata, u.create_time, u.update_time, m.state, m.position
		FROM group_members m JOIN users u ON u.id = m.user_id WHERE `+where, args...).Rows()
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []groups.GroupUser
	var pos []int64
	for rows.Next() {
		var gu groups.GroupUser
		var ct, ut, p int64
		u := &gu.User
		if err := rows.Scan(&u.ID, &u.Username, &u.DisplayName, &u.AvatarURL, &u.LangTag, &u.Location,
			&u.Timezone, &u.Metadata, &ct, &ut, &gu.State, &p); err != nil {
			return nil, nil, err
		}
		u.CreateTime, u.UpdateTime = micros(ct), micros(ut)
		out = append(out, gu)
		pos = append(pos, p)
	}
	return out, pos, rows.Err()
}

// ListUserGroups reads a page of a user's groups in one query.
func (s *Groups) ListUserGroups(ctx context.Context, q groups.MemberQuery) ([]groups.UserGroup, []int64, error) {
	where, args := memberPage(q, "user_id")
	rows, err := s.db.Read.WithContext(ctx).Raw(`SELECT `+groupColumns+`, m.state, m.position
		FROM group_members m JOIN groups g ON g.id = m.group_id WHERE `+where, args...).Rows()
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []groups.UserGroup
	var pos []int64
	for rows.Next() {
		var r groupRow
		var ug groups.UserGroup
		var p int64
		if err := rows.Scan(&r.ID, &r.CreatorID, &r.Name, &r.NameKey, &r.Description, &r.AvatarURL, &r.LangTag,
			&r.Metadata, &r.Open, &r.EdgeCount, &r.MaxCount, &r.CreateTime, &r.UpdateTime, &ug.State, &p); err != nil {
			return nil, nil, err
		}
		ug.Group = r.group()
		out = append(out, ug)
		pos = append(pos, p)
	}
	return out, pos, rows.Err()
}
