package accounts

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/groups"
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
	return parseToken(s.cfg.EncryptionKey, token, typeSession, s.legacyTokens)
}

// parseRefresh verifies a refresh token (see parseToken).
func (s *Service) parseRefresh(token string) (tokenClaims, bool) {
	return parseToken(s.cfg.RefreshEncryptionKey, token, typeRefresh, s.legacyTokens)
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
		return Session{}, groups.Invalid(msgRefreshRequired)
	}
	if err := validateVars(vars); err != nil {
		return Session{}, err
	}
	c, ok := s.parseRefresh(refreshToken)
	if !ok {
		return Session{}, groups.Errorf(groups.CodeUnauthenticated, msgRefreshInvalid)
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
			return Session{}, groups.Errorf(groups.CodeNotFound, msgAccountNotFound)
		}
		return Session{}, groups.Errorf(groups.CodeUnauthenticated, msgRefreshInvalid)
	}
	row := rows[0]
	if row.Revoked || row.UserID != c.UserID {
		return Session{}, groups.Errorf(groups.CodeUnauthenticated, msgRefreshInvalid)
	}
	if row.DisableTime != 0 {
		return Session{}, groups.Errorf(groups.CodePermissionDenied, msgBanned)
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
		return Session{}, groups.Errorf(groups.CodeUnauthenticated, msgRefreshInvalid)
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
			return groups.Invalid(msgLogoutTokenInvalid)
		}
		tids = append(tids, c.TokenID)
	}
	if refreshToken != "" {
		c, ok := s.parseRefresh(refreshToken)
		if !ok || c.UserID != caller.UserID {
			return groups.Invalid(msgLogoutRefreshBad)
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
	invalid := groups.Errorf(groups.CodeUnauthenticated, msgAuthTokenInvalid)
	c, ok := s.tokens.get(bearerToken)
	if !ok {
		if c, ok = s.parseSession(bearerToken); !ok {
			return Claims{}, invalid
		}
		s.tokens.put(bearerToken, c)
	}
	if s.cache.valid(c.TokenID, c.UserID) {
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
	s.cache.store(c.TokenID, c.UserID, epoch)
	return c.toClaims(), nil
}

// tokenCache remembers what parseToken returned for the session tokens seen
// recently, so a client's every request does not pay again for the HMAC and the
// JSON decoding of the same token (a tenth of a request's server CPU). What
// parseToken returns depends only on the token's bytes, the key (fixed for the
// Service) and the clock, through exp alone: a hit re-checks exp exactly as the
// JWT parser does (valid while now is before exp) and is otherwise the same
// answer. Only tokens that verified are kept; at most maxCachedTokens, the map is
// emptied when full (a miss only costs the parse).
type tokenCache struct {
	entries sync.Map // token → *tokenClaims (a pointer: CompareAndDelete needs a comparable value)
	n       atomic.Int64
}

const maxCachedTokens = 16384

func (tc *tokenCache) get(token string) (tokenClaims, bool) {
	v, ok := tc.entries.Load(token)
	if !ok {
		return tokenClaims{}, false
	}
	c := *v.(*tokenClaims)
	if !time.Now().Before(time.Unix(c.ExpiresAt, 0)) {
		if tc.entries.CompareAndDelete(token, v) {
			tc.n.Add(-1)
		}
		return tokenClaims{}, false
	}
	if len(c.Vars) > 0 {
		c.Vars = maps.Clone(c.Vars) // each request gets its own map, as parsing gives
	}
	return c, true
}

func (tc *tokenCache) put(token string, c tokenClaims) {
	if tc.n.Add(1) > maxCachedTokens {
		tc.entries.Range(func(k, _ any) bool {
			tc.entries.Delete(k)
			return true
		})
		tc.n.Store(1)
	}
	if len(c.Vars) > 0 {
		c.Vars = maps.Clone(c.Vars) // the caller keeps the parsed map
	}
	if _, loaded := tc.entries.LoadOrStore(token, &c); loaded {
		tc.n.Add(-1)
	}
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
// forged-token floods). Expired entries are swept on insert at most once per TTL,
// so the map holds at most the sessions active in the last two TTLs.
type verifyCache struct {
	ttl       time.Duration
	entries   sync.Map // tid → cacheEntry
	gen       atomic.Uint64
	lastSweep atomic.Int64 // unix nanoseconds
}

type cacheEntry struct {
	userID string
	until  int64 // unix nanoseconds
}

func newVerifyCache(ttl time.Duration) *verifyCache { return &verifyCache{ttl: ttl} }

func (vc *verifyCache) enabled() bool { return vc.ttl > 0 }

func (vc *verifyCache) valid(tid, userID string) bool {
	if !vc.enabled() {
		return false
	}
	v, ok := vc.entries.Load(tid)
	if !ok {
		return false
	}
	e := v.(cacheEntry)
	return e.userID == userID && time.Now().UnixNano() < e.until
}

func (vc *verifyCache) epoch() uint64 { return vc.gen.Load() }

// store caches a positive answer obtained after epoch() returned epoch, unless an
// invalidation happened since.
func (vc *verifyCache) store(tid, userID string, epoch uint64) {
	if !vc.enabled() {
		return
	}
	now := time.Now().UnixNano()
	vc.entries.Store(tid, cacheEntry{userID: userID, until: now + int64(vc.ttl)})
	if vc.gen.Load() != epoch {
		// A logout ran while we were reading; drop what we may have just stored.
		vc.entries.Delete(tid)
	}
	if last := vc.lastSweep.Load(); now-last > int64(vc.ttl) && vc.lastSweep.CompareAndSwap(last, now) {
		vc.entries.Range(func(k, v any) bool {
			if v.(cacheEntry).until <= now {
				vc.entries.Delete(k)
			}
			return true
		})
	}
}

func (vc *verifyCache) forget(tids ...string) {
	vc.gen.Add(1)
	for _, tid := range tids {
		vc.entries.Delete(tid)
	}
}

func (vc *verifyCache) forgetUser(userID string) {
	vc.gen.Add(1)
	vc.entries.Range(func(k, v any) bool {
		if v.(cacheEntry).userID == userID {
			vc.entries.Delete(k)
		}
		return true
	})
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
