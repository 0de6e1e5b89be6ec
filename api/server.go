// Package api is Guildhall's HTTP surface: Nakama's REST paths on Fiber, thin
// handlers that decode a request, run it through its hook point and encode
// Nakama's wire JSON.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/valyala/fasthttp"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/chat"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/inbox"
)

// Config is the API's settings.
type Config struct {
	ServerKey      string        // Basic auth user for authenticate and refresh
	HTTPKey        string        // server-to-server key (/v2/server/…, RPC)
	RequestTimeout time.Duration // per request; 0 is DefaultRequestTimeout
	Logger         *slog.Logger
	// Concurrency caps connections served at once (fasthttp's Concurrency);
	// 0 is DefaultConcurrency.
	Concurrency int
	// MaxConnsPerIP caps open connections per client IP; 0 is unlimited.
	MaxConnsPerIP int
	// Inbox serves /v2/notification; nil means the inbox over the groups
	// service's store (inbox.FromGroups).
	Inbox *inbox.Service
	// Socket serves GET /ws (the realtime socket); nil leaves it out.
	Socket fiber.Handler
	// Chat serves GET /v2/channel/{channel_id}; nil answers 404.
	Chat *chat.Service
}

// DefaultConcurrency is fasthttp's own default.
const DefaultConcurrency = 256 * 1024

// DefaultRequestTimeout is the deadline of one request.
const DefaultRequestTimeout = 10 * time.Second

// Server holds what the handlers need.
type Server struct {
	cfg      Config
	log      *slog.Logger
	groups   *groups.Service
	inbox    *inbox.Service
	accounts *accounts.Service
	hooks    *hooks.Registry
	idRoutes []idRoute // routes with path parameters, for empty ids
}

// New builds the Fiber app with every route.
func New(cfg Config, g *groups.Service, a *accounts.Service, h *hooks.Registry) *fiber.App {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = withRequestIDs(cfg.Logger)
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if h == nil {
		h = hooks.New(cfg.Logger)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	s := &Server{cfg: cfg, log: cfg.Logger, groups: g, inbox: cfg.Inbox, accounts: a, hooks: h}
	if s.inbox == nil {
		s.inbox = inbox.FromGroups(g)
	}
	app := fiber.New(fiber.Config{
		AppName:               "guildhall",
		BodyLimit:             bodyLimit,
		DisableStartupMessage: true,
		JSONEncoder:           encodeJSON,
		ErrorHandler:          s.errorHandler,
		ReadTimeout:           30 * time.Second,
		IdleTimeout:           120 * time.Second,
		// fasthttp's 4 KiB default also caps the request line and headers,
		// which a batch call with 100 user_ids in its query string exceeds.
		ReadBufferSize: 16 * 1024,
		Concurrency:    cfg.Concurrency,
	})
	srv := app.Server()
	srv.MaxConnsPerIP = cfg.MaxConnsPerIP
	// fasthttp closes the connection after any error of its own (an oversize
	// request line, header or body); let it drain first so the answer arrives.
	fiberErrors := srv.ErrorHandler
	srv.ErrorHandler = func(ctx *fasthttp.RequestCtx, err error) {
		if l, ok := ctx.Conn().(lingerer); ok {
			l.lingerOnClose()
		}
		fiberErrors(ctx, err)
	}
	app.Use(recover.New())
	app.Use(cors.New(cors.Config{
		AllowOrigins: "*",
		AllowHeaders: "Authorization, Content-Type, User-Agent",
		AllowMethods: "GET, HEAD, POST, PUT, DELETE",
	}))
	app.Use(s.requestContext)
	s.routes(app)
	s.collectIDRoutes(app)
	return app
}

type ctxKey int

const requestIDKey ctxKey = 0

// requestContext gives each request a deadline and an id, and the no-store
// headers Nakama sends.
func (s *Server) requestContext(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RequestTimeout)
	defer cancel()
	var b [8]byte
	_, _ = rand.Read(b[:])
	ctx = context.WithValue(ctx, requestIDKey, hex.EncodeToString(b[:]))
	c.SetUserContext(ctx)
	c.Set("Cache-Control", "no-store, no-cache, must-revalidate")
	return c.Next()
}

// empty answers a successful call with Nakama's empty object.
func empty(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.SendString("{}")
}
