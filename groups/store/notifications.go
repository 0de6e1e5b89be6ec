package store

import (
	"context"

	"github.com/guildhall/guildhall/groups"
)

// ListNotifications reads a user's notifications oldest first, after the cursor.
func (s *Groups) ListNotifications(ctx context.Context, userID string, after *groups.NotificationCursor, limit int) ([]groups.Notification, error) {
	q := s.db.Read.WithContext(ctx).Where("user_id = ?", userID)
	if after != nil {
		q = q.Where("(create_time, id) > (?, ?)", after.CreateTime, after.ID)
	}
	var rows []notificationRow
	if err := q.Order("create_time, id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]groups.Notification, len(rows))
	for i, r := range rows {
		out[i] = groups.Notification{
			ID: r.ID, UserID: r.UserID, Subject: r.Subject, Content: r.Content, Code: r.Code,
			SenderID: r.SenderID.String, CreateTime: micros(r.CreateTime), Persistent: r.Persistent,
		}
	}
	return out, nil
}

// DeleteNotifications deletes only the user's own notifications among ids.
func (s *Groups) DeleteNotifications(ctx context.Context, userID string, ids []string) error {
	return s.db.Write.WithContext(ctx).Exec("DELETE FROM notifications WHERE user_id = ? AND id IN ?", userID, ids).Error
}
