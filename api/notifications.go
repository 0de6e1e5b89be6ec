package api

import (
	"github.com/gofiber/fiber/v2"
)

type notificationJSON struct {
	ID         string `json:"id,omitempty"`
	Subject    string `json:"subject,omitempty"`
	Content    string `json:"content,omitempty"`
	Code       int    `json:"code,omitempty"`
	SenderID   string `json:"sender_id,omitempty"`
	CreateTime string `json:"create_time,omitempty"`
	Persistent bool   `json:"persistent,omitempty"`
}

type notificationListJSON struct {
	Notifications   []notificationJSON `json:"notifications,omitempty"`
	CacheableCursor string             `json:"cacheable_cursor,omitempty"`
}

func (s *Server) listNotifications(c *fiber.Ctx) error {
	limit, err := listLimit(c)
	if err != nil {
		return err
	}
	cursor, _ := query(c, "cacheable_cursor")
	l, err := s.inbox.List(c.UserContext(), caller(c).UserID, limit, cursor)
	if err != nil {
		return failed("list notifications", err)
	}
	out := notificationListJSON{CacheableCursor: l.Cursor}
	for _, n := range l.Notifications {
		out.Notifications = append(out.Notifications, notificationJSON{
			ID: n.ID, Subject: n.Subject, Content: n.Content, Code: n.Code, SenderID: n.SenderID,
			CreateTime: timestamp(n.CreateTime), Persistent: n.Persistent,
		})
	}
	return c.JSON(out)
}

func (s *Server) deleteNotifications(c *fiber.Ctx) error {
	err := s.inbox.Delete(c.UserContext(), caller(c).UserID, queryAll(c, "ids"))
	return s.reply(c, "delete notifications", err)
}
