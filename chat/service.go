package chat

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
)

// Store keeps channel messages. The group event messages are written by the
// groups store in the membership change's own transaction, not through it.
type Store interface {
	// InsertMessage stores m.
	InsertMessage(ctx context.Context, m Message) error
	// UpdateMessage sets the content and update time of the message id of the
	// channel sent by senderID and returns the stored row; found=false when
	// there is none.
	UpdateMessage(ctx context.Context, channelID, id, senderID, content string, now time.Time) (Message, bool, error)
	// DeleteMessage deletes the message id of the channel sent by senderID and
	// returns the row it deleted; found=false when there was none.
	DeleteMessage(ctx context.Context, channelID, id, senderID string) (Message, bool, error)
	// ListMessages reads a channel's messages after (forward: oldest first)
	// or before (backward: newest first) the cursor position.
	ListMessages(ctx context.Context, channelID string, after *Cursor, forward bool, limit int) ([]Message, error)
	// MemberState returns userID's state in the group; found=false without a row.
	MemberState(ctx context.Context, groupID, userID string) (groups.State, bool, error)
	// Usernames returns id → username of the users that exist.
	Usernames(ctx context.Context, ids []string) (map[string]string, error)
}

// Sender is who sends a message: a user, or the system (empty UserID).
type Sender struct {
	UserID   string
	Username string
}

// Service applies the channels' rules over a Store.
type Service struct {
	store Store
	now   func() time.Time
}

// New returns the chat service over st.
func New(st Store) *Service {
	return &Service{store: st, now: func() time.Time { return time.Now().UTC() }}
}

// Messages of the socket's channel message checks, in Nakama's words.
var (
	errContent       = errs.Invalid("Message content must be a valid JSON object")
	errMessageID     = errs.Invalid("Invalid message identifier")
	errGroupNotFound = errs.Invalid("Group not found: Invalid channel target")
)

// MaxContentBytes bounds a message's content (the socket's inbound frame
// limit bounds it further for clients).
const MaxContentBytes = groups.MaxMetadataBytes

// CheckContent refuses content that is not a JSON object.
func CheckContent(content string) error {
	t := strings.TrimLeft(content, " \t\r\n")
	if len(content) > MaxContentBytes || !strings.HasPrefix(t, "{") || !json.Valid([]byte(content)) {
		return errContent
	}
	return nil
}

// CheckMessageID canonicalises a message id.
func CheckMessageID(id string) (string, error) {
	if u, err := uuid.Parse(id); err == nil {
		return u.String(), nil
	}
	return "", errMessageID
}

