// Package accounts holds Guildhall's users and sessions: device, custom and email
// authentication, JWT session and refresh tokens with Nakama's claims (plus a
// typ claim), refresh, logout revocation, bearer-token verification, the purge of
// expired sessions, the account read and update, and the user lookup.
//
// It holds no HTTP code: the api package decodes requests, calls these methods and
// writes Nakama's wire JSON. Every failure a client can cause is a *errs.Error
// carrying Nakama's code and message text; any other error is a server fault.
package accounts

import (
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// Config holds the session settings (Nakama's session.* options). The keys are
// required (see Validate); other zero values take the defaults below, which are
// Nakama's.
type Config struct {
	// EncryptionKey signs session tokens (HS256). Required: an empty key never
	// falls back to the published default (Nakama's is DefaultEncryptionKey).
	EncryptionKey string
	// RefreshEncryptionKey signs refresh tokens (HS256). Required; Nakama's
	// default is DefaultRefreshEncryptionKey.
	RefreshEncryptionKey string
	// TokenExpiry is the life of a session token. Default 60 s.
	TokenExpiry time.Duration
	// RefreshTokenExpiry is the life of a refresh token. Default 3600 s.
	RefreshTokenExpiry time.Duration
	// VerifyCacheTTL is how long VerifySession trusts a positive database answer for
	// a token id without asking again (see verifyCache). Default 2 s; negative
	// disables the cache.
	VerifyCacheTTL time.Duration
}

// Defaults, equal to Nakama's. The keys are Nakama's published defaults, which
// a caller may pass explicitly; New never substitutes them for a missing key.
const (
	DefaultEncryptionKey        = "defaultencryptionkey"
	DefaultRefreshEncryptionKey = "defaultrefreshencryptionkey"
	DefaultTokenExpiry          = 60 * time.Second
	DefaultRefreshTokenExpiry   = 3600 * time.Second
	DefaultVerifyCacheTTL       = 2 * time.Second
)

// Validate reports a key that is empty or only whitespace: tokens signed with it
// could be forged by anyone. Equal session and refresh keys are allowed here (the
// typ claim keeps the kinds apart); server.Config refuses them as well.
func (c Config) Validate() error {
	if strings.TrimSpace(c.EncryptionKey) == "" {
		return errors.New("accounts: the session encryption key is empty")
	}
	if strings.TrimSpace(c.RefreshEncryptionKey) == "" {
		return errors.New("accounts: the refresh encryption key is empty")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.TokenExpiry <= 0 {
		c.TokenExpiry = DefaultTokenExpiry
	}
	if c.RefreshTokenExpiry <= 0 {
		c.RefreshTokenExpiry = DefaultRefreshTokenExpiry
	}
	if c.VerifyCacheTTL == 0 {
		c.VerifyCacheTTL = DefaultVerifyCacheTTL
	}
	return c
}

// Service implements every account and session operation. It is safe for
// concurrent use; create one per process with New.
type Service struct {
	db     *gorm.DB // writes, and reads when no read pool is given
	rdb    *gorm.DB // reads
	cfg    Config
	cache  *verifyCache
	tokens tokenCache       // parsed session tokens (VerifySession)
	now    func() time.Time // the clock; tests may move it
	parser *jwt.Parser      // token parser on that clock

	// legacyTokens accepts tokens without a typ claim (issued before it
	// existed), which is safe only while the two keys differ.
	legacyTokens bool

	bcryptCost int // bcrypt.DefaultCost; tests lower it

	revoked revokedHook // OnSessionsRevoked
}

// Option adjusts a Service made by New.
type Option func(*Service)

// WithReadDB sends the Service's reads (credential lookups, VerifySession, the
// refresh lookup, GetAccount) to read, a pool on the same database. With SQLite's
// single-connection write pool this keeps the per-request VerifySession off the
// writer; reads only ever need data committed before them, which WAL readers see.
func WithReadDB(read *gorm.DB) Option {
	return func(s *Service) {
		if read != nil {
			s.rdb = read
		}
	}
}

// New returns a Service over db (PostgreSQL or SQLite, schema from migrations),
// which it uses for writes and, unless WithReadDB is given, for reads. It panics
// when cfg.Validate fails: a Service must never sign or accept tokens with an
// empty key. Check user-supplied settings with Validate first (server.New does).
func New(db *gorm.DB, cfg Config, opts ...Option) *Service {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg = cfg.withDefaults()
	s := &Service{
		db:     db,
		rdb:    db,
		cfg:    cfg,
		cache:  newVerifyCache(cfg.VerifyCacheTTL),
		tokens: newTokenCache(cfg.TokenExpiry),
		now:    time.Now,

		legacyTokens: cfg.EncryptionKey != cfg.RefreshEncryptionKey,
		bcryptCost:   bcrypt.DefaultCost,
	}
	for _, o := range opts {
		o(s)
	}
	// Read s.now at each parse, so a test that moves the clock moves exp checks.
	s.parser = newTokenParser(func() time.Time { return s.now() })
	return s
}

// Config returns the effective configuration (defaults filled in).
func (s *Service) Config() Config { return s.cfg }
