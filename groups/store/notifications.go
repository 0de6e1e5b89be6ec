package store

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/guildhall/guildhall/inbox"
)

// insertNotifications builds the one INSERT of ns.
func insertNotifications(ns []inbox.Notification) (string, []any) {
	var b strings.Builder
	b.WriteString("INSERT INTO notifications (id, user_id, subject, content, code, sender_id, create_time, persistent) VALUES ")
	args := make([]any, 0, 8*len(ns))
	for i, n := range ns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(")
		b.WriteString(placeholders(8*i+1, 8))
		b.WriteString(")")
		args = append(args, n.ID, n.UserID, n.Subject, n.Content, n.Code, nullID(n.SenderID),
			n.CreateTime.UnixMicro(), n.Persistent)
	}
	return b.String(), args
}

// InsertNotifications writes ns in one statement; the recipient's foreign key
// tells a missing user (groups.ErrNotFound).
func (s *Groups) InsertNotifications(ctx context.Context, ns []inbox.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	q, args := insertNotifications(ns)
	_, err := s.sqlDB.ExecContext(ctx, q, args...)
	if err != nil {
		return userMissing.mapErr(err)
	}
	s.publishWritten(Written{Notifications: ns})
	return nil
}

// ListNotifications reads a user's notifications oldest first, after the cursor.
func (s *Groups) ListNotifications(ctx context.Context, userID string, after *inbox.Cursor, limit int) ([]inbox.Notification, error) {
	args := sqlArgs{userID}
	q := "SELECT id, user_id, subject, content, code, sender_id, create_time, persistent FROM notifications WHERE user_id = $1"
	if after != nil {
		q += " AND (create_time, id) > (" + args.add(after.CreateTime) + ", " + args.add(after.ID) + ")"
	}
	q += " ORDER BY create_time, id LIMIT " + args.add(limit)
	out := make([]inbox.Notification, 0, limit)
	var n inbox.Notification
	var sender pgtype.Text
	var ct int64
	err := s.read(ctx, q, args, func(r rowScanner) error {
		if err := r.Scan(&n.ID, &n.UserID, &n.Subject, &n.Content, &n.Code, &sender, &ct, &n.Persistent); err != nil {
			return err
		}
		n.SenderID, n.CreateTime = sender.String, micros(ct)
		out = append(out, n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteNotifications deletes only the user's own notifications among ids.
func (s *Groups) DeleteNotifications(ctx context.Context, userID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.sqlDB.ExecContext(ctx, "DELETE FROM notifications WHERE user_id = $1 AND id IN ("+
		placeholders(2, len(ids))+")", idArgs(userID, ids)...)
	return err
}
