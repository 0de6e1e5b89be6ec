package accounts

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/guildhall/guildhall/errs"
)

// Session is what an authentication or a refresh returns (Nakama's api.Session).
type Session struct {
	Token        string
	RefreshToken string
	Created      bool // an account was created by this call
}

// issue signs the session and refresh tokens of one pair: same tid, uid, usn, vrs
// and iat, each with its own key and exp. It returns the tokens and the last moment
// (unix seconds) either is valid.
func (s *Service) issue(tid, userID, username string, vars map[string]string, iat int64, now time.Time) (token, refresh string, until int64, err error) {
	if len(vars) == 0 {
		vars = nil
	}
	c := tokenClaims{TokenID: tid, UserID: userID, Username: username, Vars: vars, IssuedAt: iat}
	c.ExpiresAt, c.Type = now.Add(s.cfg.TokenExpiry).Unix(), typeSession
	if token, err = signToken(s.cfg.EncryptionKey, c); err != nil {
		return "", "", 0, err
	}
	until = c.ExpiresAt
	c.ExpiresAt, c.Type = now.Add(s.cfg.RefreshTokenExpiry).Unix(), typeRefresh
	if refresh, err = signToken(s.cfg.RefreshEncryptionKey, c); err != nil {
		return "", "", 0, err
	}
	until = max(until, c.ExpiresAt)
	return token, refresh, until, nil
}

// parseSession verifies a session token (see parseToken).
func (s *Service) parseSession(token string) (tokenClaims, bool) {
	return parseTokenWith(s.parser, s.cfg.EncryptionKey, token, typeSession, s.legacyTokens)
}

// parseRefresh verifies a refresh token (see parseToken).
func (s *Service) parseRefresh(token string) (tokenClaims, bool) {
	return parseTokenWith(s.parser, s.cfg.RefreshEncryptionKey, token, typeRefresh, s.legacyTokens)
}

// newSession records a new session pair for the user and signs its tokens.
func (s *Service) newSession(ctx context.Context, userID, username string, vars map[string]string, created bool) (Session, error) {
	now := s.now()
	tid := uuid.NewString()
	token, refresh, until, err := s.issue(tid, userID, username, vars, now.Unix(), now)
	if err != nil {
		return Session{}, err
	}
	row := sessionRow{
		TokenID:   tid,
		UserID:    userID,
		Vars:      encodeVars(vars),
		ExpiresAt: time.Unix(until, 0).UnixMicro(),
	}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return Session{}, fmt.Errorf("accounts: record session: %w", err)
	}
	return Session{Token: token, RefreshToken: refresh, Created: created}, nil
}

func encodeVars(vars map[string]string) string {
	if len(vars) == 0 {
		return "{}"
	}
	b, err := json.Marshal(vars)
	if err != nil { // a map[string]string always marshals
		return "{}"
	}
	return string(b)
}

func decodeVars(text string) map[string]string {
	var vars map[string]string
	if err := json.Unmarshal([]byte(text), &vars); err != nil || len(vars) == 0 {
		return nil
	}
	return vars
}

