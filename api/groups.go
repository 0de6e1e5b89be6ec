package api

import "github.com/gofiber/fiber/v2"

// The group operations are served from the operation table (ops.go):
// decoding by their request's `op` tags, hooks, the service call, and the
// encoder of their response type.

// reply answers {} or the error of operation op.
func (s *Server) reply(c *fiber.Ctx, op string, err error) error {
	if err != nil {
		return failed(op, err)
	}
	return empty(c)
}
