package groups

import (
	"context"
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