// FillUsernames sets the username of the messages that have none (group
// event messages, written without one) from the users table, in one read.
func (s *Service) FillUsernames(ctx context.Context, msgs []Message) error {
	var ids []string
	for _, m := range msgs {
		if m.Username == "" && m.SenderID != "" && m.SenderID != SystemUserID {
			ids = append(ids, m.SenderID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	names, err := s.store.Usernames(ctx, ids)
	if err != nil {
		return err
	}
	for i := range msgs {
		if msgs[i].Username == "" {
			msgs[i].Username = names[msgs[i].SenderID]
		}
	}
	return nil
}

// CanJoinGroup refuses a user who is not a member (states 0–2) of the group.
func (s *Service) CanJoinGroup(ctx context.Context, groupID, userID string) error {
	st, found, err := s.store.MemberState(ctx, groupID, userID)
	if err != nil {
		return &errs.Error{Code: errs.CodeInternal, Message: "Failed to look up group membership"}
	}
	if !found || !st.Counts() {
		return errGroupNotFound
	}
	return nil
}

// Send builds a message from the sender to the channel, storing it when
// persist is set.
func (s *Service) Send(ctx context.Context, from Sender, c Channel, content string, persist bool) (Message, error) {
	if err := CheckContent(content); err != nil {
		return Message{}, err
	}
	if from.UserID == "" {
		from.UserID = SystemUserID
	}
	now := s.now()
	m := Message{ID: uuid.NewString(), Code: CodeChat, SenderID: from.UserID, Username: from.Username,
		Content: content, CreateTime: now, UpdateTime: now, Persistent: persist}.WithChannel(c)
	if persist {
		if err := s.store.InsertMessage(ctx, m); err != nil {
			return Message{}, &errs.Error{Code: errs.CodeInternal, Message: "Could not persist message to channel history"}
		}
	}
	return m, nil
}

// Update changes the content of the sender's message. With persist the
// stored row must exist and be the sender's.
func (s *Service) Update(ctx context.Context, from Sender, c Channel, id, content string, persist bool) (Message, error) {
	if err := CheckContent(content); err != nil {
		return Message{}, err
	}
	now := s.now()
	m := Message{ID: id, Code: CodeChatUpdate, SenderID: from.UserID, Username: from.Username, Content: content,
		CreateTime: now, UpdateTime: now, Persistent: persist}.WithChannel(c)
	if persist {
		stored, found, err := s.store.UpdateMessage(ctx, c.ID, id, from.UserID, content, now)
		if err != nil {
			return Message{}, &errs.Error{Code: errs.CodeInternal, Message: "Could not update message in channel history"}
		}
		if !found {
			return Message{}, errs.Invalid("Could not find message to update in channel history")
		}
		m.CreateTime = stored.CreateTime
	}
	return m, nil
}

// Remove deletes the sender's message. With persist the stored row must
// exist and be the sender's.
func (s *Service) Remove(ctx context.Context, from Sender, c Channel, id string, persist bool) (Message, error) {
	now := s.now()
	m := Message{ID: id, Code: CodeChatRemove, SenderID: from.UserID, Username: from.Username, Content: "{}",
		CreateTime: now, UpdateTime: now, Persistent: persist}.WithChannel(c)
	if persist {
		stored, found, err := s.store.DeleteMessage(ctx, c.ID, id, from.UserID)
		if err != nil {
			return Message{}, &errs.Error{Code: errs.CodeInternal, Message: "Could not remove message from channel history"}
		}
		if !found {
			return Message{}, errs.Invalid("Could not find message to remove in channel history")
		}
		m.CreateTime = stored.CreateTime
	}
	return m, nil
}

// Cursor is a history position: after (or before) this row, in one
// direction of one channel.
type Cursor struct {
	CreateTime int64  `json:"t"` // unix microseconds
	ID         string `json:"i"`
	Forward    bool   `json:"f"`
	Channel    string `json:"c"`
}

// Page is one page of a channel's history.
type Page struct {
	Messages        []Message
	NextCursor      string
	PrevCursor      string
	CacheableCursor string
}

// HistoryRequest is GET /v2/channel/{channel_id}'s parameters.
type HistoryRequest struct {
	ChannelID string
	Limit     *int  // nil is 1
	Forward   *bool // nil is true
	Cursor    string
}

// MaxHistoryLimit is the largest page.
const MaxHistoryLimit = 100

var errCursor = errs.Invalid("Cursor is invalid or expired.")

// History pages through a channel's stored messages with Nakama's rules:
// group channels for members (states 0–2), direct channels for their two
// users, rooms for everyone.
func (s *Service) History(ctx context.Context, userID string, req HistoryRequest) (Page, error) {
	limit := 1
	if req.Limit != nil {
		limit = *req.Limit
	}
	if limit < 1 || limit > MaxHistoryLimit {
		return Page{}, errs.Invalid("Invalid limit - limit must be between 1 and 100.")
	}
	forward := req.Forward == nil || *req.Forward
	c, err := ParseChannelID(req.ChannelID)
	if err != nil {
		return Page{}, errs.Invalid("Invalid channel ID.")
	}
	var after *Cursor
	if req.Cursor != "" {
		var cur Cursor
		if !groups.DecodeCursor(req.Cursor, base64.RawURLEncoding, &cur) || !groups.ValidCursorID(cur.ID) ||
			cur.Forward != forward || cur.Channel != c.ID {
			return Page{}, errCursor
		}
		after = &cur
	}
	switch c.Mode {
	case ModeGroup:
		st, found, err := s.store.MemberState(ctx, c.GroupID, userID)
		if err != nil {
			return Page{}, historyFailed(err)
		}
		if !found || !st.Counts() {
			return Page{}, errs.Invalid("Group not found.")
		}
	case ModeDM:
		if userID != c.UserOne && userID != c.UserTwo {
			return Page{}, errs.Invalid("Channel not found.")
		}
	}
	rows, err := s.store.ListMessages(ctx, c.ID, after, forward, limit+1)
	if err != nil {
		return Page{}, historyFailed(err)
	}
	var p Page
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		p.NextCursor = encodeCursor(last, forward, c.ID)
	}
	for i := range rows {
		rows[i] = rows[i].WithChannel(c)
		rows[i].Persistent = true
	}
	p.Messages = rows
	if len(rows) == 0 {
		p.CacheableCursor = req.Cursor
		return p, nil
	}
	if after != nil {
		p.PrevCursor = encodeCursor(rows[0], !forward, c.ID)
	}
	newest := rows[len(rows)-1]
	if !forward {
		newest = rows[0]
	}
	p.CacheableCursor = encodeCursor(newest, true, c.ID)
	return p, nil
}

// historyFailed hides a database error behind Nakama's message (the cause
// is wrapped for logs).
func historyFailed(err error) error {
	return fmt.Errorf("%w: %w", &errs.Error{Code: errs.CodeInternal, Message: "Error listing messages from channel."}, err)
}

func encodeCursor(m Message, forward bool, channelID string) string {
	return groups.EncodeCursor(Cursor{CreateTime: m.CreateTime.UnixMicro(), ID: m.ID, Forward: forward, Channel: channelID},
		base64.RawURLEncoding)
}
