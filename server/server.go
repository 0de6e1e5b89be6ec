// Package server assembles a whole Guildhall server — database, services, hook
// registry, script runtimes and the HTTP API — so that cmd/guildhall and
// studios' own binaries (Guildhall as a library, with Go hooks) start it the
// same way:
//
//	srv, err := server.New(ctx, server.DefaultConfig(), log)
//	hooks.KickGroupUsers.Before(srv.Hooks, myRule) // Go hooks run before script hooks
//	err = srv.Run(ctx)                      // loads scripts, serves until ctx ends
package server

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/api"
	"github.com/guildhall/guildhall/audit"
	"github.com/guildhall/guildhall/chat"
	"github.com/guildhall/guildhall/console"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/idempotency"
	"github.com/guildhall/guildhall/metrics"
	"github.com/guildhall/guildhall/realtime"
	"github.com/guildhall/guildhall/realtime/pgbus"
	"github.com/guildhall/guildhall/realtime/ws"
	"github.com/guildhall/guildhall/runtime"
)

// Config is every setting of a server. DefaultConfig's values run locally.
type Config struct {
	Listen           string
	DatabaseURL      string // postgres://…; empty means SQLite in DataDir
	DataDir          string
	DatabaseMaxConns int
	// DatabaseListenURL is the direct PostgreSQL connection of the realtime
	// bus (LISTEN needs a session, not a transaction pooler); empty is
	// DatabaseURL.
	DatabaseListenURL string
	// DatabaseReadURL is a streaming replica the group listings read from
	// (store.Options.ReadURL); empty reads everything from DatabaseURL.
	DatabaseReadURL string
	// DatabasePooler is what sits between the server and PostgreSQL:
	// "auto" (detects PgBouncer), "none" or "transaction" (store.Options.Pooler).
	DatabasePooler       string
	Migrate              bool
	RuntimePath          string
	RuntimePoolSize      int
	RuntimeCallTimeout   time.Duration
	RuntimeEnv           map[string]string
	RuntimeMaxCallMemory int64 // bytes of heap growth one script call may cause; < 0 is off
	RuntimeWatch         bool  // reload the modules when a file of RuntimePath changes
	ServerKey            string
	HTTPKey              string
	SessionKey           string
	SessionRefreshKey    string
	SessionExpiry        time.Duration
	SessionRefreshExpiry time.Duration
	SessionPurgeInterval time.Duration // how often Run deletes expired sessions; 0 is DefaultSessionPurgeInterval, < 0 is off
	RequestTimeout       time.Duration
	PProf                string // net/http/pprof listen address; empty is off
	// GroupJoinRequestNotifyWindow: at most one -5 notification per requester
	// and group within it; 0 notifies every join request.
	GroupJoinRequestNotifyWindow time.Duration
	HTTPConcurrency              int // connections served at once; 0 is api.DefaultConcurrency
	HTTPMaxConnsPerIP            int // open connections per client IP; 0 is unlimited
	// HTTPTrustedProxies are the proxies (IPs or CIDR networks) whose
	// X-Forwarded-For names the client; empty believes no one.
	HTTPTrustedProxies []string
	// MetricsListen is the address of the Prometheus listener (/metrics);
	// empty turns metrics off.
	MetricsListen string
	// AccessLog writes one info line per request.
	AccessLog bool
	// Rate limits: authenticate per client IP, group mutations per user, in
	// requests per second with a burst; a rate of 0 is off.
	RateLimitAuthRate   float64
	RateLimitAuthBurst  int
	RateLimitGroupRate  float64
	RateLimitGroupBurst int
	// The admin console's login (/console); an empty password turns it off.
	ConsoleUsername string
	ConsolePassword string
	// AuditEnabled writes an audit log entry in every committed group
	// operation's transaction.
	AuditEnabled bool
	// AuditRetention: Run purges entries older than it every
	// AuditPurgeInterval; 0 keeps them forever.
	AuditRetention     time.Duration
	AuditPurgeInterval time.Duration // 0 is DefaultAuditPurgeInterval
	// IdempotencyTTL is how long the answer to a request with an
	// Idempotency-Key is kept for replay; 0 is idempotency.DefaultTTL.
	IdempotencyTTL time.Duration
	// GroupsEnabled off makes every group route and nk group call answer
	// 403 "Groups are disabled." (authentication, accounts and RPCs stay).
	GroupsEnabled bool
	// GroupCategories: category → the most groups of it a user may be a
	// member of (0 unlimited); "group" always exists. See ParseCategories.
	GroupCategories map[string]int
	// GroupInvitationTTL: how long an invitation without expires_in_sec
	// stays pending.
	GroupInvitationTTL time.Duration
	// Clock replaces the group service's clock (tests: invitation expiry
	// without sleeping); nil is the system clock. Not a flag.
	Clock func() time.Time
}

