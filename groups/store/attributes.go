package store

import (
	"context"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/guildhall/guildhall/groups"
)

// Group attributes (migration 00009): one row per (group, key).

const attributeColumns = "group_id, key, value, creator_id, only_creator_can_edit, create_time, update_time"

// attributeScan reads rows of attributeColumns with one set of destinations.
type attributeScan struct {
	at      groups.Attribute
	creator pgtype.Text
	ct, ut  int64
	dest    []any
}

func newAttributeScan() *attributeScan {
	s := &attributeScan{}
	s.dest = []any{&s.at.GroupID, &s.at.Key, &s.at.Value, &s.creator, &s.at.OnlyCreatorCanEdit, &s.ct, &s.ut}
	return s
}

func (s *attributeScan) scan(r rowScanner) (groups.Attribute, error) {
	if err := r.Scan(s.dest...); err != nil {
		return groups.Attribute{}, err
	}
	at := s.at
	at.CreatorID = s.creator.String
	at.CreateTime, at.UpdateTime = micros(s.ct), micros(s.ut)
	return at, nil
}

// Attribute queues both reads and sends them together (one round trip on
// PostgreSQL, with any writes queued before).
func (t *txSQL) Attribute(ctx context.Context, groupID, key string) (groups.Attribute, bool, int, error) {
	var at groups.Attribute
	found, count := false, 0
	as := newAttributeScan()
	t.ex.read(ctx, "SELECT "+attributeColumns+" FROM group_attributes WHERE group_id = $1 AND key = $2",
		func(r rowScanner) error {
			var err error
			at, err = as.scan(r)
			found = true
			return err
		}, groupID, key)
	t.ex.read(ctx, "SELECT count(*) FROM group_attributes WHERE group_id = $1", func(r rowScanner) error {
		return r.Scan(&count)
	}, groupID)
	if err := t.ex.flush(ctx); err != nil {
		return groups.Attribute{}, false, 0, err
	}
	return at, found, count, nil
}

// PutAttribute upserts: a new row as given, or the existing row's value,
// flag and update time (creator and create time stay).
func (t *txSQL) PutAttribute(ctx context.Context, at groups.Attribute) {
	t.ex.write(ctx, violations{}, `INSERT INTO group_attributes (`+attributeColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (group_id, key) DO UPDATE SET value = excluded.value,
		only_creator_can_edit = excluded.only_creator_can_edit, update_time = excluded.update_time`,
		at.GroupID, at.Key, at.Value, nullID(at.CreatorID), at.OnlyCreatorCanEdit,
		at.CreateTime.UnixMicro(), at.UpdateTime.UnixMicro())
}

func (t *txSQL) DeleteAttribute(ctx context.Context, groupID, key string) {
	t.ex.write(ctx, violations{}, "DELETE FROM group_attributes WHERE group_id = $1 AND key = $2", groupID, key)
}

// ListAttributes reads by the primary key's order: key ascending, bytewise
// (PostgreSQL's column is COLLATE "C"; SQLite compares bytes).
func (s *Groups) ListAttributes(ctx context.Context, groupID string) ([]groups.Attribute, error) {
	var out []groups.Attribute
	as := newAttributeScan()
	err := s.read(ctx, "SELECT "+attributeColumns+" FROM group_attributes WHERE group_id = $1 ORDER BY key",
		[]any{groupID}, func(r rowScanner) error {
			at, err := as.scan(r)
			out = append(out, at)
			return err
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}
