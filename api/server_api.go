package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
)

// The server-to-server API under /v2/server/: authenticated with the http key,
// acting as the system (no client hooks, no membership checks), able to set
// what clients cannot (metadata, max_count, creator). Invariants still hold.
// Every mutation takes an optional audit `reason` (query parameter, or body
// field where there is a body) stored with its audit log entry.

func (s *Server) serverCreateGroup(c *fiber.Ctx) error {
	b, err := parseBody(c)
	if err != nil {
		return err
	}
	var req groups.CreateGroupRequest
	if err := b.strings(
		strField{"user_id", &req.OwnerID}, strField{"name", &req.Name}, strField{"description", &req.Description},
		strField{"lang_tag", &req.LangTag}, strField{"avatar_url", &req.AvatarURL}, strField{"metadata", &req.Metadata},
	); err != nil {
		return err
	}
	if open, err := b.boolean("open"); err != nil {
		return err
	} else if open != nil {
		req.Open = *open
	}
	if n, err := b.int32("max_count"); err != nil {
		return err
	} else if n != nil {
		req.MaxCount = *n
	}
	ctx, err := reasonContext(c, b)
	if err != nil {
		return err
	}
	g, err := s.groups.CreateGroup(ctx, groups.SystemActor(), req)
	if err != nil {
		return failed("create group", err)
	}
	return c.JSON(groupOut{&g})
}

func (s *Server) serverGetGroup(c *fiber.Ctx) error {
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

func (s *Server) serverUpdateGroup(c *fiber.Ctx) error {
	req, err := updateRequest(c, true)
	if err != nil {
		return err
	}
	b, _ := parseBody(c) // updateRequest parsed it already
	ctx, err := reasonContext(c, b)
	if err != nil {
		return err
	}
	return s.reply(c, "update group", s.groups.UpdateGroup(ctx, groups.SystemActor(), *req))
}

func (s *Server) serverDeleteGroup(c *fiber.Ctx) error {
	ctx, err := reasonContext(c, nil)
	if err != nil {
		return err
	}
	err = s.groups.DeleteGroup(ctx, groups.SystemActor(), groups.GroupRequest{GroupID: param(c, "group_id")})
	return s.reply(c, "delete group", err)
}

func (s *Server) serverBatch(op batchOp) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, err := reasonContext(c, nil)
		if err != nil {
			return err
		}
		return s.reply(c, op.desc, op.run(ctx, groups.SystemActor(), *groupUsersRequest(c)))
	}
}
