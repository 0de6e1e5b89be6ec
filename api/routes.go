package api

import "github.com/gofiber/fiber/v2"

// routes registers every route: the operation table's (hooks.Ops), then
// the rest — accounts, notifications, RPCs.
func (s *Server) routes(app *fiber.App) {
	app.Use(s.authBeforeRouting)
	// Rate limits (api/ratelimit.go): per client IP on authenticate, per user
	// on group mutations (after authBeforeRouting, which names the user).
	app.Use("/v2/account/authenticate/", s.limitAuth)
	app.Use("/v2", s.limitGroupMutation)
	app.Use("/v2/group", s.idempotent) // Idempotency-Key on the group mutations (after authentication)
	app.Get("/healthcheck", func(c *fiber.Ctx) error { return empty(c) })
	if s.cfg.Socket != nil {
		app.Get("/ws", s.cfg.Socket) // its own token check: ?token= or Bearer, 401 before the upgrade
	}

	// The operation table's rows: groups (client and server twins) and the
	// authentication routes, whose handlers are not generic.
	s.opRoutes(app, map[string]fiber.Handler{
		"AuthenticateDevice": s.authenticateDevice, "AuthenticateCustom": s.authenticateCustom,
		"AuthenticateEmail": s.authenticateEmail, "SessionRefresh": s.sessionRefresh,
	})

	session := s.sessionAuth
	app.Post("/v2/session/logout", session, s.sessionLogout)
	app.Get("/v2/account", session, s.getAccount)
	app.Put("/v2/account", session, s.updateAccount)
	app.Get("/v2/user", session, s.getUsers)
	app.Get("/v2/notification", session, s.listNotifications)
	app.Delete("/v2/notification", session, s.deleteNotifications)
	app.Get("/v2/channel/:channel_id", session, s.listChannelMessages)

	app.Get("/v2/rpc/:id", s.rpc)
	app.Post("/v2/rpc/:id", s.rpc)

	app.Get("/v2/server/audit", s.httpKeyAuth, s.serverAudit)
	app.Get("/v2/server/group/:group_id", s.httpKeyAuth, s.serverGetGroup)
	if s.cfg.Runtime != nil {
		app.Get("/v2/server/runtime", s.httpKeyAuth, s.serverRuntime)
	}
	// Unknown paths fall through to Fiber's 404, known paths with another
	// method to its 405; the error handler writes Nakama's 404 and 501 bodies.
}
