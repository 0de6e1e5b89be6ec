package api

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/codec"
	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
)

// opRoutes registers every row of the operation table: its client route
// (session auth, hooks) and its /v2/server twin (http key, as the system).
// Rows without a service call (authentication) use the handlers in custom.
func (s *Server) opRoutes(app *fiber.App, custom map[string]fiber.Handler) {
	for _, o := range hooks.Ops() {
		in := o.Info()
		if !in.Generic {
			h, ok := custom[in.Name]
			if !ok {
				panic("api: no handler for operation " + in.Name)
			}
			route(app, in.Method, in.Path, s.serverKeyAuth, h)
			continue
		}
		route(app, in.Method, in.Path, s.sessionAuth, s.opHandler(o, false))
		if in.ServerPath != "" {
			route(app, in.Method, in.ServerPath, s.httpKeyAuth, s.opHandler(o, true))
		}
	}
}

// route adds a route as app.Get and friends do (a GET answers HEAD too).
func route(app *fiber.App, method, path string, handlers ...fiber.Handler) {
	if method == fiber.MethodGet {
		app.Get(path, handlers...)
		return
	}
	app.Add(method, path, handlers...)
}

// opHandler decodes the request by its plan, runs the operation (through
// the hooks for a client, alone as the system for the server API) and
// writes the answer.
func (s *Server) opHandler(o hooks.Operation, server bool) fiber.Handler {
	plan, desc := o.Plan(), o.Info().Desc
	return func(c *fiber.Ctx) error {
		if !s.groups.Enabled() {
			return groups.ErrDisabled // before decoding and hooks: every group route alike
		}
		req := o.NewRequest()
		b, err := decodeRequest(c, plan, req, server)
		if err != nil {
			return err
		}
		var resp any
		ctx := c.UserContext()
		if server {
			// The server API's optional audit reason (query, or body field).
			if ctx, err = reasonContext(c, b); err != nil {
				return err
			}
			resp, err = o.Exec(ctx, s.groups, groups.SystemActor(), req)
		} else {
			resp, err = o.Call(ctx, s.hooks, caller(c), s.groups, req)
		}
		if err != nil {
			return failed(desc, err)
		}
		return respond(c, resp)
	}
}

// respond writes a response by its type: one encoder per response type, so
// a new operation answering an existing type needs nothing here.
func respond(c *fiber.Ctx, resp any) error {
	switch r := resp.(type) {
	case hooks.Empty:
		return empty(c)
	case *groups.Group:
		return c.JSON(groupOut{r})
	case *groups.GroupView:
		return c.JSON(groupViewJSON{r})
	case *groups.GroupList:
		return c.JSON(toGroupListJSON(r))
	case *groups.GroupUserList:
		return c.JSON(toGroupUserListJSON(r))
	case *groups.UserGroupList:
		return c.JSON(toUserGroupListJSON(r))
	case *groups.InvitationList:
		return c.JSON(toInvitationListJSON(r))
	case *groups.Attribute:
		return c.JSON(toAttributeJSON(r))
	case *groups.AttributeList:
		return c.JSON(toAttributeListJSON(r))
	case *groups.Role:
		return c.JSON(toRoleJSON(*r))
	case *groups.RoleList:
		return c.JSON(toRoleListJSON(r))
	}
	panic(fmt.Sprintf("api: no encoder for %T", resp))
}

// decodeRequest fills req from the path, the query and the body, field by
// field in the plan's (declaration) order, so the first bad field of a
// request is always the same one. Server-only fields are read only by the
// server API. It returns the parsed body (nil when the request has no body
// fields).
func decodeRequest(c *fiber.Ctx, plan *codec.Plan, req any, server bool) (body, error) {
	var b body
	if plan.HasBody(server) {
		var err error
		if b, err = parseBody(c); err != nil {
			return nil, err
		}
	}
	for i := range plan.Fields {
		f := &plan.Fields[i]
		if f.Server && !server {
			continue
		}
		var err error
		switch f.In {
		case codec.Path:
			plan.SetString(req, f, param(c, f.Name))
		case codec.Query:
			err = queryField(c, plan, req, f)
		default:
			err = bodyField(b, plan, req, f)
		}
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

func queryField(c *fiber.Ctx, plan *codec.Plan, req any, f *codec.Field) error {
	switch f.Kind {
	case codec.Strings:
		if v := queryAll(c, f.Name); v != nil {
			plan.SetStrings(req, f, v)
		}
	case codec.Bool, codec.OptBool:
		v, err := queryBool(c, f.Name)
		if err != nil || v == nil {
			return err
		}
		plan.SetBool(req, f, *v)
	case codec.Int, codec.OptInt:
		v, err := queryInt(c, f.Name)
		if err != nil || v == nil {
			return err
		}
		switch {
		case f.Limit && (*v < 1 || *v > groups.MaxListLimit):
			return errs.Invalid("Invalid limit - limit must be between 1 and 100.")
		case f.State && !groups.State(*v).Valid():
			return errs.Invalid("Invalid state - state must be between 0 and 4.")
		}
		plan.SetInt(req, f, int64(*v))
	default:
		if v, ok := query(c, f.Name); ok {
			plan.SetString(req, f, v)
		}
	}
	return nil
}

func bodyField(b body, plan *codec.Plan, req any, f *codec.Field) error {
	switch f.Kind {
	case codec.Bool, codec.OptBool:
		v, err := b.boolean(f.Name)
		if err != nil || v == nil {
			return err
		}
		plan.SetBool(req, f, *v)
	case codec.Int, codec.OptInt:
		v, err := b.int32(f.Name)
		if err != nil || v == nil {
			return err
		}
		plan.SetInt(req, f, int64(*v))
	case codec.String, codec.OptString:
		v, err := b.str(f.Name)
		if err != nil || v == nil {
			return err
		}
		plan.SetString(req, f, *v)
	case codec.Strings:
		v, err := b.strs(f.Name)
		if err != nil || v == nil {
			return err
		}
		plan.SetStrings(req, f, v)
	default:
		return fmt.Errorf("api: body field %s of kind %d", f.Name, f.Kind)
	}
	return nil
}