// Published defaults of the secrets (Nakama's); Run warns while any is in use.
const (
	DefaultServerKey         = "defaultkey"
	DefaultHTTPKey           = "defaulthttpkey"
	DefaultSessionKey        = accounts.DefaultEncryptionKey
	DefaultSessionRefreshKey = accounts.DefaultRefreshEncryptionKey
)

// DefaultSessionPurgeInterval is how often Run deletes expired sessions.
const DefaultSessionPurgeInterval = 10 * time.Minute

// DefaultAuditRetention is how long audit entries are kept.
const DefaultAuditRetention = 90 * 24 * time.Hour

// DefaultAuditPurgeInterval is how often Run purges audit entries past the retention.
const DefaultAuditPurgeInterval = time.Hour

// DefaultConfig is a local, zero-configuration server: 127.0.0.1:7350, SQLite
// in ./data, scripts from ./modules. It is the one place defaults are set:
// cmd/guildhall's flags take theirs from it, README's Configuration table is
// checked against those flags, and internal/testapp builds on it. Where a
// package has its own default (a zero field means it), the value is that
// package's constant.
func DefaultConfig() Config {
	return Config{
		Listen:                       "127.0.0.1:7350",
		DataDir:                      "./data",
		DatabaseMaxConns:             32,
		DatabasePooler:               store.PoolerAuto,
		Migrate:                      true,
		RuntimePath:                  "./modules",
		RuntimePoolSize:              16,
		RuntimeCallTimeout:           time.Second,
		RuntimeMaxCallMemory:         runtime.DefaultMaxCallMemory,
		ServerKey:                    DefaultServerKey,
		HTTPKey:                      DefaultHTTPKey,
		SessionKey:                   DefaultSessionKey,
		SessionRefreshKey:            DefaultSessionRefreshKey,
		SessionExpiry:                accounts.DefaultTokenExpiry,
		SessionRefreshExpiry:         accounts.DefaultRefreshTokenExpiry,
		SessionPurgeInterval:         DefaultSessionPurgeInterval,
		RequestTimeout:               api.DefaultRequestTimeout,
		GroupJoinRequestNotifyWindow: groups.DefaultJoinRequestNotifyWindow,
		HTTPConcurrency:              api.DefaultConcurrency,
		MetricsListen:                DefaultMetricsListen,
		AccessLog:                    true,
		RateLimitAuthRate:            api.DefaultAuthRateLimit.Rate,
		RateLimitAuthBurst:           api.DefaultAuthRateLimit.Burst,
		RateLimitGroupRate:           api.DefaultGroupRateLimit.Rate,
		RateLimitGroupBurst:          api.DefaultGroupRateLimit.Burst,
		ConsoleUsername:              console.DefaultUsername,
		ConsolePassword:              console.DefaultPassword,
		AuditEnabled:                 true,
		AuditRetention:               DefaultAuditRetention,
		AuditPurgeInterval:           DefaultAuditPurgeInterval,
		IdempotencyTTL:               idempotency.DefaultTTL,
		GroupsEnabled:                true,
		GroupInvitationTTL:           groups.DefaultInvitationTTL,
	}
}

// DefaultMetricsListen is where Prometheus scrapes /metrics: loopback only,
// as the series name the server's routes and scripts.
const DefaultMetricsListen = "127.0.0.1:9100"

// DefaultSecrets names the secrets still at their published defaults.
func (c Config) DefaultSecrets() []string {
	var out []string
	for _, s := range []struct{ name, v, def string }{
		{"server.key", c.ServerKey, DefaultServerKey},
		{"http.key", c.HTTPKey, DefaultHTTPKey},
		{"session.key", c.SessionKey, DefaultSessionKey},
		{"session.refresh_key", c.SessionRefreshKey, DefaultSessionRefreshKey},
		{"console.password", c.ConsolePassword, console.DefaultPassword},
	} {
		if s.v == s.def {
			out = append(out, s.name)
		}
	}
	return out
}

