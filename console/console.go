// Package console is Guildhall's admin web console, served at /console by the
// main listener: server-rendered html/template pages with embedded assets
// (a vendored htmx for progressive updates; every page and form also works
// without JavaScript), behind its own login.
//
// Every change goes through the groups service as the system
// (groups.SystemActor()), exactly as the /v2/server API does, so the rules and
// invariants hold and a refusal shows the service's own message. Reads page
// through the service's listings; nothing loads a whole table.
//
// Parts other packages provide later plug in through small nil-safe
// interfaces on Deps: Counters (request totals for the overview) and
// History (a group's audit history), plus WithReason (the audit reason of a
// mutation).
package console

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/inbox"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is where the console is mounted on the main app.
const Prefix = "/console"

// Defaults of the console login (published, so the server warns while they
// are in use).
const (
	DefaultUsername = "admin"
	DefaultPassword = "password"
)

// Config is the console's login.
type Config struct {
	Username string
	Password string
	// SecretKey keys the session cookies' signatures together with the
	// credentials (the server passes its session key), so changing the
	// password ends every console session.
	SecretKey string
	// SessionTTL is a console session's life; 0 is DefaultSessionTTL.
	SessionTTL time.Duration
	// LoginRate and LoginBurst bound login attempts per client IP; zero
	// values are DefaultLoginRate and DefaultLoginBurst.
	LoginRate  time.Duration // one attempt regained per LoginRate
	LoginBurst int
}

// Defaults of Config's zero values.
const (
	DefaultSessionTTL = 12 * time.Hour
	DefaultLoginRate  = 6 * time.Second // 10 a minute after the burst
	DefaultLoginBurst = 10
)

// Counts are the totals the overview shows.
type Counts struct {
	Users, Groups, Members, JoinRequests int64
	Invitations                          int64 // pending, not expired
}

// Stats is what the console reads from the database beyond the services.
type Stats interface {
	Counts(ctx context.Context) (Counts, error)
	// DatabaseVersion is the database server's version text.
	DatabaseVersion(ctx context.Context) (string, error)
	// UserIDByDevice is the user a device id belongs to ("" for none).
	UserIDByDevice(ctx context.Context, deviceID string) (string, error)
	// GroupIDByTag is the group with that tag, any case ("" for none).
	GroupIDByTag(ctx context.Context, tag string) (string, error)
	// InvitationCounts are a group's pending invitations: still valid, and
	// past their expiry (not yet answered or revoked).
	InvitationCounts(ctx context.Context, groupID string) (pending, expired int64, err error)
}

// Counters reports the server's own request totals since it started (the
// metrics of the operations issue plug in here). Nil shows "not available".
type Counters interface {
	RequestTotals() (requests, errors uint64)
}

// HistoryEntry is one line of a group's audit history.
type HistoryEntry struct {
	Time   time.Time
	Actor  string
	Action string
	Detail string
	Reason string
}

// History reads a group's audit history, newest first, a page at a time
// (the audit log plugs in here). Nil hides the history section.
type History interface {
	GroupHistory(ctx context.Context, groupID string, limit int, cursor string) ([]HistoryEntry, string, error)
}

// Revocations share console logouts between the nodes of one database, so
// a logout ends the session on every node. Nil keeps a logout on the node
// that saw it (the others accept the cookie until it expires).
type Revocations interface {
	// Revoke records that session id (valid until expiry) was logged out.
	Revoke(ctx context.Context, id string, expiry time.Time) error
	// Revoked reports whether session id was logged out on any node.
	Revoked(ctx context.Context, id string) (bool, error)
}

// Module is a loaded script file.
type Module struct {
	Language string // "JavaScript" or "Lua"
	Name     string
	Path     string
}

// Deps are the services the console drives. Groups, Accounts, Hooks and
// Stats are required; the rest may be nil.
type Deps struct {
	Groups   *groups.Service
	Accounts *accounts.Service
	Inbox    *inbox.Service // nil: inbox.FromGroups(Groups)
	Hooks    *hooks.Registry
	Stats    Stats
	Database string // database kind ("postgres", "sqlite")
	Modules  []Module
	Counters Counters
	History  History
	// Revocations make a logout effective on every node.
	Revocations Revocations
	// WithReason, when set, carries the reason a console user typed for a
	// mutation into the service call's context (for the audit log); the
	// forms show a reason field only then.
	WithReason func(ctx context.Context, reason string) context.Context
	Log        *slog.Logger
	Started    time.Time // server start, for the uptime; zero is New's time
}

// Console serves the admin pages.
type Console struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	pages   map[string]*template.Template
	auth    *authenticator
	limiter *ipLimiter
	rates   rateSampler
}

