package store

import (
	"context"
	"fmt"
	"time"
)

// AdminCounts are the whole-server totals the admin console's overview shows.
type AdminCounts struct {
	Users, Groups, Members, JoinRequests int64
}

// AdminCounts reads the totals with four cheap aggregates on the read pool:
// members is the sum of the groups' edge counts (one pass over groups, not
// over the member rows); join requests are one count over group_members.
func (db *DB) AdminCounts(ctx context.Context) (AdminCounts, error) {
	var c AdminCounts
	for _, q := range []struct {
		sql string
		dst *int64
	}{
		{"SELECT COUNT(*) FROM users", &c.Users},
		{"SELECT COUNT(*) FROM groups", &c.Groups},
		{"SELECT COALESCE(SUM(edge_count), 0) FROM groups", &c.Members},
		{"SELECT COUNT(*) FROM group_members WHERE state = 3", &c.JoinRequests},
	} {
		if err := db.Read.WithContext(ctx).Raw(q.sql).Row().Scan(q.dst); err != nil {
			return AdminCounts{}, fmt.Errorf("admin counts: %w", err)
		}
	}
	return c, nil
}

// ServerVersion is the database server's version text.
func (db *DB) ServerVersion(ctx context.Context) (string, error) {
	q := "SELECT version()"
	if db.Dialect != Postgres {
		q = "SELECT 'SQLite ' || sqlite_version()"
	}
	var v string
	err := db.Read.WithContext(ctx).Raw(q).Row().Scan(&v)
	return v, err
}

// UserIDByDevice returns the id of the user a device id is linked to, ""
// when none is.
func (db *DB) UserIDByDevice(ctx context.Context, deviceID string) (string, error) {
	var ids []string
	err := db.Read.WithContext(ctx).Raw("SELECT user_id FROM user_devices WHERE id = ?", deviceID).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}

// GroupIDByTag is the id of the group whose tag is tag (any case), "" when
// none is: one lookup on the tag's unique index.
func (db *DB) GroupIDByTag(ctx context.Context, tag string) (string, error) {
	key, ok := tagKey(tag).(string)
	if !ok {
		return "", nil
	}
	var ids []string
	err := db.Read.WithContext(ctx).Raw("SELECT id FROM groups WHERE tag_key = ?", key).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}

// InvitationCounts are a group's invitations still waiting for an answer:
// pending ones and pending ones past their expiry.
type InvitationCounts struct {
	Pending, Expired int64
}

// GroupInvitationCounts counts a group's stored-pending invitations, split
// at now, in one statement served by group_invitations_group_idx.
func (db *DB) GroupInvitationCounts(ctx context.Context, groupID string, now time.Time) (InvitationCounts, error) {
	var c InvitationCounts
	err := db.Read.WithContext(ctx).Raw(`SELECT
		COALESCE(SUM(CASE WHEN expire_time > ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN expire_time > ? THEN 0 ELSE 1 END), 0)
		FROM group_invitations WHERE group_id = ? AND state = 0`, now.UnixMicro(), now.UnixMicro(), groupID).
		Row().Scan(&c.Pending, &c.Expired)
	return c, err
}
