package api

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
)

func (s *Server) createGroup(c *fiber.Ctx) error {
	b, err := parseBody(c)
	if err != nil {
		return err
	}
	req := &groups.CreateGroupRequest{}
	if err := b.strings(
		strField{"name", &req.Name}, strField{"description", &req.Description},
		strField{"lang_tag", &req.LangTag}, strField{"avatar_url", &req.AvatarURL},
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
	cl := caller(c)
	g, err := hooks.Run(c.UserContext(), s.hooks.CreateGroup, cl, req,
		func(ctx context.Context, r *groups.CreateGroupRequest) (*groups.Group, error) {
			g, err := s.groups.CreateGroup(ctx, cl.Actor(), *r)
			return &g, err
		})
	if err != nil {
		return failed("create group", err)
	}
	return c.JSON(groupOut{g})
}

// updateRequest decodes an update body; the path's group id wins over the body's.
func updateRequest(c *fiber.Ctx, server bool) (*groups.UpdateGroupRequest, error) {
	b, err := parseBody(c)
	if err != nil {
		return nil, err
	}
	req := &groups.UpdateGroupRequest{GroupID: param(c, "group_id")}
	// Fields are read in a fixed order, so a body with several bad fields
	// always gets the same error (max_count first, as before).
	fields := []optStrField{
		{"name", &req.Name}, {"description", &req.Description}, {"lang_tag", &req.LangTag}, {"avatar_url", &req.AvatarURL},
	}
	if server {
		fields = append(fields, optStrField{"metadata", &req.Metadata}, optStrField{"creator_id", &req.CreatorID})
		if req.MaxCount, err = b.int32("max_count"); err != nil {
			return nil, err
		}
	}
	for _, f := range fields {
		if *f.dst, err = b.str(f.name); err != nil {
			return nil, err
		}
	}
	if req.Open, err = b.boolean("open"); err != nil {
		return nil, err
	}
	return req, nil
}

func (s *Server) updateGroup(c *fiber.Ctx) error {
	req, err := updateRequest(c, false)
	if err != nil {
		return err
	}
	cl := caller(c)
	_, err = hooks.Run(c.UserContext(), s.hooks.UpdateGroup, cl, req,
		func(ctx context.Context, r *groups.UpdateGroupRequest) (hooks.Empty, error) {
			return hooks.Empty{}, s.groups.UpdateGroup(ctx, cl.Actor(), *r)
		})
	return s.reply(c, "update group", err)
}

// reply answers {} or the error of operation op.
func (s *Server) reply(c *fiber.Ctx, op string, err error) error {
	if err != nil {
		return failed(op, err)
	}
	return empty(c)
}

// groupOp runs one of the single-group operations (delete, join, leave).
func (s *Server) groupOp(c *fiber.Ctx, p *hooks.Point[*groups.GroupRequest, hooks.Empty], op string,
	fn func(context.Context, groups.Actor, groups.GroupRequest) error) error {
	cl := caller(c)
	_, err := hooks.Run(c.UserContext(), p, cl, &groups.GroupRequest{GroupID: param(c, "group_id")},
		func(ctx context.Context, r *groups.GroupRequest) (hooks.Empty, error) {
			return hooks.Empty{}, fn(ctx, cl.Actor(), *r)
		})
	return s.reply(c, op, err)
}

func (s *Server) deleteGroup(c *fiber.Ctx) error {
	return s.groupOp(c, s.hooks.DeleteGroup, "delete group", s.groups.DeleteGroup)
}

func (s *Server) joinGroup(c *fiber.Ctx) error {
	return s.groupOp(c, s.hooks.JoinGroup, "join group", s.groups.JoinGroup)
}

func (s *Server) leaveGroup(c *fiber.Ctx) error {
	return s.groupOp(c, s.hooks.LeaveGroup, "leave group", s.groups.LeaveGroup)
}

// batchOp is one of the operations on a list of users: its path, hook point,
// service method and Nakama's failure text.
type batchOp struct {
	path  string
	point *hooks.Point[*groups.GroupUsersRequest, hooks.Empty]
	run   func(context.Context, groups.Actor, groups.GroupUsersRequest) error
	desc  string
}

func (s *Server) batchOps() []batchOp {
	return []batchOp{
		{"add", s.hooks.AddGroupUsers, s.groups.AddUsers, "add users to a group"},
		{"kick", s.hooks.KickGroupUsers, s.groups.KickUsers, "kick users from a group"},
		{"ban", s.hooks.BanGroupUsers, s.groups.BanUsers, "ban users from a group"},
		{"unban", s.hooks.UnbanGroupUsers, s.groups.UnbanUsers, "unban users from a group"},
		{"promote", s.hooks.PromoteGroupUsers, s.groups.PromoteUsers, "promote users in a group"},
		{"demote", s.hooks.DemoteGroupUsers, s.groups.DemoteUsers, "demote users in a group"},
	}
}

func groupUsersRequest(c *fiber.Ctx) *groups.GroupUsersRequest {
	return &groups.GroupUsersRequest{GroupID: param(c, "group_id"), UserIDs: queryAll(c, "user_ids")}
}

func (s *Server) clientBatch(op batchOp) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cl := caller(c)
		_, err := hooks.Run(c.UserContext(), op.point, cl, groupUsersRequest(c),
			func(ctx context.Context, r *groups.GroupUsersRequest) (hooks.Empty, error) {
				return hooks.Empty{}, op.run(ctx, cl.Actor(), *r)
			})
		return s.reply(c, op.desc, err)
	}
}

