package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/guildhall/guildhall/groups"
)

// Groups implements groups.Store over GORM.
type Groups struct {
	db *DB
}

// NewGroups returns the store of groups over db.
func NewGroups(db *DB) *Groups { return &Groups{db: db} }

var _ groups.Store = (*Groups)(nil)

// groupRow is the groups table.
type groupRow struct {
	ID          string         `gorm:"column:id;primaryKey"`
	CreatorID   sql.NullString `gorm:"column:creator_id"`
	Name        string         `gorm:"column:name"`
	NameKey     string         `gorm:"column:name_key"`
	Description string         `gorm:"column:description"`
	AvatarURL   string         `gorm:"column:avatar_url"`
	LangTag     string         `gorm:"column:lang_tag"`
	Metadata    string         `gorm:"column:metadata"`
	Open        bool           `gorm:"column:open"`
	EdgeCount   int            `gorm:"column:edge_count"`
	MaxCount    int            `gorm:"column:max_count"`
	CreateTime  int64          `gorm:"column:create_time"`
	UpdateTime  int64          `gorm:"column:update_time"`
}

func (groupRow) TableName() string { return "groups" }

func toRow(g groups.Group) groupRow {
	return groupRow{
		ID: g.ID, CreatorID: sql.NullString{String: g.CreatorID, Valid: g.CreatorID != ""},
		Name: g.Name, NameKey: strings.ToLower(g.Name), Description: g.Description,
		AvatarURL: g.AvatarURL, LangTag: g.LangTag, Metadata: g.Metadata, Open: g.Open,
		EdgeCount: g.EdgeCount, MaxCount: g.MaxCount,
		CreateTime: g.CreateTime.UnixMicro(), UpdateTime: g.UpdateTime.UnixMicro(),
	}
}

func (r groupRow) group() groups.Group {
	return groups.Group{
		ID: r.ID, CreatorID: r.CreatorID.String, Name: r.Name, Description: r.Description,
		LangTag: r.LangTag, Metadata: r.Metadata, AvatarURL: r.AvatarURL, Open: r.Open,
		EdgeCount: r.EdgeCount, MaxCount: r.MaxCount,
		CreateTime: micros(r.CreateTime), UpdateTime: micros(r.UpdateTime),
	}
}

func micros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// Tx runs fn in a transaction on the write pool, retrying serialization
// failures and deadlocks, which PostgreSQL asks the client to retry.
func (s *Groups) Tx(ctx context.Context, fn func(groups.Tx) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = s.db.Write.WithContext(ctx).Transaction(func(db *gorm.DB) error {
			return fn(&tx{db: db, dialect: s.db.Dialect})
		})
		if !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
	return err
}

func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40001" || pg.Code == "40P01")
}

func uniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// checkViolation reports a CHECK constraint failure (edge_count <= max_count).
func checkViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23514"
	}
	return err != nil && strings.Contains(err.Error(), "CHECK constraint failed")
}

type tx struct {
	db      *gorm.DB
	dialect string
}

