// Package inbox is the users' persistent notifications: the ones scripts send
// (nk.notificationSend), the ones group events cause (GroupNotifications, which
// the store writes in the event's transaction), and the user's listing and
// deleting of their own. It knows nothing of HTTP, SQL or scripts; storage
// comes in through the Store port.
package inbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
)

// Notification is a persistent message to one user.
type Notification struct {
	ID         string
	UserID     string
	Subject    string
	Content    string // JSON object text
	Code       int
	SenderID   string // empty for the system
	CreateTime time.Time
	Persistent bool
}

// Notification codes Nakama reserves for group events.
const (
	NotifyGroupAdd         = groups.NotifyGroupAdd
	NotifyGroupJoinRequest = groups.NotifyGroupJoinRequest
)

// Store keeps notifications.
type Store interface {
	// InsertNotifications writes ns in one statement; groups.ErrNotFound when
	// a recipient does not exist (nothing is written then).
	InsertNotifications(ctx context.Context, ns []Notification) error
	// ListNotifications reads a user's notifications oldest first, after the cursor.
	ListNotifications(ctx context.Context, userID string, after *Cursor, limit int) ([]Notification, error)
	// DeleteNotifications deletes only the user's own notifications among ids.
	DeleteNotifications(ctx context.Context, userID string, ids []string) error
}

// Service applies the inbox's rules over a Store.
type Service struct {
	store Store
	now   func() time.Time
}

// New returns the inbox over st.
func New(st Store) *Service {
	return &Service{store: st, now: func() time.Time { return time.Now().UTC() }}
}

// FromGroups returns the inbox over the groups service's store when that store
// keeps notifications too (Guildhall's one store does), else nil. It lets the
// wiring that is handed only the groups service reach the inbox.
func FromGroups(g *groups.Service) *Service {
	if g == nil {
		return nil
	}
	st, ok := g.Store().(Store)
	if !ok {
		return nil
	}
	return New(st)
}

// Send stores a persistent notification for a user (nk notificationSend).
// Codes at or below 0 are Nakama's reserved ones, except the -2000…-1000
// range it leaves to scripts.
func (s *Service) Send(ctx context.Context, n Notification) error {
	id, ok := groups.ParseID(n.UserID)
	if !ok {
		return errs.Invalid("User ID must be a valid ID.")
	}
	n.UserID = id
	if n.SenderID != "" {
		if n.SenderID, ok = groups.ParseID(n.SenderID); !ok {
			return errs.Invalid("Sender ID must be a valid ID.")
		}
	}
	if n.Code <= 0 && (n.Code < -2000 || n.Code > -1000) {
		return errs.Invalid("Notification code must be above 0 or between -2000 and -1000.")
	}
	if err := groups.CheckInt32("Notification code", n.Code); err != nil {
		return err
	}
	if n.Subject == "" {
		return errs.Invalid("Notification subject must be set.")
	}
	if err := groups.CheckText("Notification subject", n.Subject, groups.MaxNameLen); err != nil {
		return err
	}
	if n.Content == "" {
		n.Content = "{}"
	}
	if len(n.Content) > groups.MaxMetadataBytes || !json.Valid([]byte(n.Content)) {
		return errs.Invalid("Notification content must be a JSON object of at most 16384 bytes.")
	}
	n.ID = uuid.NewString()
	n.CreateTime = s.now()
	err := s.store.InsertNotifications(ctx, []Notification{n})
	if errors.Is(err, groups.ErrNotFound) {
		return errs.Errorf(errs.CodeNotFound, "User not found.")
	}
	return err
}

// List is a page of a user's notifications, oldest first. Cursor is always
// set, so a client can poll for newer ones from where it stopped.
type List struct {
	Notifications []Notification
	Cursor        string
}

// Cursor is the keyset position after the last notification read.
type Cursor struct {
	CreateTime int64 // unix microseconds
	ID         string
}

const msgMalformedCursor = "Malformed cursor was used."

// decodeCursor reads a List cursor.
func decodeCursor(s string) (*Cursor, error) {
	var c Cursor
	if !groups.DecodeCursor(s, base64.RawURLEncoding, &c) || !groups.ValidCursorID(c.ID) {
		return nil, errs.Invalid(msgMalformedCursor)
	}
	return &c, nil
}

// List pages through a user's notifications (limit 0 means 1, as in Nakama).
func (s *Service) List(ctx context.Context, userID string, limit int, cursor string) (List, error) {
	limit, err := groups.CheckLimit(limit, 1)
	if err != nil {
		return List{}, err
	}
	var after *Cursor
	if cursor != "" {
		if after, err = decodeCursor(cursor); err != nil {
			return List{}, err
		}
	}
	ns, err := s.store.ListNotifications(ctx, userID, after, limit)
	if err != nil {
		return List{}, err
	}
	out := List{Notifications: ns, Cursor: cursor}
	if len(ns) > 0 {
		last := ns[len(ns)-1]
		out.Cursor = groups.EncodeCursor(Cursor{CreateTime: last.CreateTime.UnixMicro(), ID: last.ID}, base64.RawURLEncoding)
	} else if cursor == "" {
		out.Cursor = groups.EncodeCursor(Cursor{ID: "00000000-0000-4000-8000-000000000000"}, base64.RawURLEncoding)
	}
	return out, nil
}

// Delete deletes the caller's notifications with the given ids.
func (s *Service) Delete(ctx context.Context, userID string, ids []string) error {
	clean, err := groups.CheckIDs(ids, "Notification ID must be a valid ID.")
	if err != nil || len(clean) == 0 {
		return err
	}
	return s.store.DeleteNotifications(ctx, userID, clean)
}