func (s *Server) listGroups(c *fiber.Ctx) error {
	req := &groups.ListGroupsRequest{}
	req.Name, _ = query(c, "name")
	req.LangTag, _ = query(c, "lang_tag")
	req.Cursor, _ = query(c, "cursor")
	var err error
	if req.Limit, err = listLimit(c); err != nil {
		return err
	}
	if req.Members, err = queryInt(c, "members"); err != nil {
		return err
	}
	if req.Open, err = queryBool(c, "open"); err != nil {
		return err
	}
	list, err := hooks.Run(c.UserContext(), s.hooks.ListGroups, caller(c), req,
		func(ctx context.Context, r *groups.ListGroupsRequest) (*groups.GroupList, error) {
			l, err := s.groups.ListGroups(ctx, *r)
			return &l, err
		})
	if err != nil {
		return failed("list groups", err)
	}
	return c.JSON(toGroupListJSON(list))
}

func (s *Server) listGroupUsers(c *fiber.Ctx) error {
	req := &groups.ListGroupUsersRequest{GroupID: param(c, "group_id")}
	var err error
	if req.Limit, err = listLimit(c); err != nil {
		return err
	}
	if req.State, err = stateParam(c); err != nil {
		return err
	}
	req.Cursor, _ = query(c, "cursor")
	list, err := hooks.Run(c.UserContext(), s.hooks.ListGroupUsers, caller(c), req,
		func(ctx context.Context, r *groups.ListGroupUsersRequest) (*groups.GroupUserList, error) {
			l, err := s.groups.ListGroupUsers(ctx, *r)
			return &l, err
		})
	if err != nil {
		return failed("list users in a group", err)
	}
	return c.JSON(toGroupUserListJSON(list))
}

func (s *Server) listUserGroups(c *fiber.Ctx) error {
	req := &groups.ListUserGroupsRequest{UserID: param(c, "user_id")}
	var err error
	if req.Limit, err = listLimit(c); err != nil {
		return err
	}
	if req.State, err = stateParam(c); err != nil {
		return err
	}
	req.Cursor, _ = query(c, "cursor")
	list, err := hooks.Run(c.UserContext(), s.hooks.ListUserGroups, caller(c), req,
		func(ctx context.Context, r *groups.ListUserGroupsRequest) (*groups.UserGroupList, error) {
			l, err := s.groups.ListUserGroups(ctx, *r)
			return &l, err
		})
	if err != nil {
		return failed("list groups for a user", err)
	}
	return c.JSON(toUserGroupListJSON(list))
}