func (t *tx) LockGroup(ctx context.Context, id string) (groups.Group, error) {
	var rows []groupRow
	q := t.db
	if t.dialect == Postgres {
		// SQLite has no row locks; its single writer connection serialises instead.
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Where("id = ?", id).Limit(1).Find(&rows).Error; err != nil {
		return groups.Group{}, err
	}
	if len(rows) == 0 {
		return groups.Group{}, groups.ErrNotFound
	}
	return rows[0].group(), nil
}

func (t *tx) InsertGroup(ctx context.Context, g groups.Group) error {
	row := toRow(g)
	if err := t.db.Create(&row).Error; err != nil {
		if uniqueViolation(err) {
			return groups.ErrNameTaken
		}
		return err
	}
	return nil
}

func (t *tx) UpdateGroup(ctx context.Context, g groups.Group) error {
	row := toRow(g)
	err := t.db.Model(&groupRow{}).Where("id = ?", g.ID).Updates(map[string]any{
		"creator_id": row.CreatorID, "name": row.Name, "name_key": row.NameKey,
		"description": row.Description, "avatar_url": row.AvatarURL, "lang_tag": row.LangTag,
		"metadata": row.Metadata, "open": row.Open, "max_count": row.MaxCount, "update_time": row.UpdateTime,
	}).Error
	if uniqueViolation(err) {
		return groups.ErrNameTaken
	}
	return err
}

func (t *tx) DeleteGroup(ctx context.Context, id string) error {
	if err := t.db.Exec("DELETE FROM group_members WHERE group_id = ?", id).Error; err != nil {
		return err
	}
	return t.db.Exec("DELETE FROM groups WHERE id = ?", id).Error
}

func (t *tx) States(ctx context.Context, groupID string, userIDs []string) (map[string]groups.State, error) {
	var rows []struct {
		UserID string
		State  groups.State
	}
	err := t.db.Raw("SELECT user_id, state FROM group_members WHERE group_id = ? AND user_id IN ?", groupID, userIDs).
		Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	m := make(map[string]groups.State, len(rows))
	for _, r := range rows {
		m[r.UserID] = r.State
	}
	return m, nil
}

func (t *tx) CountState(ctx context.Context, groupID string, s groups.State) (int, error) {
	var n int64
	err := t.db.Raw("SELECT count(*) FROM group_members WHERE group_id = ? AND state = ?", groupID, s).Scan(&n).Error
	return int(n), err
}

func (t *tx) StateUsers(ctx context.Context, groupID string, states ...groups.State) ([]string, error) {
	var ids []string
	err := t.db.Raw("SELECT user_id FROM group_members WHERE group_id = ? AND state IN ? ORDER BY state, position",
		groupID, states).Scan(&ids).Error
	return ids, err
}

func (t *tx) InsertMember(ctx context.Context, groupID, userID string, s groups.State, now time.Time) error {
	return t.db.Exec("INSERT INTO group_members (group_id, user_id, state, position, update_time) VALUES (?, ?, ?, ?, ?)",
		groupID, userID, s, now.UnixNano(), now.UnixMicro()).Error
}

func (t *tx) SetState(ctx context.Context, groupID, userID string, s groups.State, now time.Time) error {
	return t.db.Exec("UPDATE group_members SET state = ?, update_time = ? WHERE group_id = ? AND user_id = ?",
		s, now.UnixMicro(), groupID, userID).Error
}

func (t *tx) DeleteMembers(ctx context.Context, groupID string, userIDs []string) error {
	return t.db.Exec("DELETE FROM group_members WHERE group_id = ? AND user_id IN ?", groupID, userIDs).Error
}

func (t *tx) AddEdgeCount(ctx context.Context, groupID string, delta int, now time.Time) error {
	// The guard sits in the write itself, so even a caller that skipped the
	// lock could not push edge_count past max_count.
	res := t.db.Exec(`UPDATE groups SET edge_count = edge_count + ?, update_time = ?
		WHERE id = ? AND edge_count + ? <= max_count AND edge_count + ? >= 0`,
		delta, now.UnixMicro(), groupID, delta, delta)
	if res.Error != nil {
		if checkViolation(res.Error) {
			return groups.ErrFull
		}
		return res.Error
	}
	if res.RowsAffected != 1 {
		return groups.ErrFull
	}
	return nil
}

func (t *tx) Usernames(ctx context.Context, userIDs []string) (map[string]string, error) {
	var rows []struct {
		ID       string
		Username string
	}
	if err := t.db.Raw("SELECT id, username FROM users WHERE id IN ?", userIDs).Scan(&rows).Error; err != nil {
		return nil, err
	}
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		m[r.ID] = r.Username
	}
	return m, nil
}

type notificationRow struct {
	ID         string         `gorm:"column:id;primaryKey"`
	UserID     string         `gorm:"column:user_id"`
	Subject    string         `gorm:"column:subject"`
	Content    string         `gorm:"column:content"`
	Code       int            `gorm:"column:code"`
	SenderID   sql.NullString `gorm:"column:sender_id"`
	CreateTime int64          `gorm:"column:create_time"`
	Persistent bool           `gorm:"column:persistent"`
}

func (notificationRow) TableName() string { return "notifications" }

func (t *tx) InsertNotifications(ctx context.Context, ns []groups.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	rows := make([]notificationRow, len(ns))
	for i, n := range ns {
		rows[i] = notificationRow{
			ID: n.ID, UserID: n.UserID, Subject: n.Subject, Content: n.Content, Code: n.Code,
			SenderID:   sql.NullString{String: n.SenderID, Valid: n.SenderID != ""},
			CreateTime: n.CreateTime.UnixMicro(), Persistent: n.Persistent,
		}
	}
	return t.db.Create(&rows).Error
}