// Refresh exchanges a refresh token for a new pair with the same tid and iat, new
// exps and the username as it is now. Non-empty vars replace the session's vars
// (for this and later refreshes); empty vars keep them. Tokens issued earlier for
// the same tid keep working until they expire or the session is logged out.
func (s *Service) Refresh(ctx context.Context, refreshToken string, vars map[string]string) (Session, error) {
	if refreshToken == "" {
		return Session{}, errs.Invalid(msgRefreshRequired)
	}
	if err := validateVars(vars); err != nil {
		return Session{}, err
	}
	c, ok := s.parseRefresh(refreshToken)
	if !ok {
		return Session{}, errs.Errorf(errs.CodeUnauthenticated, msgRefreshInvalid)
	}

	var rows []struct {
		UserID      string `gorm:"column:user_id"`
		Vars        string `gorm:"column:vars"`
		Revoked     bool   `gorm:"column:revoked"`
		Username    string `gorm:"column:username"`
		DisableTime int64  `gorm:"column:disable_time"`
	}
	err := s.rdb.WithContext(ctx).Raw(`SELECT s.user_id, s.vars, s.revoked, u.username, u.disable_time
		FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_id = ?`, c.TokenID).Scan(&rows).Error
	if err != nil {
		return Session{}, fmt.Errorf("accounts: refresh: %w", err)
	}
	if len(rows) == 0 {
		// Sessions go with their user (ON DELETE CASCADE): tell a deleted user apart
		// from an unknown session, as Nakama answers 404 for a user that is gone.
		if _, found, err := s.userByID(ctx, c.UserID); err != nil {
			return Session{}, fmt.Errorf("accounts: refresh: %w", err)
		} else if !found {
			return Session{}, errs.Errorf(errs.CodeNotFound, msgAccountNotFound)
		}
		return Session{}, errs.Errorf(errs.CodeUnauthenticated, msgRefreshInvalid)
	}
	row := rows[0]
	if row.Revoked || row.UserID != c.UserID {
		return Session{}, errs.Errorf(errs.CodeUnauthenticated, msgRefreshInvalid)
	}
	if row.DisableTime != 0 {
		return Session{}, errs.Errorf(errs.CodePermissionDenied, msgBanned)
	}

	useVars := decodeVars(row.Vars)
	if len(vars) > 0 {
		useVars = vars
	}
	now := s.now()
	token, refresh, until, err := s.issue(c.TokenID, c.UserID, row.Username, useVars, c.IssuedAt, now)
	if err != nil {
		return Session{}, err
	}
	updates := map[string]any{"expires_at": time.Unix(until, 0).UnixMicro()}
	if len(vars) > 0 {
		updates["vars"] = encodeVars(vars)
	}
	// The revoked guard keeps a logout that commits between the read above and this
	// write from being undone; the pair issued here is then refused by VerifySession
	// and Refresh anyway.
	res := s.db.WithContext(ctx).Model(&sessionRow{}).
		Where("token_id = ? AND revoked = ?", c.TokenID, false).Updates(updates)
	if res.Error != nil {
		return Session{}, fmt.Errorf("accounts: refresh: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return Session{}, errs.Errorf(errs.CodeUnauthenticated, msgRefreshInvalid)
	}
	return Session{Token: token, RefreshToken: refresh}, nil
}

// Logout revokes sessions of the caller (the verified claims of the request's bearer
// token). With token and refreshToken both empty it revokes every session of the
// user; otherwise it revokes the session(s) the given tokens belong to. A token that
// does not verify (signature, exp) or belongs to another user is refused with
// Nakama's 3 "Session token invalid." / "Refresh token invalid.".
func (s *Service) Logout(ctx context.Context, caller Claims, token, refreshToken string) error {
	var tids []string
	if token != "" {
		c, ok := s.parseSession(token)
		if !ok || c.UserID != caller.UserID {
			return errs.Invalid(msgLogoutTokenInvalid)
		}
		tids = append(tids, c.TokenID)
	}
	if refreshToken != "" {
		c, ok := s.parseRefresh(refreshToken)
		if !ok || c.UserID != caller.UserID {
			return errs.Invalid(msgLogoutRefreshBad)
		}
		if len(tids) == 0 || tids[0] != c.TokenID {
			tids = append(tids, c.TokenID)
		}
	}

	q := s.db.WithContext(ctx).Model(&sessionRow{}).Where("user_id = ?", caller.UserID)
	if len(tids) > 0 {
		q = q.Where("token_id IN ?", tids)
	}
	if err := q.Update("revoked", true).Error; err != nil {
		return fmt.Errorf("accounts: logout: %w", err)
	}
	if len(tids) > 0 {
		s.cache.forget(tids...)
	} else {
		s.cache.forgetUser(caller.UserID)
	}
	s.sessionsRevoked(caller.UserID, tids)
	return nil
}

// VerifySession checks a bearer token (the part after "Bearer ") and returns its
// claims. Any fault of the token gives 16 "Auth token invalid": not HS256, bad
// signature, no exp or exp passed, uid or tid not a UUID, the session (tid) unknown,
// logged out or another user's, the user gone or disabled. Nakama only keeps a
// revocation list, so it accepts unknown tids and missing users; Guildhall does
// not. Database failures are returned as uncoded errors (500).
//
// Cost: one primary-key lookup of user_sessions joined with users by primary key,
// skipped while a positive answer for the tid is cached (see verifyCache).
func (s *Service) VerifySession(ctx context.Context, bearerToken string) (Claims, error) {
	invalid := errs.Errorf(errs.CodeUnauthenticated, msgAuthTokenInvalid)
	now := s.now()
	c, ok := s.tokens.get(bearerToken, now)
	if !ok {
		if c, ok = s.parseSession(bearerToken); !ok {
			return Claims{}, invalid
		}
		s.tokens.put(bearerToken, c)
	}
	if s.cache.valid(c.TokenID, c.UserID, now) {
		return c.toClaims(), nil
	}
	epoch := s.cache.epoch()
	var n int64
	err := s.rdb.WithContext(ctx).Raw(`SELECT COUNT(*) FROM user_sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_id = ? AND s.user_id = ? AND s.revoked = ? AND u.disable_time = 0`,
		c.TokenID, c.UserID, false).Scan(&n).Error
	if err != nil {
		return Claims{}, fmt.Errorf("accounts: verify session: %w", err)
	}
	if n == 0 {
		return Claims{}, invalid
	}
	s.cache.store(c.TokenID, c.UserID, epoch, s.now())
	return c.toClaims(), nil
}

// tokenCache remembers what parseToken returned for the session tokens seen
// recently, so a client's every request does not pay again for the HMAC and the
// JSON decoding of the same token (a tenth of a request's server CPU). What
// parseToken returns depends only on the token's bytes, the key (fixed for the
// Service) and the clock, through exp alone: a hit re-checks exp against the
// Service's clock exactly as the JWT parser does (valid while now is before
// exp) and is otherwise the same answer. Only tokens that verified are kept,
// in an expiring LRU of at most maxCachedTokens whose TTL is the life of the
// tokens this Service issues (a miss only costs the parse).
type tokenCache struct {
	lru *expirable.LRU[string, *tokenClaims]
}

const maxCachedTokens = 16384

func newTokenCache(life time.Duration) tokenCache {
	return tokenCache{lru: expirable.NewLRU[string, *tokenClaims](maxCachedTokens, nil, life)}
}

func (tc tokenCache) get(token string, now time.Time) (tokenClaims, bool) {
	v, ok := tc.lru.Get(token)
	if !ok {
		return tokenClaims{}, false
	}
	c := *v
	if !now.Before(time.Unix(c.ExpiresAt, 0)) {
		tc.lru.Remove(token)
		return tokenClaims{}, false
	}
	if len(c.Vars) > 0 {
		c.Vars = maps.Clone(c.Vars) // each request gets its own map, as parsing gives
	}
	return c, true
}

func (tc tokenCache) put(token string, c tokenClaims) {
	if len(c.Vars) > 0 {
		c.Vars = maps.Clone(c.Vars) // the caller keeps the parsed map
	}
	tc.lru.Add(token, &c)
}

// verifyCache remembers, per token id, that the database recently said "this
// session exists, is not revoked, and its user exists and is enabled", so a client
// making many requests costs one query per TTL instead of one per request.
//
// Trade-off: a session revoked by another process (or a user disabled or deleted by
// anything other than this process's Logout) keeps being accepted by this process
// for up to the TTL; the default of 2 s bounds that window while removing almost
// all lookups for busy clients. Logout in this process takes effect at once: it
// deletes the affected entries and bumps an epoch, so a lookup that raced the
// logout does not store its stale answer. Only positive answers are kept (a
// negative one needs a correctly signed token, so the database is not exposed to
// forged-token floods).
//
// Entries live in an expiring LRU (at most maxVerifiedSessions, dropped after
// the TTL in real time); each also carries its deadline on the Service's clock,
// which decides whether it is still valid, so tests move the clock instead of
// sleeping. Entries past that deadline are swept on insert at most once per
// TTL.
type verifyCache struct {
	ttl       time.Duration
	entries   *expirable.LRU[string, cacheEntry] // tid → entry; nil when disabled
	gen       atomic.Uint64
	lastSweep atomic.Int64 // unix nanoseconds on the Service's clock
}

type cacheEntry struct {
	userID string
	until  int64 // unix nanoseconds on the Service's clock
}

// maxVerifiedSessions bounds the verify cache: a busy server's sessions active
// within one TTL; an evicted one costs one lookup.
const maxVerifiedSessions = 1 << 16

func newVerifyCache(ttl time.Duration) *verifyCache {
	vc := &verifyCache{ttl: ttl}
	if ttl > 0 {
		vc.entries = expirable.NewLRU[string, cacheEntry](maxVerifiedSessions, nil, ttl)
	}
	return vc
}

func (vc *verifyCache) enabled() bool { return vc.entries != nil }

func (vc *verifyCache) valid(tid, userID string, now time.Time) bool {
	if !vc.enabled() {
		return false
	}
	e, ok := vc.entries.Get(tid)
	return ok && e.userID == userID && now.UnixNano() < e.until
}

func (vc *verifyCache) epoch() uint64 { return vc.gen.Load() }

// store caches a positive answer obtained after epoch() returned epoch, unless an
// invalidation happened since.
func (vc *verifyCache) store(tid, userID string, epoch uint64, clock time.Time) {
	if !vc.enabled() {
		return
	}
	now := clock.UnixNano()
	vc.entries.Add(tid, cacheEntry{userID: userID, until: now + int64(vc.ttl)})
	if vc.gen.Load() != epoch {
		// A logout ran while we were reading; drop what we may have just stored.
		vc.entries.Remove(tid)
	}
	if last := vc.lastSweep.Load(); now-last > int64(vc.ttl) && vc.lastSweep.CompareAndSwap(last, now) {
		for _, k := range vc.entries.Keys() {
			if e, ok := vc.entries.Peek(k); ok && e.until <= now {
				vc.entries.Remove(k)
			}
		}
	}
}

func (vc *verifyCache) forget(tids ...string) {
	vc.gen.Add(1)
	if !vc.enabled() {
		return
	}
	for _, tid := range tids {
		vc.entries.Remove(tid)
	}
}

func (vc *verifyCache) forgetUser(userID string) {
	vc.gen.Add(1)
	if !vc.enabled() {
		return
	}
	for _, k := range vc.entries.Keys() {
		if e, ok := vc.entries.Peek(k); ok && e.userID == userID {
			vc.entries.Remove(k)
		}
	}
}

// ForgetUser drops every cached VerifySession answer for the user's sessions in
// this process. Code that disables or deletes a user should call it so the change
// applies here at once rather than after the cache TTL.
func (s *Service) ForgetUser(userID string) { s.cache.forgetUser(userID) }

// PurgeExpiredSessions deletes the sessions whose tokens have all expired (the
// row's expires_at, the later of the two exps, is past): such a row can never
// verify or refresh again, logged out or not. It deletes at most batch rows per
// statement (default 1000 when batch <= 0) so that no statement holds the
// table, or SQLite's single writer, for long, and repeats until a batch comes
// back short or ctx ends. It returns how many rows it deleted.
func (s *Service) PurgeExpiredSessions(ctx context.Context, batch int) (int64, error) {
	if batch <= 0 {
		batch = 1000
	}
	cutoff := s.now().UnixMicro()
	var total int64
	for {
		res := s.db.WithContext(ctx).Exec(`DELETE FROM user_sessions WHERE token_id IN
			(SELECT token_id FROM user_sessions WHERE expires_at < ? LIMIT ?)`, cutoff, batch)
		if res.Error != nil {
			return total, fmt.Errorf("accounts: purge expired sessions: %w", res.Error)
		}
		total += res.RowsAffected
		if res.RowsAffected < int64(batch) {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}
