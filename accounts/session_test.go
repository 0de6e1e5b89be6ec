package accounts

import (
	"encoding/base64"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/guildhall/guildhall/errs"
)

func TestTokenShape(t *testing.T) {
	t.Parallel()
	eachDB(t, Config{}, func(t *testing.T, s *Service, db *gorm.DB) {
		sess := authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-shape-1", Username: "shape"}))
		for _, tok := range []string{sess.Token, sess.RefreshToken} {
			header, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
			if err != nil || string(header) != `{"alg":"HS256","typ":"JWT"}` {
				t.Fatalf("header %q (%v)", header, err)
			}
		}
		p, r := payload(t, sess.Token), payload(t, sess.RefreshToken)
		for _, m := range []map[string]any{p, r} {
			if keys := slices.Sorted(maps.Keys(m)); !slices.Equal(keys, []string{"exp", "iat", "tid", "typ", "uid", "usn"}) {
				t.Fatalf("claims %v: want exactly exp iat tid typ uid usn (vrs omitted when empty)", keys)
			}
		}
		if p["typ"] != "session" || r["typ"] != "refresh" {
			t.Fatalf("typ claims %v and %v, want session and refresh", p["typ"], r["typ"])
		}
		if p["tid"] != r["tid"] || p["uid"] != r["uid"] || p["usn"] != "shape" || r["usn"] != "shape" || p["iat"] != r["iat"] {
			t.Fatalf("session %v and refresh %v differ", p, r)
		}
		iat := int64(p["iat"].(float64))
		if d := time.Now().Unix() - iat; d < 0 || d > 5 {
			t.Fatalf("iat %d is not now", iat)
		}
		if exp := int64(p["exp"].(float64)); exp-iat != 60 {
			t.Fatalf("session token lives %d s, want 60", exp-iat)
		}
		if exp := int64(r["exp"].(float64)); exp-iat != 3600 {
			t.Fatalf("refresh token lives %d s, want 3600", exp-iat)
		}
		c := verify(t, s, sess.Token)
		if c.TokenID != p["tid"] || c.UserID != p["uid"] || c.Username != "shape" || c.Vars != nil || c.IssuedAt != iat {
			t.Fatalf("claims %+v", c)
		}
		var row sessionRow
		db.Raw("SELECT * FROM user_sessions WHERE token_id = ?", c.TokenID).Scan(&row)
		if row.UserID != c.UserID || row.Vars != "{}" || row.Revoked || row.ExpiresAt != (iat+3600)*1_000_000 {
			t.Fatalf("session row %+v", row)
		}

		// Vars are carried as vrs.
		sess = authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-shape-1", Vars: map[string]string{"k": "v", "x": ""}}))
		if v := payload(t, sess.Token)["vrs"]; v == nil || v.(map[string]any)["k"] != "v" {
			t.Fatalf("vrs %v", v)
		}
		if c := verify(t, s, sess.Token); c.Vars["k"] != "v" || len(c.Vars) != 2 {
			t.Fatalf("vars %v", c.Vars)
		}

		// Configured keys and lifetimes are used.
		other := New(db, Config{EncryptionKey: "k1", RefreshEncryptionKey: "k2", TokenExpiry: 5 * time.Second, RefreshTokenExpiry: 50 * time.Second})
		sess2 := authOK(t)(other.AuthenticateDevice(ctx, AuthRequest{ID: "device-shape-1"}))
		p2, r2 := payload(t, sess2.Token), payload(t, sess2.RefreshToken)
		if p2["exp"].(float64)-p2["iat"].(float64) != 5 || r2["exp"].(float64)-r2["iat"].(float64) != 50 {
			t.Fatalf("lifetimes %v %v", p2, r2)
		}
		verify(t, other, sess2.Token)
		if _, err := s.VerifySession(ctx, sess2.Token); err == nil {
			t.Fatal("token signed with another key verified")
		}
	})
}

