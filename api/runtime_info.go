package api

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"
)

// serverRuntime serves GET /v2/server/runtime (http key): the node's live
// script generation and every hook and RPC with its language and file.
func (s *Server) serverRuntime(c *fiber.Ctx) error {
	raw, err := json.Marshal(s.cfg.Runtime())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(raw)
}
