package groups

import (
	"context"
	"encoding/base64"
	"encoding/json"
)

// SendNotification stores a persistent notification for a user (nk
// notificationSend). Codes at or below 0 are Nakama's reserved ones, except the
// -2000…-1000 range it leaves to scripts.
func (s *Service) SendNotification(ctx context.Context, n Notification) error {
	id, ok := parseID(n.UserID)
	if !ok {
		return Invalid("User ID must be a valid ID.")
	}
	n.UserID = id
	if n.SenderID != "" {
		if n.SenderID, ok = parseID(n.SenderID); !ok {
			return Invalid("Sender ID must be a valid ID.")
		}
	}
	if n.Code <= 0 && (n.Code < -2000 || n.Code > -1000) {
		return Invalid("Notification code must be above 0 or between -2000 and -1000.")
	}
	if err := checkInt32("Notification code", n.Code); err != nil {
		return err
	}
	if n.Subject == "" {
		return Invalid("Notification subject must be set.")
	}
	if err := checkText("Notification subject", n.Subject, MaxNameLen); err != nil {
		return err
	}
	if n.Content == "" {
		n.Content = "{}"
	}
	if len(n.Content) > MaxMetadataBytes || !json.Valid([]byte(n.Content)) {
		return Invalid("Notification content must be a JSON object of at most 16384 bytes.")
	}
	n.ID = newID()
	n.CreateTime = s.now()
	return s.store.Tx(ctx, func(tx Tx) error {
		names, err := tx.Usernames(ctx, []string{n.UserID})
		if err != nil {
			return err
		}
		if _, ok := names[n.UserID]; !ok {
			return Errorf(CodeNotFound, "User not found.")
		}
		return tx.InsertNotifications(ctx, []Notification{n})
	})
}

// NotificationList is a page of a user's notifications, oldest first. Cursor is
// always set, so a client can poll for newer ones from where it stopped.
type NotificationList struct {
	Notifications []Notification
	Cursor        string
}

// NotificationCursor is the keyset position after the last notification read.
type NotificationCursor struct {
	CreateTime int64 // unix microseconds
	ID         string
}

// ListNotifications pages through a user's notifications (limit 0 means 1, as
// in Nakama).
func (s *Service) ListNotifications(ctx context.Context, userID string, limit int, cursor string) (NotificationList, error) {
	limit, err := checkLimit(limit, 1)
	if err != nil {
		return NotificationList{}, err
	}
	var after *NotificationCursor
	if cursor != "" {
		if after, err = decodeNotificationCursor(cursor); err != nil {
			return NotificationList{}, err
		}
	}
	ns, err := s.store.ListNotifications(ctx, userID, after, limit)
	if err != nil {
		return NotificationList{}, err
	}
	out := NotificationList{Notifications: ns, Cursor: cursor}
	if len(ns) > 0 {
		last := ns[len(ns)-1]
		out.Cursor = encodeCursor(NotificationCursor{CreateTime: last.CreateTime.UnixMicro(), ID: last.ID}, base64.RawURLEncoding)
	} else if cursor == "" {
		out.Cursor = encodeCursor(NotificationCursor{ID: "00000000-0000-4000-8000-000000000000"}, base64.RawURLEncoding)
	}
	return out, nil
}

// DeleteNotifications deletes the caller's notifications with the given ids.
func (s *Service) DeleteNotifications(ctx context.Context, userID string, ids []string) error {
	clean, err := checkIDs(ids, "Notification ID must be a valid ID.")
	if err != nil || len(clean) == 0 {
		return err
	}
	return s.store.DeleteNotifications(ctx, userID, clean)
}
