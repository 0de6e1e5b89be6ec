package api

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/chat"
	"github.com/guildhall/guildhall/errs"
)

// channelMessageJSON is a stored channel message (Nakama's ChannelMessage;
// code and persistent are wrappers, always present).
type channelMessageJSON struct {
	ChannelID  string `json:"channel_id"`
	MessageID  string `json:"message_id"`
	Code       int    `json:"code"`
	SenderID   string `json:"sender_id,omitempty"`
	Username   string `json:"username,omitempty"`
	Content    string `json:"content"`
	CreateTime string `json:"create_time,omitempty"`
	UpdateTime string `json:"update_time,omitempty"`
	Persistent bool   `json:"persistent"`
	RoomName   string `json:"room_name,omitempty"`
	GroupID    string `json:"group_id,omitempty"`
	UserIDOne  string `json:"user_id_one,omitempty"`
	UserIDTwo  string `json:"user_id_two,omitempty"`
}

type channelMessageListJSON struct {
	Messages        []channelMessageJSON `json:"messages,omitempty"`
	NextCursor      string               `json:"next_cursor,omitempty"`
	PrevCursor      string               `json:"prev_cursor,omitempty"`
	CacheableCursor string               `json:"cacheable_cursor,omitempty"`
}

// listChannelMessages is GET /v2/channel/{channel_id}: a channel's history.
func (s *Server) listChannelMessages(c *fiber.Ctx) error {
	if s.cfg.Chat == nil {
		return fiber.ErrNotFound
	}
	id, err := url.PathUnescape(c.Params("channel_id"))
	if err != nil {
		return errs.Invalid("Invalid channel ID.")
	}
	req := chat.HistoryRequest{ChannelID: id}
	if req.Limit, err = queryInt(c, "limit"); err != nil {
		return err
	}
	if req.Forward, err = queryBool(c, "forward"); err != nil {
		return err
	}
	req.Cursor, _ = query(c, "cursor")
	p, err := s.cfg.Chat.History(c.UserContext(), caller(c).UserID, req)
	if err != nil {
		return failed("list channel messages", err)
	}
	out := channelMessageListJSON{NextCursor: p.NextCursor, PrevCursor: p.PrevCursor, CacheableCursor: p.CacheableCursor}
	for _, m := range p.Messages {
		out.Messages = append(out.Messages, channelMessageJSON{ChannelID: m.ChannelID, MessageID: m.ID, Code: m.Code,
			SenderID: m.SenderID, Username: m.Username, Content: m.Content, CreateTime: timestamp(m.CreateTime),
			UpdateTime: timestamp(m.UpdateTime), Persistent: m.Persistent, RoomName: m.Room, GroupID: m.GroupID,
			UserIDOne: m.UserOne, UserIDTwo: m.UserTwo})
	}
	return c.JSON(out)
}