func TestVerifySessionRejects(t *testing.T) {
	t.Parallel()
	eachDB(t, Config{}, func(t *testing.T, s *Service, db *gorm.DB) {
		sess := authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-verify-1"}))
		good := verify(t, s, sess.Token)
		otherSess := authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-verify-2"}))
		other := verify(t, s, otherSess.Token)
		now := time.Now().Unix()
		key := []byte(DefaultEncryptionKey)

		claims := func(mod func(m jwt.MapClaims)) jwt.MapClaims {
			m := jwt.MapClaims{"tid": good.TokenID, "uid": good.UserID, "usn": good.Username, "exp": now + 60, "iat": now}
			if mod != nil {
				mod(m)
			}
			return m
		}
		sign := func(method jwt.SigningMethod, k any, m jwt.MapClaims) string {
			tok, err := jwt.NewWithClaims(method, m).SignedString(k)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		// The control: a token built by the JWT library with the right key and
		// claims verifies, so each rejection below is due to its one difference.
		verify(t, s, sign(jwt.SigningMethodHS256, key, claims(nil)))

		parts := strings.Split(sess.Token, ".")
		tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"tid":"`+good.TokenID+`","uid":"`+other.UserID+`","usn":"x","exp":`+
			"9999999999"+`,"iat":1}`)) + "." + parts[2]
		bad := map[string]string{
			"empty":              "",
			"garbage":            "not.a.token",
			"two parts":          parts[0] + "." + parts[1],
			"tampered payload":   tampered,
			"bad signature":      parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")),
			"refresh token":      sess.RefreshToken,
			"HS512":              sign(jwt.SigningMethodHS512, key, claims(nil)),
			"HS384":              sign(jwt.SigningMethodHS384, key, claims(nil)),
			"none":               sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil)),
			"wrong key":          sign(jwt.SigningMethodHS256, []byte("otherkey"), claims(nil)),
			"expired":            sign(jwt.SigningMethodHS256, key, claims(func(m jwt.MapClaims) { m["exp"] = now - 1 })),
			"no exp":             sign(jwt.SigningMethodHS256, key, claims(func(m jwt.MapClaims) { delete(m, "exp") })),
			"uid not a uuid":     sign(jwt.SigningMethodHS256, key, claims(func(m jwt.MapClaims) { m["uid"] = "user-1" })),
			"tid not a uuid":     sign(jwt.SigningMethodHS256, key, claims(func(m jwt.MapClaims) { m["tid"] = "token-1" })),
			"unknown tid":        sign(jwt.SigningMethodHS256, key, claims(func(m jwt.MapClaims) { m["tid"] = uuid.NewString() })),
			"another user's tid": sign(jwt.SigningMethodHS256, key, claims(func(m jwt.MapClaims) { m["uid"] = other.UserID })),
			"unknown user":       sign(jwt.SigningMethodHS256, key, claims(func(m jwt.MapClaims) { m["uid"] = uuid.NewString() })),
			"vrs not strings":    sign(jwt.SigningMethodHS256, key, claims(func(m jwt.MapClaims) { m["vrs"] = map[string]any{"a": 1} })),
		}
		for name, tok := range bad {
			t.Run(name, func(t *testing.T) {
				_, err := s.VerifySession(ctx, tok)
				wantErr(t, err, errs.CodeUnauthenticated, msgAuthTokenInvalid)
			})
		}

		// A deleted user's token stops working (sessions go with the user).
		exec(t, db, "DELETE FROM users WHERE id = ?", other.UserID)
		s.ForgetUser(other.UserID)
		_, err := s.VerifySession(ctx, otherSess.Token)
		wantErr(t, err, errs.CodeUnauthenticated, msgAuthTokenInvalid)
	})
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	eachDB(t, Config{}, func(t *testing.T, s *Service, db *gorm.DB) {
		sess := authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-refresh-1", Username: "before", Vars: map[string]string{"a": "1"}}))
		orig := verify(t, s, sess.Token)

		// Move the service clock so the new exps differ from the old ones.
		s.now = func() time.Time { return time.Now().Add(30 * time.Second) }
		exec(t, db, "UPDATE users SET username = 'after', username_key = 'after' WHERE id = ?", orig.UserID)

		check := func(got Session, wantVars map[string]string) Claims {
			t.Helper()
			if got.Created {
				t.Fatal("refresh says created")
			}
			c := verify(t, s, got.Token)
			p, r := payload(t, got.Token), payload(t, got.RefreshToken)
			if c.TokenID != orig.TokenID || r["tid"] != orig.TokenID {
				t.Fatalf("tid changed: %s / %v, want %s", c.TokenID, r["tid"], orig.TokenID)
			}
			if c.IssuedAt != orig.IssuedAt || int64(r["iat"].(float64)) != orig.IssuedAt {
				t.Fatalf("iat changed: %d, want %d", c.IssuedAt, orig.IssuedAt)
			}
			if c.ExpiresAt <= orig.ExpiresAt {
				t.Fatalf("exp %d not renewed (was %d)", c.ExpiresAt, orig.ExpiresAt)
			}
			if int64(r["exp"].(float64))-c.ExpiresAt != 3600-60 {
				t.Fatalf("refresh exp %v vs session exp %d", r["exp"], c.ExpiresAt)
			}
			if c.UserID != orig.UserID || c.Username != "after" || r["usn"] != "after" {
				t.Fatalf("user %s/%s, want %s/after", c.UserID, c.Username, orig.UserID)
			}
			if !maps.Equal(c.Vars, wantVars) {
				t.Fatalf("vars %v, want %v", c.Vars, wantVars)
			}
			if _, ok := p["vrs"]; ok != (len(wantVars) > 0) {
				t.Fatalf("vrs present=%v with vars %v", ok, wantVars)
			}
			return c
		}

		// Empty vars keep the session's vars; non-empty ones replace them, also for
		// later refreshes.
		r1 := check(authOK(t)(s.Refresh(ctx, sess.RefreshToken, nil)), map[string]string{"a": "1"})
		check(authOK(t)(s.Refresh(ctx, sess.RefreshToken, map[string]string{})), map[string]string{"a": "1"})
		r3 := authOK(t)(s.Refresh(ctx, sess.RefreshToken, map[string]string{"b": "2"}))
		check(r3, map[string]string{"b": "2"})
		r4 := authOK(t)(s.Refresh(ctx, r3.RefreshToken, nil))
		check(r4, map[string]string{"b": "2"})
		_ = r1

		// The pre-refresh tokens keep working.
		verify(t, s, sess.Token)
		authOK(t)(s.Refresh(ctx, sess.RefreshToken, nil))

		// Errors.
		_, err := s.Refresh(ctx, "", nil)
		wantErr(t, err, errs.CodeInvalidArgument, msgRefreshRequired)
		for name, tok := range map[string]string{
			"garbage":       "abc",
			"session token": sess.Token,
			"expired": mustSign(t, DefaultRefreshEncryptionKey, tokenClaims{TokenID: orig.TokenID, UserID: orig.UserID,
				Username: "after", ExpiresAt: time.Now().Unix() - 1, IssuedAt: orig.IssuedAt}),
			"unknown tid": mustSign(t, DefaultRefreshEncryptionKey, tokenClaims{TokenID: uuid.NewString(), UserID: orig.UserID,
				Username: "after", ExpiresAt: time.Now().Unix() + 60, IssuedAt: orig.IssuedAt}),
		} {
			_, err := s.Refresh(ctx, tok, nil)
			if e, _ := errs.AsError(err); e == nil || e.Code != errs.CodeUnauthenticated || e.Message != msgRefreshInvalid {
				t.Fatalf("%s: got %v, want 16 %q", name, err, msgRefreshInvalid)
			}
		}

		// Revoked.
		if err := s.Logout(ctx, orig, "", sess.RefreshToken); err != nil {
			t.Fatal(err)
		}
		_, err = s.Refresh(ctx, sess.RefreshToken, nil)
		wantErr(t, err, errs.CodeUnauthenticated, msgRefreshInvalid)

		// User gone.
		gone := authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-refresh-2"}))
		exec(t, db, "DELETE FROM users WHERE id = ?", verify(t, s, gone.Token).UserID)
		_, err = s.Refresh(ctx, gone.RefreshToken, nil)
		wantErr(t, err, errs.CodeNotFound, msgAccountNotFound)
	})
}

func mustSign(t *testing.T, key string, c tokenClaims) string {
	t.Helper()
	tok, err := signToken(key, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestLogout(t *testing.T) {
	t.Parallel()
	eachDB(t, Config{}, func(t *testing.T, s *Service, db *gorm.DB) {
		login := func() (Session, Claims) {
			sess := authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-logout-1"}))
			return sess, verify(t, s, sess.Token) // verified: the cache holds it
		}
		a, ca := login()
		b, cb := login()
		c, cc := login()
		stranger := authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-logout-2"}))
		cs := verify(t, s, stranger.Token)

		// Refused: unparsable tokens, another user's tokens, a token of the wrong kind.
		for _, tc := range []struct {
			token, refresh, msg string
		}{
			{"garbage", "", msgLogoutTokenInvalid},
			{stranger.Token, "", msgLogoutTokenInvalid},
			{a.RefreshToken, "", msgLogoutTokenInvalid},
			{"", "garbage", msgLogoutRefreshBad},
			{"", stranger.RefreshToken, msgLogoutRefreshBad},
			{"", a.Token, msgLogoutRefreshBad},
			{a.Token, stranger.RefreshToken, msgLogoutRefreshBad},
		} {
			wantErr(t, s.Logout(ctx, ca, tc.token, tc.refresh), errs.CodeInvalidArgument, tc.msg)
		}
		verify(t, s, a.Token) // nothing was revoked

		// The given pair only.
		if err := s.Logout(ctx, ca, a.Token, a.RefreshToken); err != nil {
			t.Fatal(err)
		}
		_, err := s.VerifySession(ctx, a.Token)
		wantErr(t, err, errs.CodeUnauthenticated, msgAuthTokenInvalid)
		_, err = s.Refresh(ctx, a.RefreshToken, nil)
		wantErr(t, err, errs.CodeUnauthenticated, msgRefreshInvalid)
		verify(t, s, b.Token)
		verify(t, s, c.Token)

		// A session token alone revokes its session (refresh token included).
		if err := s.Logout(ctx, cb, b.Token, ""); err != nil {
			t.Fatal(err)
		}
		_, err = s.VerifySession(ctx, b.Token)
		wantErr(t, err, errs.CodeUnauthenticated, msgAuthTokenInvalid)
		_, err = s.Refresh(ctx, b.RefreshToken, nil)
		wantErr(t, err, errs.CodeUnauthenticated, msgRefreshInvalid)
		verify(t, s, c.Token)

		// Logging out an already revoked session again is fine.
		if err := s.Logout(ctx, cc, a.Token, ""); err != nil {
			t.Fatal(err)
		}

		// Both empty: every session of the caller, nobody else's.
		d, _ := login()
		if err := s.Logout(ctx, cc, "", ""); err != nil {
			t.Fatal(err)
		}
		for _, sess := range []Session{c, d} {
			_, err = s.VerifySession(ctx, sess.Token)
			wantErr(t, err, errs.CodeUnauthenticated, msgAuthTokenInvalid)
			_, err = s.Refresh(ctx, sess.RefreshToken, nil)
			wantErr(t, err, errs.CodeUnauthenticated, msgRefreshInvalid)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM user_sessions WHERE user_id = ? AND revoked = ?", ca.UserID, false); n != 0 {
			t.Fatalf("%d sessions of the user still live", n)
		}
		verify(t, s, stranger.Token)
		_ = cs

		// A fresh login works after logout-all.
		e, _ := login()
		verify(t, s, e.Token)
	})
}

// TestVerifyCacheAcrossServices shows the documented trade-off: a logout through
// another Service (another process) reaches a Service with a cache after at most
// the cache TTL, and at once when the cache is off. The cached Service's clock
// is moved past the TTL instead of sleeping.
func TestVerifyCacheAcrossServices(t *testing.T) {
	t.Parallel()
	eachDB(t, Config{VerifyCacheTTL: 10 * time.Second}, func(t *testing.T, cached *Service, db *gorm.DB) {
		start, elapsed := time.Now(), time.Duration(0)
		cached.now = func() time.Time { return start.Add(elapsed) }
		uncached := New(db, keyed(Config{VerifyCacheTTL: -1}))
		other := New(db, keyed(Config{}))

		sess := authOK(t)(other.AuthenticateDevice(ctx, AuthRequest{ID: "device-cache-1"}))
		c := verify(t, cached, sess.Token)
		verify(t, uncached, sess.Token)
		if err := other.Logout(ctx, c, sess.Token, ""); err != nil {
			t.Fatal(err)
		}
		_, err := uncached.VerifySession(ctx, sess.Token)
		wantErr(t, err, errs.CodeUnauthenticated, msgAuthTokenInvalid)
		verify(t, cached, sess.Token) // still within the TTL
		elapsed += 11 * time.Second
		_, err = cached.VerifySession(ctx, sess.Token)
		wantErr(t, err, errs.CodeUnauthenticated, msgAuthTokenInvalid)

		// The cache never lends one user's session to another uid.
		sess2 := authOK(t)(cached.AuthenticateDevice(ctx, AuthRequest{ID: "device-cache-2"}))
		c2 := verify(t, cached, sess2.Token)
		forged := mustSign(t, DefaultEncryptionKey, tokenClaims{TokenID: c2.TokenID, UserID: c.UserID, Username: "x",
			ExpiresAt: time.Now().Unix() + 60, IssuedAt: time.Now().Unix()})
		_, err = cached.VerifySession(ctx, forged)
		wantErr(t, err, errs.CodeUnauthenticated, msgAuthTokenInvalid)

		// Expired entries are swept.
		elapsed += 11 * time.Second
		sess3 := authOK(t)(cached.AuthenticateDevice(ctx, AuthRequest{ID: "device-cache-3"}))
		verify(t, cached, sess3.Token)
		if n := cached.cache.entries.Len(); n != 1 {
			t.Fatalf("%d cache entries after a sweep, want 1", n)
		}
	})
}

// TestExpiredCachedToken: a token verified (and cached) while valid is refused
// once it expires, with vars in its claims (the cached value holds a map). The
// Service's clock is moved past exp instead of sleeping.
func TestExpiredCachedToken(t *testing.T) {
	t.Parallel()
	eachDB(t, Config{TokenExpiry: time.Second}, func(t *testing.T, s *Service, db *gorm.DB) {
		start, elapsed := time.Now(), time.Duration(0)
		s.now = func() time.Time { return start.Add(elapsed) }
		sess := authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-expiry-1", Vars: map[string]string{"k": "v"}}))
		if c := verify(t, s, sess.Token); c.Vars["k"] != "v" {
			t.Fatalf("vars: %v", c.Vars)
		}
		elapsed += 2100 * time.Millisecond // exp has whole-second resolution
		_, err := s.VerifySession(ctx, sess.Token)
		wantErr(t, err, errs.CodeUnauthenticated, "Auth token invalid")
	})
}
