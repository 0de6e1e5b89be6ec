package accounts

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/guildhall/guildhall/errs"
)

// TestTokenTypeWithEqualKeys: with one key for both kinds (server.Config refuses
// it, a Service built directly allows it) the typ claim alone keeps a refresh
// token from passing as a session token and the other way round, in every path
// that verifies a token.
func TestTokenTypeWithEqualKeys(t *testing.T) {
	t.Parallel()
	cfg := Config{EncryptionKey: "one-key-for-both", RefreshEncryptionKey: "one-key-for-both"}
	eachDB(t, cfg, func(t *testing.T, s *Service, db *gorm.DB) {
		sess := authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-typ-1"}))
		c := verify(t, s, sess.Token)

		_, err := s.VerifySession(ctx, sess.RefreshToken)
		wantErr(t, err, errs.CodeUnauthenticated, msgAuthTokenInvalid)
		_, err = s.Refresh(ctx, sess.Token, nil)
		wantErr(t, err, errs.CodeUnauthenticated, msgRefreshInvalid)
		wantErr(t, s.Logout(ctx, c, sess.RefreshToken, ""), errs.CodeInvalidArgument, msgLogoutTokenInvalid)
		wantErr(t, s.Logout(ctx, c, "", sess.Token), errs.CodeInvalidArgument, msgLogoutRefreshBad)

		// A token without typ cannot be told apart with equal keys: refused both ways.
		now := time.Now().Unix()
		untyped := mustSign(t, cfg.EncryptionKey, tokenClaims{TokenID: c.TokenID, UserID: c.UserID, Username: c.Username,
			ExpiresAt: now + 60, IssuedAt: now})
		_, err = s.VerifySession(ctx, untyped)
		wantErr(t, err, errs.CodeUnauthenticated, msgAuthTokenInvalid)
		_, err = s.Refresh(ctx, untyped, nil)
		wantErr(t, err, errs.CodeUnauthenticated, msgRefreshInvalid)

		// The right kinds still work.
		if _, err := s.Refresh(ctx, sess.RefreshToken, nil); err != nil {
			t.Fatalf("refresh with the refresh token: %v", err)
		}
	})
}

// TestUntypedTokensWithDistinctKeys: tokens issued before the typ claim existed
// keep working while the keys differ (the signature tells the kinds apart), so
// an upgrade does not log every client out; a token of the wrong kind is still
// refused by its signature.
func TestUntypedTokensWithDistinctKeys(t *testing.T) {
	t.Parallel()
	eachDB(t, Config{}, func(t *testing.T, s *Service, db *gorm.DB) {
		sess := authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-typ-2"}))
		c := verify(t, s, sess.Token)
		now := time.Now().Unix()
		old := tokenClaims{TokenID: c.TokenID, UserID: c.UserID, Username: c.Username, ExpiresAt: now + 60, IssuedAt: now}
		oldSession, oldRefresh := mustSign(t, DefaultEncryptionKey, old), mustSign(t, DefaultRefreshEncryptionKey, old)
		if _, ok := payload(t, oldSession)["typ"]; ok {
			t.Fatal("the legacy token carries typ")
		}
		verify(t, s, oldSession)
		if _, err := s.Refresh(ctx, oldRefresh, nil); err != nil {
			t.Fatalf("refresh with an untyped refresh token: %v", err)
		}
		_, err := s.VerifySession(ctx, oldRefresh)
		wantErr(t, err, errs.CodeUnauthenticated, msgAuthTokenInvalid)
		_, err = s.Refresh(ctx, oldSession, nil)
		wantErr(t, err, errs.CodeUnauthenticated, msgRefreshInvalid)

		// A typed token of the wrong kind signed with the other key (forged by
		// someone holding only that key) is refused too.
		wrong := old
		wrong.Type = typeRefresh
		_, err = s.VerifySession(ctx, mustSign(t, DefaultEncryptionKey, wrong))
		wantErr(t, err, errs.CodeUnauthenticated, msgAuthTokenInvalid)
	})
}

// TestNewRefusesEmptyKeys: no silent fallback to the published defaults.
func TestNewRefusesEmptyKeys(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]Config{
		"no keys":               {},
		"no session key":        {RefreshEncryptionKey: "r"},
		"no refresh key":        {EncryptionKey: "s"},
		"whitespace session":    {EncryptionKey: " \t", RefreshEncryptionKey: "r"},
		"whitespace refresh":    {EncryptionKey: "s", RefreshEncryptionKey: "\n"},
		"both keys whitespaces": {EncryptionKey: " ", RefreshEncryptionKey: " "},
	} {
		if cfg.Validate() == nil {
			t.Errorf("%s: Validate accepted %+v", name, cfg)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: New did not panic", name)
				}
			}()
			New(nil, cfg)
		}()
	}
	if err := (Config{EncryptionKey: "s", RefreshEncryptionKey: "s"}).Validate(); err != nil {
		t.Errorf("equal keys refused at the accounts level: %v", err)
	}
}