// ConfigError is a setting New refuses. Setting is its name as in DefaultSecrets
// ("http.key"), so a command can point at its flag or environment variable.
type ConfigError struct {
	Setting string
	Problem string
}

func (e *ConfigError) Error() string { return "invalid configuration: " + e.Setting + " " + e.Problem }

// Validate refuses settings that would open the server: a key that is empty or
// only whitespace (an empty http key would let "?http_key=" through, an empty
// session key would sign forgeable tokens), and two settings sharing one key
// (the server key ships inside every client, so no secret may equal it; the
// session and refresh keys must differ so neither kind of token can stand in
// for the other).
func (c Config) Validate() error {
	keys := []struct{ name, v string }{
		{"server.key", c.ServerKey},
		{"http.key", c.HTTPKey},
		{"session.key", c.SessionKey},
		{"session.refresh_key", c.SessionRefreshKey},
	}
	for _, k := range keys {
		if strings.TrimSpace(k.v) == "" {
			return &ConfigError{Setting: k.name, Problem: "is empty or only whitespace; set it to a secret value"}
		}
	}
	for i, a := range keys {
		for _, b := range keys[i+1:] {
			if a.v == b.v {
				return &ConfigError{Setting: b.name, Problem: "must differ from " + a.name + "; give each key its own value"}
			}
		}
	}
	if _, err := api.ParseTrustedProxies(c.HTTPTrustedProxies); err != nil {
		return &ConfigError{Setting: "http.trusted_proxies", Problem: "is invalid: " + err.Error()}
	}
	for _, r := range []struct {
		name string
		v    float64
	}{
		{"ratelimit.auth_rate", c.RateLimitAuthRate}, {"ratelimit.auth_burst", float64(c.RateLimitAuthBurst)},
		{"ratelimit.group_rate", c.RateLimitGroupRate}, {"ratelimit.group_burst", float64(c.RateLimitGroupBurst)},
	} {
		if r.v < 0 || math.IsNaN(r.v) {
			return &ConfigError{Setting: r.name, Problem: "must not be negative; 0 turns the limit off"}
		}
	}
	if c.GroupInvitationTTL <= 0 || c.GroupInvitationTTL > groups.MaxInvitationTTL {
		return &ConfigError{Setting: "groups.invitation_ttl", Problem: "must be more than 0 and at most 720h (30 days)"}
	}
	return nil
}

// Server is an assembled Guildhall. Register Go hooks and RPCs on Hooks
// between New and Run.
type Server struct {
	Config   Config
	DB       *store.DB
	Groups   *groups.Service
	Accounts *accounts.Service
	Hooks    *hooks.Registry
	Chat     *chat.Service // channel messages and history
	Hub      *realtime.Hub // the realtime socket's sessions and channels
	log      *slog.Logger
	scripts  scriptState // the live script generation (reload.go)
	// Metrics holds the Prometheus series (nil when Config.MetricsListen is
	// empty); Run serves them on MetricsListen.
	Metrics *metrics.Metrics
	// Console extends the admin console before App is built (request
	// counters, audit history); nil fields are left out.
	Console ConsoleExtras
	started time.Time
	Audit   *audit.Service // the audit log's listing and purge (its entries are written by the store)
	// Idempotency keeps the answers of requests with an Idempotency-Key.
	Idempotency *idempotency.Service
}

