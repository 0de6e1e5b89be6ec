package api

import "github.com/gofiber/fiber/v2"

// routes is the one route table: Nakama's paths, plus Guildhall's own
// /v2/group/{id}/unban and the server-to-server /v2/server/… prefix.
func (s *Server) routes(app *fiber.App) {
	app.Use(s.authBeforeRouting)
	app.Get("/healthcheck", func(c *fiber.Ctx) error { return empty(c) })
	if s.cfg.Socket != nil {
		app.Get("/ws", s.cfg.Socket) // its own token check: ?token= or Bearer, 401 before the upgrade
	}

	serverKey := s.serverKeyAuth
	app.Post("/v2/account/authenticate/device", serverKey, s.authenticateDevice)
	app.Post("/v2/account/authenticate/custom", serverKey, s.authenticateCustom)
	app.Post("/v2/account/authenticate/email", serverKey, s.authenticateEmail)
	app.Post("/v2/account/session/refresh", serverKey, s.sessionRefresh)

	session := s.sessionAuth
	app.Post("/v2/session/logout", session, s.sessionLogout)
	app.Get("/v2/account", session, s.getAccount)
	app.Put("/v2/account", session, s.updateAccount)
	app.Get("/v2/user", session, s.getUsers)

	app.Post("/v2/group", session, s.createGroup)
	app.Get("/v2/group", session, s.listGroups)
	app.Put("/v2/group/:group_id", session, s.updateGroup)
	app.Delete("/v2/group/:group_id", session, s.deleteGroup)
	app.Post("/v2/group/:group_id/join", session, s.joinGroup)
	app.Post("/v2/group/:group_id/leave", session, s.leaveGroup)
	for _, op := range s.batchOps() {
		app.Post("/v2/group/:group_id/"+op.path, session, s.clientBatch(op))
	}
	app.Get("/v2/group/:group_id/user", session, s.listGroupUsers)
	app.Get("/v2/user/:user_id/group", session, s.listUserGroups)
	app.Get("/v2/notification", session, s.listNotifications)
	app.Delete("/v2/notification", session, s.deleteNotifications)
	app.Get("/v2/channel/:channel_id", session, s.listChannelMessages)

	app.Get("/v2/rpc/:id", s.rpc)
	app.Post("/v2/rpc/:id", s.rpc)

	httpKey := s.httpKeyAuth
	app.Post("/v2/server/group", httpKey, s.serverCreateGroup)
	app.Get("/v2/server/group/:group_id", httpKey, s.serverGetGroup)
	app.Put("/v2/server/group/:group_id", httpKey, s.serverUpdateGroup)
	app.Delete("/v2/server/group/:group_id", httpKey, s.serverDeleteGroup)
	for _, op := range s.batchOps() {
		app.Post("/v2/server/group/:group_id/"+op.path, httpKey, s.serverBatch(op))
	}
	// Unknown paths fall through to Fiber's 404, known paths with another
	// method to its 405; the error handler writes Nakama's 404 and 501 bodies.
}
