package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/guildhall/guildhall/groups"
)

// groupColumns are scanned by groupScan.
const groupColumns = "g.id, g.creator_id, g.name, g.description, g.avatar_url, g.lang_tag, " +
	"g.metadata, g.open, g.edge_count, g.max_count, g.create_time, g.update_time, g.join_policy, g.tag, " +
	"CAST(g.hidden AS INTEGER) + 2 * CAST(g.admins_only_create_attributes AS INTEGER), CASE WHEN g.category = '" + groups.DefaultCategory + "' THEN '' ELSE g.category END" // see txGroupColumns

// rowScanner is what pgx.Rows and *sql.Rows have in common.
type rowScanner interface {
	Next() bool
	Scan(dest ...any) error
}

// read runs a query outside a transaction and calls scan once per row.
// PostgreSQL: pgx directly, its statement cache and binary rows, no
// reflection (GORM's Scan was most of a listing's server CPU). SQLite:
// database/sql on the read pool, rows scanned by hand.
func (s *Groups) read(ctx context.Context, query string, args []any, scan func(rowScanner) error) error {
	if s.db.Dialect == Postgres {
		return s.pgConn(ctx, func(c *pgx.Conn) error {
			rows, err := c.Query(ctx, query, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				if err := scan(rows); err != nil {
					return err
				}
			}
			return rows.Err()
		})
	}
	rows, err := s.readDB.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	return scanRows(rows, scan)
}

func scanGroups(out *[]groups.Group) func(rowScanner) error {
	gs := newGroupScan()
	return func(r rowScanner) error {
		g, err := gs.scan(r)
		if err != nil {
			return err
		}
		*out = append(*out, g)
		return nil
	}
}

// GetGroups reads groups by id.
func (s *Groups) GetGroups(ctx context.Context, ids []string) ([]groups.Group, error) {
	out := make([]groups.Group, 0, len(ids))
	err := s.read(ctx, "SELECT "+groupColumns+" FROM groups g WHERE g.id IN ("+placeholders(1, len(ids))+")",
		idArgs(nil, ids), scanGroups(&out))
	return out, err
}

// GetGroup reads a group and, in the same statement, userID's row in it.
func (s *Groups) GetGroup(ctx context.Context, id, userID string) (groups.Group, *groups.State, error) {
	var g groups.Group
	var st *groups.State
	found := false
	query, args := "SELECT "+groupColumns+", NULL FROM groups g WHERE g.id = $1", []any{id}
	if userID != "" {
		query = "SELECT " + groupColumns + ", m.state FROM groups g " +
			"LEFT JOIN group_members m ON m.group_id = g.id AND m.user_id = $2 WHERE g.id = $1"
		args = append(args, userID)
	}
	var state sql.NullInt16
	gs := newGroupScan(&state)
	err := s.read(ctx, query, args, func(r rowScanner) error {
		var err error
		g, err = gs.scan(r)
		found = true
		if state.Valid {
			v := groups.State(state.Int16)
			st = &v
		}
		return err
	})
	if err == nil && !found {
		err = groups.ErrNotFound
	}
	return g, st, err
}

// maxRune sorts after every character in byte order (C collation, SQLite BINARY),
// so prefix <= name_key < prefix+maxRune is exactly "starts with prefix".
const maxRune = "\U0010FFFF"

// ListGroups runs one keyset query per order; each matches an index of the
// groups table (see migrations), for its filter and its order.
func (s *Groups) ListGroups(ctx context.Context, q groups.GroupQuery) ([]groups.Group, error) {
	// Hidden groups are never listed publicly: a filter on the index scan
	// (hidden groups are few, so it reads few rows it drops). The console
	// asks for them too, or only for them.
	var where []string
	switch q.Hidden {
	case groups.HiddenExcluded:
		where = append(where, "g.hidden = FALSE")
	case groups.HiddenOnly:
		where = append(where, "g.hidden = TRUE")
	}
	args := make(sqlArgs, 0, 6)
	add := func(cond string) { where = append(where, cond) }
	order := ""
	switch q.Order {
	case groups.OrderByName:
		if q.NamePrefix == q.NamePattern {
			add("g.name_key = " + args.add(q.NamePattern))
		} else {
			if q.NamePrefix != "" {
				add("g.name_key >= " + args.add(q.NamePrefix) + " AND g.name_key < " + args.add(q.NamePrefix+maxRune))
			}
			add("g.name_key LIKE " + args.add(q.NamePattern))
		}
		if q.After != nil {
			add("g.name_key > " + args.add(q.After.NameKey))
		}
		order = "g.name_key"
	case groups.OrderByUpdateTime:
		if q.Open != nil {
			add(openFilter(*q.Open))
		}
		if q.After != nil {
			add("(g.update_time, g.id) > (" + args.add(q.After.UpdateTime) + ", " + args.add(q.After.ID) + ")")
		}
		order = "g.update_time, g.id"
	case groups.OrderByLangEdges:
		add("g.lang_tag = " + args.add(q.LangTag))
		if q.After != nil {
			add("(g.edge_count, g.id) > (" + args.add(q.After.EdgeCount) + ", " + args.add(q.After.ID) + ")")
		}
		order = "g.edge_count, g.id"
	case groups.OrderByEdgesDesc:
		if q.LangTag != "" {
			add("g.lang_tag = " + args.add(q.LangTag))
		}
		if q.Open != nil {
			add(openFilter(*q.Open))
		}
		if q.Members != nil {
			add("g.edge_count <= " + args.add(*q.Members))
		}
		if q.After != nil {
			add("(g.edge_count, g.id) < (" + args.add(q.After.EdgeCount) + ", " + args.add(q.After.ID) + ")")
		}
		order = "g.edge_count DESC, g.id DESC"
	}
	sql := "SELECT " + groupColumns + " FROM groups g"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY " + order + " LIMIT " + args.add(q.Limit)
	out := make([]groups.Group, 0, q.Limit)
	if err := s.list(ctx, sql, args, scanGroups(&out)); err != nil {
		return nil, err
	}
	return out, nil
}