// New validates cfg (see Config.Validate), opens (and migrates) the database
// and builds the services.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	// Records logged with a request's context (by hooks, runtimes, services)
	// carry its request_id.
	log = slog.New(api.LogHandler(log.Handler()))
	db, err := store.Open(store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxConns: cfg.DatabaseMaxConns,
		ReadURL: cfg.DatabaseReadURL, Pooler: cfg.DatabasePooler, Log: log})
	if err != nil {
		return nil, err
	}
	if cfg.Migrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	var m *metrics.Metrics
	if cfg.MetricsListen != "" {
		m = metrics.New()
		if err := watchDB(m, db); err != nil {
			db.Close()
			return nil, err
		}
	}
	acc := accounts.New(db.Write, accounts.Config{
		EncryptionKey: cfg.SessionKey, RefreshEncryptionKey: cfg.SessionRefreshKey,
		TokenExpiry: cfg.SessionExpiry, RefreshTokenExpiry: cfg.SessionRefreshExpiry,
	}, accounts.WithReadDB(db.Read))
	gs := store.NewGroups(db)
	if cfg.AuditEnabled {
		gs.EnableAudit(api.RequestID)
	}
	opts := []groups.Option{groups.WithJoinRequestNotifyWindow(cfg.GroupJoinRequestNotifyWindow),
		groups.WithCategories(cfg.GroupCategories), groups.WithInvitationTTL(cfg.GroupInvitationTTL)}
	if !cfg.GroupsEnabled {
		opts = append(opts, groups.WithGroupsDisabled())
	}
	if cfg.Clock != nil {
		opts = append(opts, groups.WithClock(cfg.Clock))
	}
	srv := &Server{
		Config: cfg, DB: db, Groups: groups.NewService(gs, opts...), Accounts: acc,
		Hooks: hooks.New(log), Chat: chat.New(gs), Metrics: m, log: log, started: time.Now(), Audit: audit.New(gs),
		Idempotency: idempotency.New(gs, idempotency.WithTTL(cfg.IdempotencyTTL), idempotency.WithLease(idempotencyLease(cfg))),
	}
	srv.wireRealtime(gs)
	return srv, nil
}

// wireRealtime builds the socket's hub: what a commit wrote goes live after
// it (handed off, the request does not wait), a logout closes the sockets of
// the sessions it revoked.
func (s *Server) wireRealtime(st *store.Groups) {
	// Another node's logout also clears this node's session cache.
	s.Hub = realtime.New(s.Chat, realtime.Options{Log: s.log, OnRemoteRevoked: s.Accounts.ForgetSessions, Members: st})
	st.OnWritten(func(w store.Written) { s.Hub.Committed(w.Events, w.Notifications, w.Messages) })
	s.Accounts.OnSessionsRevoked(s.Hub.SessionsRevoked)
}

// LoadScripts loads the JavaScript and Lua modules of the runtime path into
// Hooks; a module that fails to load is an error naming its file and line.
// It returns a function that releases the VMs.
func (s *Server) LoadScripts(ctx context.Context) (func(), error) {
	return s.LoadScriptsFrom(ctx, s.RuntimeConfig())
}

// RuntimeConfig is the script runtimes' settings from Config.
func (s *Server) RuntimeConfig() runtime.Config {
	return runtime.Config{
		Path: s.Config.RuntimePath, PoolSize: s.Config.RuntimePoolSize, CallTimeout: s.Config.RuntimeCallTimeout,
		Env: s.Config.RuntimeEnv, MaxCallMemory: s.Config.RuntimeMaxCallMemory,
	}
}

// LoadScriptsFrom is LoadScripts with other runtime settings (`guildhall
// hooks test` names a test's module files in cfg.Files). It loads the
// modules as a new script generation and makes it live (see Reload).
func (s *Server) LoadScriptsFrom(ctx context.Context, cfg runtime.Config) (func(), error) {
	if err := s.loadGeneration(ctx, cfg); err != nil {
		return nil, err
	}
	return s.closeScripts, nil
}

// App builds the HTTP API over the server's services.
func (s *Server) App() *fiber.App {
	proxies, _ := api.ParseTrustedProxies(s.Config.HTTPTrustedProxies) // checked by New (Validate)
	app := api.New(api.Config{
		ServerKey: s.Config.ServerKey, HTTPKey: s.Config.HTTPKey, RequestTimeout: s.Config.RequestTimeout, Logger: s.log,
		Concurrency: s.Config.HTTPConcurrency, MaxConnsPerIP: s.Config.HTTPMaxConnsPerIP,
		Runtime: func() any { return s.Runtime() },
		Metrics: s.Metrics, AccessLog: s.Config.AccessLog, Ready: s.ping, TrustedProxies: proxies,
		AuthRateLimit:  api.RateLimit{Rate: s.Config.RateLimitAuthRate, Burst: s.Config.RateLimitAuthBurst},
		GroupRateLimit: api.RateLimit{Rate: s.Config.RateLimitGroupRate, Burst: s.Config.RateLimitGroupBurst},
		Audit:          s.Audit, Idempotency: s.Idempotency,
		Socket: ws.Handler(ws.Config{Hub: s.Hub, Verify: s.verifySocket, Log: s.log}), Chat: s.Chat,
	}, s.Groups, s.Accounts, s.Hooks)
	s.mountConsole(app)
	return app
}

