package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
)

// The server-to-server API under /v2/server/: authenticated with the http key,
// acting as the system (no client hooks, no membership checks), able to set
// what clients cannot (metadata, max_count, creator). Invariants still hold.
// The operations with a server twin are served from the operation table.
// Every mutation takes an optional audit `reason` (query parameter, or body
// field where there is a body) stored with its audit log entry.

func (s *Server) serverGetGroup(c *fiber.Ctx) error {
	if !s.groups.Enabled() {
		return groups.ErrDisabled
	}
	id := param(c, "group_id")
	gs, err := s.groups.GetGroups(c.UserContext(), []string{id})
	if err != nil {
		return failed("get group", err)
	}
	if len(gs) == 0 {
		return errs.Errorf(errs.CodeNotFound, "Group not found.")
	}
	return c.JSON(groupOut{&gs[0]})
}
