package store

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guildhall/guildhall/chat"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/inbox"
)

var _ chat.Store = (*Groups)(nil)

// Written is what a committed write left for the realtime socket to push:
// the events of a groups transaction, the notification rows and group event
// messages it wrote (with their ids, which only the store knows), or the
// notifications a script sent.
type Written struct {
	Events        []groups.Event
	Notifications []inbox.Notification
	Messages      []chat.Message
}

// writtenHook holds the function OnWritten registered.
type writtenHook = atomic.Pointer[func(Written)]

// OnWritten registers fn, called after each commit that wrote something (on
// the committing goroutine, before the groups service's subscribers, so a
// kick's event message is handed over before the kick's removal). fn must
// not block: it hands off. One function; a later call replaces it.
func (s *Groups) OnWritten(fn func(Written)) { s.written.Store(&fn) }

func (s *Groups) publishWritten(w Written) {
	if fn := s.written.Load(); fn != nil && (len(w.Events) > 0 || len(w.Notifications) > 0 || len(w.Messages) > 0) {
		(*fn)(w)
	}
}

// insertEventMessage stores a group event message. Its username is left
// empty: reading it here (a subquery with RETURNING) cost a third more CPU
// per join on SQLite; history reads take it from users, and the hub looks it
// up after the commit, off the request path (chat.Service.FillUsernames).
const insertEventMessage = `INSERT INTO channel_messages (id, channel_id, code, sender_id, username, content, create_time, update_time)
	VALUES ($1, $2, $3, $4, '', $5, $6, $6)`

// chatWrites queues the group event messages of the transaction's events
// (msgs, without usernames; on PostgreSQL in the COMMIT batch) and the
// deletion of deleted groups' channels.
func (t *txSQL) chatWrites(ctx context.Context, msgs []chat.Message) {
	for i := range msgs {
		m := &msgs[i]
		t.ex.write(ctx, violations{}, insertEventMessage, m.ID, m.ChannelID, m.Code, m.SenderID, m.Content, m.CreateTime.UnixMicro())
	}
	t.chatDeletes(ctx)
}

// chatDeletes queues the deletion of the transaction's deleted groups' channels.
func (t *txSQL) chatDeletes(ctx context.Context) {
	for _, gid := range chat.DeletedGroups(t.events) {
		t.ex.write(ctx, violations{}, "DELETE FROM channel_messages WHERE channel_id = $1", chat.GroupChannelID(gid))
	}
}

const messageColumns = "id, channel_id, code, sender_id, username, content, create_time, update_time"

// listColumns are messageColumns of channel_messages m with the username of
// an event message (stored empty) taken from users u.
const listColumns = "m.id, m.channel_id, m.code, m.sender_id, COALESCE(NULLIF(m.username, ''), u.username, ''), m.content, m.create_time, m.update_time"

func scanMessage(r interface{ Scan(...any) error }, m *chat.Message) error {
	var ct, ut int64
	if err := r.Scan(&m.ID, &m.ChannelID, &m.Code, &m.SenderID, &m.Username, &m.Content, &ct, &ut); err != nil {
		return err
	}
	m.CreateTime, m.UpdateTime = micros(ct), micros(ut)
	return nil
}

// InsertMessage stores a user's (or a script's) message.
func (s *Groups) InsertMessage(ctx context.Context, m chat.Message) error {
	_, err := s.sqlDB.ExecContext(ctx, "INSERT INTO channel_messages ("+messageColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		m.ID, m.ChannelID, m.Code, m.SenderID, m.Username, m.Content, m.CreateTime.UnixMicro(), m.UpdateTime.UnixMicro())
	return err
}

// UpdateMessage changes the content of the sender's stored message.
func (s *Groups) UpdateMessage(ctx context.Context, channelID, id, senderID, content string, now time.Time) (chat.Message, bool, error) {
	return s.oneMessage(ctx, "UPDATE channel_messages SET content = $4, update_time = $5 "+
		"WHERE id = $1 AND channel_id = $2 AND sender_id = $3 RETURNING "+messageColumns,
		id, channelID, senderID, content, now.UnixMicro())
}

// DeleteMessage deletes the sender's stored message.
func (s *Groups) DeleteMessage(ctx context.Context, channelID, id, senderID string) (chat.Message, bool, error) {
	return s.oneMessage(ctx, "DELETE FROM channel_messages WHERE id = $1 AND channel_id = $2 AND sender_id = $3 RETURNING "+messageColumns,
		id, channelID, senderID)
}

func (s *Groups) oneMessage(ctx context.Context, q string, args ...any) (chat.Message, bool, error) {
	var m chat.Message
	var err error
	if s.db.Dialect == Postgres {
		err = s.pgConn(ctx, func(c *pgx.Conn) error { return scanMessage(c.QueryRow(ctx, q, args...), &m) })
		if errors.Is(err, pgx.ErrNoRows) {
			return m, false, nil
		}
	} else {
		err = scanMessage(s.sqlDB.QueryRowContext(ctx, q, args...), &m)
		if errors.Is(err, sql.ErrNoRows) {
			return m, false, nil
		}
	}
	return m, err == nil, err
}

// ListMessages reads a page of a channel's history in (create_time, id)
// order, ascending forward, descending backward.
func (s *Groups) ListMessages(ctx context.Context, channelID string, after *chat.Cursor, forward bool, limit int) ([]chat.Message, error) {
	args := sqlArgs{channelID}
	q := "SELECT " + listColumns + " FROM channel_messages m LEFT JOIN users u ON u.id = m.sender_id WHERE m.channel_id = $1"
	cmp, dir := " > ", " ASC"
	if !forward {
		cmp, dir = " < ", " DESC"
	}
	if after != nil {
		q += " AND (m.create_time, m.id)" + cmp + "(" + args.add(after.CreateTime) + ", " + args.add(after.ID) + ")"
	}
	q += " ORDER BY m.create_time" + dir + ", m.id" + dir + " LIMIT " + args.add(limit)
	out := make([]chat.Message, 0, min(limit, 16))
	err := s.read(ctx, q, args, func(r rowScanner) error {
		var m chat.Message
		if err := scanMessage(r, &m); err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// MemberState reads a user's state in a group.
func (s *Groups) MemberState(ctx context.Context, groupID, userID string) (groups.State, bool, error) {
	var st groups.State
	found := false
	err := s.read(ctx, "SELECT state FROM group_members WHERE group_id = $1 AND user_id = $2", []any{groupID, userID},
		func(r rowScanner) error {
			found = true
			return r.Scan(&st)
		})
	return st, found, err
}

// Usernames returns id → username of the users that exist.
func (s *Groups) Usernames(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := s.read(ctx, "SELECT id, username FROM users WHERE id IN ("+placeholders(1, len(ids))+")", idArgs(nil, ids),
		func(r rowScanner) error {
			var id, name string
			if err := r.Scan(&id, &name); err != nil {
				return err
			}
			out[id] = name
			return nil
		})
	return out, err
}
