package store

import (
	"context"
	"fmt"
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
