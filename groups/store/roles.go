package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/guildhall/guildhall/groups"
)

// Custom roles (issue 11). A member row's role_id is read with its state
// under the group's lock: the LEFT JOIN rides the read the operation already
// does (no extra statement, no round trip), and finds nothing to join while
// nobody holds a role.

// memberRoleJoin joins a member row (alias m) to the role it holds (alias r).
const memberRoleJoin = "LEFT JOIN group_roles r ON r.id = m.role_id"

// memberRoleColumn is the held role as one nullable text "id:rank:permissions"
// (NULL || text is NULL on both databases): one column more for the lock's
// read, no allocation for a member without a role (SQLite's driver pays per
// column, so one, not three).
const memberRoleColumn = "r.id || ':' || r.rank || ':' || r.permissions"

// roleCol is the scan destination of memberRoleColumn.
type roleCol struct{ v pgtype.Text }

// into records the scanned role of userID in l; the map exists only once a
// row holds a role.
func (c *roleCol) into(l *groups.Locked, userID string) error {
	if !c.v.Valid {
		return nil
	}
	id, rest, ok1 := strings.Cut(c.v.String, ":")
	rank, perms, ok2 := strings.Cut(rest, ":")
	r, err1 := strconv.Atoi(rank)
	p, err2 := strconv.ParseUint(perms, 10, 16)
	if !ok1 || !ok2 || err1 != nil || err2 != nil {
		return fmt.Errorf("store: malformed role column %q", c.v.String)
	}
	if l.Roles == nil {
		l.Roles = make(map[string]groups.MemberRole, 1)
	}
	l.Roles[userID] = groups.MemberRole{ID: id, Rank: r, Permissions: groups.Permissions(p)}
	return nil
}

const roleColumns = "id, group_id, name, rank, permissions, create_time, update_time"

func scanRoles(out *[]groups.Role) func(rowScanner) error {
	return func(r rowScanner) error {
		var x groups.Role
		var rank int16
		var perms int32
		var ct, ut int64
		if err := r.Scan(&x.ID, &x.GroupID, &x.Name, &rank, &perms, &ct, &ut); err != nil {
			return err
		}
		x.Rank, x.Permissions, x.CreateTime, x.UpdateTime = int(rank), groups.Permissions(perms), micros(ct), micros(ut)
		*out = append(*out, x)
		return nil
	}
}

const rolesOrder = " ORDER BY rank DESC, name_key, id"

func (t *txSQL) GroupRoles(ctx context.Context, groupID string) ([]groups.Role, error) {
	var out []groups.Role
	t.ex.read(ctx, "SELECT "+roleColumns+" FROM group_roles WHERE group_id = $1"+rolesOrder, scanRoles(&out), groupID)
	if err := t.ex.flush(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

var roleNameTaken = violations{unique: groups.ErrNameTaken}

func (t *txSQL) InsertRole(ctx context.Context, r groups.Role) {
	t.ex.write(ctx, roleNameTaken, "INSERT INTO group_roles (id, group_id, name, name_key, rank, permissions, "+
		"create_time, update_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		r.ID, r.GroupID, r.Name, strings.ToLower(r.Name), int16(r.Rank), int32(r.Permissions),
		r.CreateTime.UnixMicro(), r.UpdateTime.UnixMicro())
}

func (t *txSQL) UpdateRole(ctx context.Context, r groups.Role) {
	t.ex.write(ctx, roleNameTaken, "UPDATE group_roles SET name = $1, name_key = $2, rank = $3, permissions = $4, "+
		"update_time = $5 WHERE id = $6 AND group_id = $7",
		r.Name, strings.ToLower(r.Name), int16(r.Rank), int32(r.Permissions), r.UpdateTime.UnixMicro(), r.ID, r.GroupID)
}

func (t *txSQL) GroupRolesAndHolders(ctx context.Context, groupID, roleID string) ([]groups.Role, []string, error) {
	var roles []groups.Role
	var holders []string
	t.ex.read(ctx, "SELECT "+roleColumns+" FROM group_roles WHERE group_id = $1"+rolesOrder, scanRoles(&roles), groupID)
	t.ex.read(ctx, "SELECT user_id FROM group_members WHERE group_id = $1 AND role_id = $2 ORDER BY user_id",
		func(r rowScanner) error {
			var id string
			if err := r.Scan(&id); err != nil {
				return err
			}
			holders = append(holders, id)
			return nil
		}, groupID, roleID)
	if err := t.ex.flush(ctx); err != nil {
		return nil, nil, err
	}
	return roles, holders, nil
}

func (t *txSQL) DeleteRole(ctx context.Context, groupID, roleID string) {
	t.ex.write(ctx, violations{}, "UPDATE group_members SET role_id = NULL WHERE group_id = $1 AND role_id = $2",
		groupID, roleID)
	t.ex.write(ctx, violations{}, "DELETE FROM group_roles WHERE id = $1 AND group_id = $2", roleID, groupID)
}

func (t *txSQL) SetMemberRole(ctx context.Context, groupID string, userIDs []string, roleID string) {
	if len(userIDs) == 0 {
		return
	}
	t.ex.write(ctx, violations{}, "UPDATE group_members SET role_id = $1 WHERE group_id = $2 AND user_id IN ("+
		placeholders(3, len(userIDs))+")", append([]any{nullID(roleID), groupID}, idArgs(nil, userIDs)...)...)
}

// ListRoles reads a group's roles outside a transaction.
func (s *Groups) ListRoles(ctx context.Context, groupID string) ([]groups.Role, error) {
	var out []groups.Role
	err := s.read(ctx, "SELECT "+roleColumns+" FROM group_roles WHERE group_id = $1"+rolesOrder, []any{groupID},
		scanRoles(&out))
	return out, err
}

// HeldRole reads the custom role a user holds in a group, outside a transaction.
func (s *Groups) HeldRole(ctx context.Context, groupID, userID string) (groups.MemberRole, error) {
	var l groups.Locked
	var c roleCol
	err := s.read(ctx, "SELECT "+memberRoleColumn+" FROM group_members m "+memberRoleJoin+
		" WHERE m.group_id = $1 AND m.user_id = $2", []any{groupID, userID}, func(r rowScanner) error {
		if err := r.Scan(&c.v); err != nil {
			return err
		}
		return c.into(&l, userID)
	})
	return l.Role(userID), err
}
