package store

import (
	"context"
	"fmt"
	"time"
)

// AdminCounts are the whole-server totals the admin console's overview shows.
type AdminCounts struct {
	Users, Groups, Members, JoinRequests int64
	Invitations                          int64 // pending, not expired
}

// AdminCounts reads the totals with five cheap aggregates on the read pool:
// members is the sum of the groups' edge counts (one pass over groups, not
// over the member rows); join requests are one count over group_members,
// pending invitations one over group_invitations.
func (db *DB) AdminCounts(ctx context.Context) (AdminCounts, error) {
	var c AdminCounts
	for _, q := range []struct {
		sql  string
		args []any
		dst  *int64
	}{
		{"SELECT COUNT(*) FROM users", nil, &c.Users},
		{"SELECT COUNT(*) FROM groups", nil, &c.Groups},
		{"SELECT COALESCE(SUM(edge_count), 0) FROM groups", nil, &c.Members},
		{"SELECT COUNT(*) FROM group_members WHERE state = 3", nil, &c.JoinRequests},
		{"SELECT COUNT(*) FROM group_invitations WHERE state = 0 AND expire_time > ?", []any{time.Now().UnixMicro()}, &c.Invitations},
	} {
		if err := db.Read.WithContext(ctx).Raw(q.sql, q.args...).Row().Scan(q.dst); err != nil {
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

// Console logouts are shared between the nodes of one database as rows of
// idempotency_keys (no table of their own; see RevokeConsoleSession):
// consoleRevocationUser is the nil UUID, which is never a user's id (user
// ids are random), so these rows never meet a client's keys, and the
// idempotency purge deletes them once expired like any other row.
const (
	consoleRevocationUser   = "00000000-0000-0000-0000-000000000000"
	consoleRevocationPrefix = "console-logout:"
)

// RevokeConsoleSession records the logout of console session id, valid
// until expiry, for every node; expired records are deleted on the way (so
// they stay few where the idempotency purge is off).
func (db *DB) RevokeConsoleSession(ctx context.Context, id string, expiry, now time.Time) error {
	w := db.Write.WithContext(ctx)
	if err := w.Exec("DELETE FROM idempotency_keys WHERE user_id = ? AND expire_time <= ?",
		consoleRevocationUser, now.UnixMicro()).Error; err != nil {
		return fmt.Errorf("console logout: %w", err)
	}
	err := w.Exec(`INSERT INTO idempotency_keys (user_id, idem_key, request_hash, status, create_time, expire_time)
		VALUES (?, ?, '', 0, ?, ?) ON CONFLICT (user_id, idem_key) DO NOTHING`,
		consoleRevocationUser, consoleRevocationPrefix+id, now.UnixMicro(), expiry.UnixMicro()).Error
	if err != nil {
		return fmt.Errorf("console logout: %w", err)
	}
	return nil
}

// ConsoleSessionRevoked reports whether console session id was logged out
// on any node: one primary key lookup.
func (db *DB) ConsoleSessionRevoked(ctx context.Context, id string) (bool, error) {
	var n []int
	err := db.Read.WithContext(ctx).Raw("SELECT 1 FROM idempotency_keys WHERE user_id = ? AND idem_key = ?",
		consoleRevocationUser, consoleRevocationPrefix+id).Scan(&n).Error
	return len(n) > 0, err
}
