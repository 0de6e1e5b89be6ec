// Package server assembles a whole Guildhall server — database, services, hook
// registry, script runtimes and the HTTP API — so that cmd/guildhall and
// studios' own binaries (Guildhall as a library, with Go hooks) start it the
// same way:
//
//	srv, err := server.New(ctx, server.DefaultConfig(), log)
//	srv.Hooks.KickGroupUsers.Before(myRule) // Go hooks run before script hooks
//	err = srv.Run(ctx)                      // loads scripts, serves until ctx ends
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/api"
	"github.com/guildhall/guildhall/chat"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/realtime"
	"github.com/guildhall/guildhall/realtime/pgbus"
	"github.com/guildhall/guildhall/realtime/ws"
	"github.com/guildhall/guildhall/runtime"
	"github.com/guildhall/guildhall/runtime/js"
	"github.com/guildhall/guildhall/runtime/lua"
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
	DatabaseListenURL    string
	Migrate              bool
	RuntimePath          string
	RuntimePoolSize      int
	RuntimeCallTimeout   time.Duration
	RuntimeEnv           map[string]string
	RuntimeMaxCallMemory int64 // bytes of heap growth one script call may cause; < 0 is off
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
	}
}

// DefaultSecrets names the secrets still at their published defaults.
func (c Config) DefaultSecrets() []string {
	var out []string
	for _, s := range []struct{ name, v, def string }{
		{"server.key", c.ServerKey, DefaultServerKey},
		{"http.key", c.HTTPKey, DefaultHTTPKey},
		{"session.key", c.SessionKey, DefaultSessionKey},
		{"session.refresh_key", c.SessionRefreshKey, DefaultSessionRefreshKey},
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
	db, err := store.Open(store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxConns: cfg.DatabaseMaxConns})
	if err != nil {
		return nil, err
	}
	if cfg.Migrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	acc := accounts.New(db.Write, accounts.Config{
		EncryptionKey: cfg.SessionKey, RefreshEncryptionKey: cfg.SessionRefreshKey,
		TokenExpiry: cfg.SessionExpiry, RefreshTokenExpiry: cfg.SessionRefreshExpiry,
	}, accounts.WithReadDB(db.Read))
	st := store.NewGroups(db)
	srv := &Server{
		Config: cfg, DB: db, Groups: groups.NewService(st,
			groups.WithJoinRequestNotifyWindow(cfg.GroupJoinRequestNotifyWindow)), Accounts: acc,
		Hooks: hooks.New(log), Chat: chat.New(st), log: log,
	}
	srv.wireRealtime(st)
	return srv, nil
}

// wireRealtime builds the socket's hub: what a commit wrote goes live after
// it (handed off, the request does not wait), a logout closes the sockets of
// the sessions it revoked.
func (s *Server) wireRealtime(st *store.Groups) {
	s.Hub = realtime.New(s.Chat, realtime.Options{Log: s.log})
	st.OnWritten(func(w store.Written) { s.Hub.Committed(w.Events, w.Notifications, w.Messages) })
	s.Accounts.OnSessionsRevoked(s.Hub.SessionsRevoked)
}

// LoadScripts loads the JavaScript and Lua modules of the runtime path into
// Hooks; a module that fails to load is an error naming its file and line.
// It returns a function that releases the VMs.
func (s *Server) LoadScripts(ctx context.Context) (func(), error) {
	cfg := runtime.Config{
		Path: s.Config.RuntimePath, PoolSize: s.Config.RuntimePoolSize, CallTimeout: s.Config.RuntimeCallTimeout,
		Env: s.Config.RuntimeEnv, MaxCallMemory: s.Config.RuntimeMaxCallMemory,
	}
	deps := runtime.Deps{Groups: s.Groups, Hooks: s.Hooks, Log: s.log, Channels: s.Hub}
	// Lua before JavaScript: hooks chain in registration order, so Go, Lua and
	// JavaScript hooks run in Nakama's precedence (Go over Lua over JS).
	luaRT, err := lua.Load(ctx, cfg, deps)
	if err != nil {
		return nil, err
	}
	jsRT, err := js.Load(ctx, cfg, deps)
	if err != nil {
		luaRT.Close()
		return nil, err
	}
	return func() { jsRT.Close(); luaRT.Close() }, nil
}

// App builds the HTTP API over the server's services.
func (s *Server) App() *fiber.App {
	return api.New(api.Config{
		ServerKey: s.Config.ServerKey, HTTPKey: s.Config.HTTPKey, RequestTimeout: s.Config.RequestTimeout, Logger: s.log,
		Concurrency: s.Config.HTTPConcurrency, MaxConnsPerIP: s.Config.HTTPMaxConnsPerIP,
		Socket: ws.Handler(ws.Config{Hub: s.Hub, Verify: s.verifySocket, Log: s.log}), Chat: s.Chat,
	}, s.Groups, s.Accounts, s.Hooks)
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
	if s.DB.Dialect == store.Postgres {
		// Nodes on one PostgreSQL reach each other's sockets through it.
		url := s.Config.DatabaseListenURL
		if url == "" {
			url = s.Config.DatabaseURL
		}
		bus := pgbus.Start(ctx, url, s.Hub, s.log)
		s.Hub.SetBus(bus)
		defer bus.Close()
	}
	stopPurge := s.startSessionPurge(ctx)
	defer stopPurge() // before the database closes (defers run last-in first-out)
	if s.Config.PProf != "" {
		startPProf(s.Config.PProf, s.log)
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
	s.log.Info("guildhall listening", "addr", ln.Addr().String(), "database", s.DB.Dialect,
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
