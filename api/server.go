// Package api is Guildhall's HTTP surface: Nakama's REST paths on Fiber, thin
// handlers that decode a request, run it through its hook point and encode
// Nakama's wire JSON.
package api

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/valyala/fasthttp"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/audit"
	"github.com/guildhall/guildhall/chat"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/idempotency"
	"github.com/guildhall/guildhall/inbox"
	"github.com/guildhall/guildhall/metrics"
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
	// Runtime, when set, is what GET /v2/server/runtime answers (as JSON):
	// the node's live hooks and RPCs.
	Runtime func() any
	// Metrics receives the request series; nil measures nothing.
	Metrics *metrics.Metrics
	// AccessLog writes one info line per request (method, route, status,
	// duration, user id).
	AccessLog bool
	// Ready is GET /readyz's check (the database); nil answers ready.
	Ready func(context.Context) error
	// AuthRateLimit limits the authenticate routes per client IP,
	// GroupRateLimit the group mutations per user; a zero Rate is off.
	AuthRateLimit  RateLimit
	GroupRateLimit RateLimit
	// TrustedProxies are the peers whose X-Forwarded-For is believed when
	// finding a client's IP (ParseTrustedProxies); none by default.
	TrustedProxies []netip.Prefix
	// Audit serves /v2/server/audit; nil means the log over the groups
	// service's store (audit.FromGroups).
	Audit *audit.Service
	// Idempotency serves Idempotency-Key on the client's group mutations;
	// nil ignores the header.
	Idempotency *idempotency.Service
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
	audit    *audit.Service
	idem     *idempotency.Service
	accounts *accounts.Service
	hooks    *hooks.Registry
	idRoutes []idRoute // routes with path parameters, for empty ids

	authLimit  *limiter // nil: off
	groupLimit *limiter // nil: off
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
	s := &Server{cfg: cfg, log: cfg.Logger, groups: g, inbox: cfg.Inbox, accounts: a, hooks: h, idem: cfg.Idempotency,
		authLimit: newLimiter(cfg.AuthRateLimit), groupLimit: newLimiter(cfg.GroupRateLimit)}
	if s.inbox == nil {
		s.inbox = inbox.FromGroups(g)
	}
	if s.audit = cfg.Audit; s.audit == nil {
		s.audit = audit.FromGroups(g)
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
		// Hands a connection's read buffer back to the pool whenever it holds
		// nothing, so an upgraded websocket does not keep it for its whole
		// life (21.5 instead of 26.5 KiB per idle socket); the REST scenarios
		// of make bench measured no difference.
		ReduceMemoryUsage: true,
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
	// Outermost, so it sees the status of panics and errors as answered.
	obs := &observer{log: cfg.Logger, accessLog: cfg.AccessLog, metrics: cfg.Metrics}
	if obs.accessLog || obs.metrics != nil {
		app.Use(obs.observe)
	}
	app.Use(recover.New())
	app.Use(cors.New(cors.Config{
		AllowOrigins:  "*",
		AllowHeaders:  "Authorization, Content-Type, User-Agent, " + HeaderRequestID + ", " + HeaderIdempotencyKey,
		AllowMethods:  "GET, HEAD, POST, PUT, DELETE",
		ExposeHeaders: HeaderRequestID + ", " + fiber.HeaderRetryAfter,
	}))
	app.Use(s.requestContext)
	s.routes(app)
	app.Get("/readyz", s.readyz)
	app.Get("/openapi.json", s.openAPIDoc)
	s.collectIDRoutes(app)
	obs.resolveRoutes(app)
	return app
}

type ctxKey int

const requestIDKey ctxKey = 0

// requestContext gives each request a deadline and an id (the client's
// X-Request-Id when valid, echoed in the answer), and the no-store headers
// Nakama sends.
func (s *Server) requestContext(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RequestTimeout)
	defer cancel()
	id := requestID(c)
	ctx = context.WithValue(ctx, requestIDKey, id)
	c.SetUserContext(ctx)
	c.Set(HeaderRequestID, id)
	c.Set("Cache-Control", "no-store, no-cache, must-revalidate")
	return c.Next()
}

// empty answers a successful call with Nakama's empty object.
func empty(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.SendString("{}")
}
