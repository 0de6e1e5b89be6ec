package accounts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/guildhall/guildhall/errs"
)

// TestPurgeExpiredSessions: rows whose expires_at is past go, in batches,
// logged out or not; live rows (logged out ones included) stay, and a live
// session still verifies and refreshes afterwards.
func TestPurgeExpiredSessions(t *testing.T) {
	t.Parallel()
	eachDB(t, Config{}, func(t *testing.T, s *Service, db *gorm.DB) {
		live := authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-purge-1"}))
		c := verify(t, s, live.Token)
		now := time.Now()
		add := func(n int, expires time.Time, revoked bool) {
			for range n {
				exec(t, db, "INSERT INTO user_sessions (token_id, user_id, vars, expires_at, revoked) VALUES (?, ?, '{}', ?, ?)",
					uuid.NewString(), c.UserID, expires.UnixMicro(), revoked)
			}
		}
		add(5, now.Add(-time.Hour), false)      // expired
		add(2, now.Add(-time.Second), true)     // expired and logged out
		add(3, now.Add(time.Hour), true)        // logged out, not yet expired
		add(1, now.Add(30*24*time.Hour), false) // far future
		const expired, kept = 7, 1 + 3 + 1

		n, err := s.PurgeExpiredSessions(ctx, 2) // 4 statements: 2, 2, 2, 1
		if err != nil || n != expired {
			t.Fatalf("purged %d (%v), want %d", n, err, expired)
		}
		if left := count(t, db, "SELECT COUNT(*) FROM user_sessions"); left != kept {
			t.Fatalf("%d rows left, want %d", left, kept)
		}
		if past := count(t, db, "SELECT COUNT(*) FROM user_sessions WHERE expires_at < ?", now.UnixMicro()); past != 0 {
			t.Fatalf("%d expired rows left", past)
		}
		if n, err := s.PurgeExpiredSessions(ctx, 0); err != nil || n != 0 {
			t.Fatalf("second purge: %d (%v), want 0", n, err)
		}
		verify(t, s, live.Token)
		if _, err := s.Refresh(ctx, live.RefreshToken, nil); err != nil {
			t.Fatalf("refresh after the purge: %v", err)
		}

		// Once the clock passes the live session's expiry it goes too.
		s.now = func() time.Time { return now.Add(2 * time.Hour) }
		if n, err := s.PurgeExpiredSessions(ctx, 0); err != nil || n != 1+3 {
			t.Fatalf("purge two hours later: %d (%v), want 4", n, err)
		}

		// A cancelled context stops it with the context's error.
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.PurgeExpiredSessions(cancelled, 0); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled purge: %v", err)
		}
	})
}

// TestSessionVarsLimits: vars beyond a limit are refused with a message naming
// it, before anything is stored; vars exactly at the limits are accepted.
func TestSessionVarsLimits(t *testing.T) {
	t.Parallel()
	eachDB(t, Config{}, func(t *testing.T, s *Service, db *gorm.DB) {
		many := func(n, valueLen int) map[string]string {
			m := map[string]string{}
			for i := range n {
				k := string(rune('a'+i%26)) + strings.Repeat("k", i/26)
				m[k] = strings.Repeat("v", valueLen)
			}
			return m
		}
		for _, tc := range []struct {
			name string
			vars map[string]string
			msg  string
		}{
			{"too many", many(MaxSessionVars+1, 1), "Session vars invalid, at most 32 vars are allowed."},
			{"key too long", map[string]string{strings.Repeat("k", MaxSessionVarKeyBytes+1): "v"},
				"Session vars invalid, a key must be at most 128 bytes."},
			{"value too long", map[string]string{"k": strings.Repeat("é", MaxSessionVarValueBytes/2+1)},
				"Session vars invalid, a value must be at most 1024 bytes."},
			{"total too large", many(5, MaxSessionVarValueBytes), "Session vars invalid, keys and values must total at most 4096 bytes."},
		} {
			before := count(t, db, "SELECT COUNT(*) FROM user_sessions")
			_, err := s.AuthenticateDevice(ctx, AuthRequest{ID: "device-vars-" + strings.ReplaceAll(tc.name, " ", "-"), Vars: tc.vars})
			wantErr(t, err, errs.CodeInvalidArgument, tc.msg)
			if after := count(t, db, "SELECT COUNT(*) FROM user_sessions"); after != before {
				t.Fatalf("%s: a session was stored", tc.name)
			}
			sess := authOK(t)(s.AuthenticateCustom(ctx, AuthRequest{ID: "custom-vars-1"}))
			_, err = s.Refresh(ctx, sess.RefreshToken, tc.vars)
			wantErr(t, err, errs.CodeInvalidArgument, tc.msg)
		}
		// Exactly at every limit: 32 vars, a 128-byte key, 1024-byte values,
		// 4096 bytes in total.
		atLimit := many(MaxSessionVars-1, 1)
		atLimit[strings.Repeat("k", MaxSessionVarKeyBytes)] = strings.Repeat("v", MaxSessionVarValueBytes)
		atLimit["a"], atLimit["b"] = strings.Repeat("w", MaxSessionVarValueBytes), strings.Repeat("w", MaxSessionVarValueBytes)
		total := 0
		for k, v := range atLimit {
			total += len(k) + len(v)
		}
		atLimit["c"] += strings.Repeat("x", MaxSessionVarsBytes-total)
		total = 0
		for k, v := range atLimit {
			total += len(k) + len(v)
		}
		if len(atLimit) != MaxSessionVars || total != MaxSessionVarsBytes || len(atLimit["c"]) > MaxSessionVarValueBytes {
			t.Fatalf("bad fixture: %d vars, %d bytes", len(atLimit), total)
		}
		sess := authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-vars-ok", Vars: atLimit}))
		if c := verify(t, s, sess.Token); len(c.Vars) != MaxSessionVars {
			t.Fatalf("%d vars in the token", len(c.Vars))
		}
	})
}