// openFilter writes the open filter as a literal, not a parameter: with
// PostgreSQL's generic plans (see pgURL) the planner then still knows which
// value is asked for and its frequency, and picks the (open, …) index when
// open or closed groups are rare.
func openFilter(open bool) string {
	if open {
		return "g.open = TRUE"
	}
	return "g.open = FALSE"
}

// memberPage builds the keyset query shared by both member listings.
func memberPage(q groups.MemberQuery, key string) (string, []any) {
	args := make(sqlArgs, 0, len(q.States)+5)
	args = append(args, q.ID)
	for _, st := range q.States {
		args = append(args, int16(st))
	}
	where := "m." + key + " = $1 AND m.state IN (" + placeholders(2, len(q.States)) + ")"
	other := "m.user_id"
	if key == "user_id" {
		other = "m.group_id"
	}
	if q.After != nil {
		where += " AND (m.state, m.position, " + other + ") > (" + args.add(int16(q.After.State)) + ", " +
			args.add(q.After.Position) + ", " + args.add(q.After.ID) + ")"
	}
	where += " ORDER BY m.state, m.position, " + other + " LIMIT " + args.add(q.Limit)
	return where, args
}

// ListGroupUsers reads a page of a group's members with their profiles in one query.
func (s *Groups) ListGroupUsers(ctx context.Context, q groups.MemberQuery) ([]groups.GroupUser, []int64, error) {
	where, args := memberPage(q, "group_id")
	var out []groups.GroupUser
	var pos []int64
	// One set of scan destinations for every row (no allocation per row but
	// the strings).
	var u groups.User
	var ct, ut, p int64
	var st int16
	var msg string
	var role pgtype.Text // "id:rank:name" of the custom role held (one column: SQLite pays per column)
	dest := []any{&u.ID, &u.Username, &u.DisplayName, &u.AvatarURL, &u.LangTag, &u.Location,
		&u.Timezone, &u.Metadata, &ct, &ut, &st, &p, &msg, &role}
	err := s.list(ctx, `SELECT u.id, u.username, u.display_name, u.avatar_url, u.lang_tag,
		u.location, u.timezone, u.metadata, u.create_time, u.update_time, m.state, m.position, m.message,
		r.id || ':' || r.rank || ':' || r.name
		FROM group_members m JOIN users u ON u.id = m.user_id `+memberRoleJoin+` WHERE `+where, args, func(r rowScanner) error {
		if err := r.Scan(dest...); err != nil {
			return err
		}
		if out == nil {
			out = make([]groups.GroupUser, 0, q.Limit)
			pos = make([]int64, 0, q.Limit)
		}
		gu := groups.GroupUser{User: u, State: groups.State(st), Message: msg}
		if role.Valid && (st == int16(groups.Admin) || st == int16(groups.Member)) {
			id, rest, _ := strings.Cut(role.String, ":")
			rank, name, _ := strings.Cut(rest, ":") // the name last: it may contain ':'
			n, err := strconv.Atoi(rank)
			if err != nil {
				return err
			}
			gu.Role = &groups.RoleRef{ID: id, Name: name, Rank: n}
		}
		gu.User.CreateTime, gu.User.UpdateTime = micros(ct), micros(ut)
		out = append(out, gu)
		pos = append(pos, p)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, pos, nil
}

// ListUserGroups reads a page of a user's groups in one query.
func (s *Groups) ListUserGroups(ctx context.Context, q groups.MemberQuery) ([]groups.UserGroup, []int64, error) {
	where, args := memberPage(q, "user_id")
	var out []groups.UserGroup
	var pos []int64
	var p int64
	var st int16
	gs := newGroupScan(&st, &p)
	err := s.list(ctx, `SELECT `+groupColumns+`, m.state, m.position
		FROM group_members m JOIN groups g ON g.id = m.group_id WHERE `+where, args, func(r rowScanner) error {
		g, err := gs.scan(r)
		if err != nil {
			return err
		}
		if out == nil {
			out = make([]groups.UserGroup, 0, q.Limit)
			pos = make([]int64, 0, q.Limit)
		}
		out = append(out, groups.UserGroup{Group: g, State: groups.State(st)})
		pos = append(pos, p)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, pos, nil
}