// Run loads the scripts, serves HTTP on Config.Listen until ctx ends, then
// shuts down gracefully and closes the database.
func (s *Server) Run(ctx context.Context) error {
	defer s.DB.Close()
	defer s.Hub.Close() // sockets end before the database closes
	for _, name := range s.Config.DefaultSecrets() {
		s.log.Warn("SECURITY: " + name + " is the published default; set it before exposing this server")
	}
	closeScripts, err := s.LoadScripts(ctx)
	if err != nil {
		return err
	}
	defer closeScripts()
	if s.Config.RuntimeWatch {
		stopWatch, err := s.watchScripts(ctx)
		if err != nil {
			return err
		}
		defer stopWatch()
	}
	if s.DB.Dialect == store.Postgres {
		// Nodes on one PostgreSQL reach each other's sockets through it.
		url := s.Config.DatabaseListenURL
		if url == "" && s.DB.Pooler == store.PoolerTransaction {
			s.log.Warn("the database URL goes through a transaction pooler but --database.listen_url is not set: " +
				"LISTEN needs a direct connection, so sockets miss what other nodes deliver")
		}
		if url == "" {
			url = s.Config.DatabaseURL
		}
		bus := pgbus.Start(ctx, url, s.Hub, s.log)
		s.Hub.SetBus(bus)
		defer bus.Close()
	}
	stopPurge := s.startSessionPurge(ctx)
	defer stopPurge() // before the database closes (defers run last-in first-out)
	stopAuditPurge := s.startAuditPurge(ctx)
	defer stopAuditPurge()
	stopKeyPurge := s.startIdempotencyPurge(ctx)
	defer stopKeyPurge()
	if s.Config.PProf != "" {
		startPProf(s.Config.PProf, s.log)
	}
	if s.Metrics != nil {
		stopMetrics, err := serveMetrics(s.Config.MetricsListen, s.Metrics, s.log)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	raiseFileLimit(s.log)
	tcp, err := net.Listen("tcp", s.Config.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Config.Listen, err)
	}
	// Out of file descriptors, the listener waits instead of failing Serve.
	ln := api.NewListener(tcp, s.log)
	app := s.App()
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	s.log.Info("guildhall listening", "addr", ln.Addr().String(), "database", s.DB.Dialect, "pooler", s.DB.Pooler,
		"read_replica", s.DB.Replica != nil,
		"runtime_path", s.Config.RuntimePath, "rpcs", s.Hooks.RPCIDs())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	s.Hub.Close() // sockets get their close frame before the listener goes
	return app.ShutdownWithTimeout(10 * time.Second)
}

// verifySocket checks a socket's session token as every session route does.
func (s *Server) verifySocket(ctx context.Context, token string) (realtime.SessionInfo, error) {
	c, err := s.Accounts.VerifySession(ctx, token)
	if err != nil {
		return realtime.SessionInfo{}, err
	}
	return realtime.SessionInfo{UserID: c.UserID, Username: c.Username, TokenID: c.TokenID,
		Expires: time.Unix(c.ExpiresAt, 0)}, nil
}

// startSessionPurge deletes expired sessions now and then every
// SessionPurgeInterval, in a goroutine, until ctx ends or the returned function
// is called (which waits for the goroutine to finish).
func (s *Server) startSessionPurge(ctx context.Context) (stop func()) {
	every := s.Config.SessionPurgeInterval
	if every < 0 {
		return func() {}
	}
	if every == 0 {
		every = DefaultSessionPurgeInterval
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			n, err := s.Accounts.PurgeExpiredSessions(ctx, 0)
			switch {
			case err != nil && ctx.Err() == nil:
				s.log.Error("purging expired sessions", "error", err)
			case n > 0:
				s.log.Info("purged expired sessions", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

// startPProf serves net/http/pprof on its own listener (never on the API port).
func startPProf(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Warn("pprof listening; do not expose it", "addr", addr)
	go func() {
		if err := http.ListenAndServe(addr, mux); err != nil {
			log.Error("pprof", "error", err)
		}
	}()
}