// New builds a console over deps.
func New(cfg Config, deps Deps) *Console {
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.LoginRate <= 0 {
		cfg.LoginRate = DefaultLoginRate
	}
	if cfg.LoginBurst <= 0 {
		cfg.LoginBurst = DefaultLoginBurst
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.Inbox == nil {
		deps.Inbox = inbox.FromGroups(deps.Groups)
	}
	if deps.Started.IsZero() {
		deps.Started = time.Now()
	}
	return &Console{
		cfg: cfg, deps: deps, log: deps.Log, pages: parsePages(),
		auth:    newAuthenticator(cfg),
		limiter: newIPLimiter(cfg.LoginRate, cfg.LoginBurst),
		rates:   rateSampler{counters: deps.Counters},
	}
}

// Register adds the console's routes under Prefix to app. Routes are added
// one by one (no prefix middleware), so nothing outside /console changes.
func (k *Console) Register(app *fiber.App) {
	static, _ := fs.Sub(staticFS, "static")
	app.Use(Prefix+"/static", filesystem.New(filesystem.Config{Root: httpFS(static), MaxAge: 3600}))
	app.Get(Prefix+"/login", k.headers, k.loginPage)
	app.Post(Prefix+"/login", k.headers, k.login)
	app.Post(Prefix+"/logout", k.headers, k.mutation, k.logout)

	app.Get(Prefix, k.headers, k.page, k.overview)
	app.Get(Prefix+"/", k.headers, k.page, k.overview)
	app.Get(Prefix+"/groups", k.headers, k.page, k.groupsPage)
	app.Get(Prefix+"/groups/:id", k.headers, k.page, k.groupPage)
	app.Get(Prefix+"/groups/:id/members", k.headers, k.page, k.membersPage)
	app.Post(Prefix+"/groups/:id/members/:action", k.headers, k.mutation, k.memberAction)
	app.Post(Prefix+"/groups/:id/edit", k.headers, k.mutation, k.editGroup)
	app.Post(Prefix+"/groups/:id/metadata", k.headers, k.mutation, k.editMetadata)
	app.Post(Prefix+"/groups/:id/delete", k.headers, k.mutation, k.deleteGroup)
	app.Get(Prefix+"/groups/:id/invitations", k.headers, k.page, k.invitationsPage)
	app.Post(Prefix+"/groups/:id/invitations/:inv/revoke", k.headers, k.mutation, k.revokeInvitation)
	app.Get(Prefix+"/users", k.headers, k.page, k.usersPage)
	app.Get(Prefix+"/users/:id", k.headers, k.page, k.userPage)
	app.Get(Prefix+"/rpc", k.headers, k.page, k.rpcPage)
	app.Post(Prefix+"/rpc", k.headers, k.mutation, k.runRPC)
}

// headers are the security headers of every console answer: no framing, no
// inline script or style (htmx's indicator styles are off), no referrer.
func (k *Console) headers(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "+
		"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	c.Set("X-Frame-Options", "DENY")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	return c.Next()
}

// rateSampler turns the counters' totals into rates over the last minutes:
// each overview view records a sample, and the rate is taken against the
// oldest sample of the last five minutes (before one exists, since start).
type rateSampler struct {
	counters Counters
	mu       sync.Mutex
	samples  []rateSample
}

type rateSample struct {
	at               time.Time
	requests, errors uint64
}

// Rates are requests per second and the share of them that failed.
type Rates struct {
	Available      bool
	PerSecond      float64
	ErrorRate      float64 // 0..1
	Window         time.Duration
	Requests, Errs uint64
}

const rateWindow = 5 * time.Minute

func (r *rateSampler) rates(now, started time.Time) Rates {
	if r.counters == nil {
		return Rates{}
	}
	req, errs := r.counters.RequestTotals()
	r.mu.Lock()
	defer r.mu.Unlock()
	keep := r.samples[:0]
	for _, s := range r.samples {
		if now.Sub(s.at) <= rateWindow {
			keep = append(keep, s)
		}
	}
	r.samples = keep
	base := rateSample{at: started}
	if len(r.samples) > 0 && now.Sub(r.samples[0].at) >= time.Second {
		base = r.samples[0]
	}
	if len(r.samples) == 0 || now.Sub(r.samples[len(r.samples)-1].at) >= 5*time.Second {
		r.samples = append(r.samples, rateSample{at: now, requests: req, errors: errs})
	}
	out := Rates{Available: true, Window: now.Sub(base.at), Requests: req, Errs: errs}
	if req < base.requests || errs < base.errors { // counters reset
		base = rateSample{at: started}
		out.Window = now.Sub(started)
	}
	dr, de := req-base.requests, errs-base.errors
	if secs := out.Window.Seconds(); secs > 0 {
		out.PerSecond = float64(dr) / secs
	}
	if dr > 0 {
		out.ErrorRate = float64(de) / float64(dr)
	}
	return out
}

// pagePath is a console path; next= values must be one (no open redirect).
func pagePath(p string) bool {
	return (p == Prefix || strings.HasPrefix(p, Prefix+"/")) && !strings.HasPrefix(p, "//") &&
		!strings.ContainsAny(p, "\\\r\n") && !strings.Contains(p, "/../")
}
