package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/errs"
)

// errNotReady is GET /readyz's answer when the database does not answer.
var errNotReady = errs.Errorf(errs.CodeUnavailable, "Database unavailable.")

// readyz is the load balancers' readiness check: {} when the database
// answers within the request's deadline, else 503 code 14. /healthcheck stays
// Nakama's (always {}): it says the process is up, this says it can serve.
func (s *Server) readyz(c *fiber.Ctx) error {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(c.UserContext()); err != nil {
			s.log.WarnContext(c.UserContext(), "not ready: the database check failed", "error", err)
			return errNotReady
		}
	}
	return empty(c)
}
