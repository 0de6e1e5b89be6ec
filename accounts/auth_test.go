package accounts

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/guildhall/guildhall/errs"
)

var ctx = context.Background()

// verify returns the claims of a session token, failing the test on error.
func verify(t *testing.T, s *Service, token string) Claims {
	t.Helper()
	c, err := s.VerifySession(ctx, token)
	if err != nil {
		t.Fatalf("VerifySession: %v", err)
	}
	return c
}

// authOK returns a function taking an authentication's results, so that
// authOK(t)(s.AuthenticateDevice(...)) fails the test on error.
func authOK(t *testing.T) func(Session, error) Session {
	return func(sess Session, err error) Session {
		t.Helper()
		if err != nil {
			t.Fatalf("authenticate: %v", err)
		}
		if strings.Count(sess.Token, ".") != 2 || strings.Count(sess.RefreshToken, ".") != 2 {
			t.Fatalf("malformed tokens %q %q", sess.Token, sess.RefreshToken)
		}
		return sess
	}
}

func TestValidationMessages(t *testing.T) {
	t.Parallel()
	const (
		goodDevice = "device-0001"
		goodEmail  = "someone@example.com"
		goodPass   = "password1"
	)
	long := strings.Repeat("x", 129)
	cases := []struct {
		name string
		call func(s *Service) error
		msg  string
	}{
		{"device missing", dev(AuthRequest{}), msgDeviceIDRequired},
		{"device space", dev(AuthRequest{ID: "device 0001"}), msgDeviceIDChars},
		{"device tab", dev(AuthRequest{ID: "device\t0001"}), msgDeviceIDChars},
		{"device newline", dev(AuthRequest{ID: "device0001\n"}), msgDeviceIDChars},
		{"device control", dev(AuthRequest{ID: "device\x000001"}), msgDeviceIDChars},
		{"device DEL", dev(AuthRequest{ID: "device\x7f0001"}), msgDeviceIDChars},
		{"device 9 bytes", dev(AuthRequest{ID: "123456789"}), msgDeviceIDLength},
		{"device 129 bytes", dev(AuthRequest{ID: long}), msgDeviceIDLength},
		{"custom missing", cus(AuthRequest{}), msgCustomIDRequired},
		{"custom space", cus(AuthRequest{ID: "cus tom"}), msgCustomIDChars},
		{"custom control", cus(AuthRequest{ID: "cus\x01tom"}), msgCustomIDChars},
		{"custom 5 bytes", cus(AuthRequest{ID: "abcde"}), msgCustomIDLength},
		{"custom 129 bytes", cus(AuthRequest{ID: long}), msgCustomIDLength},
		{"email space", mail(AuthRequest{Email: "some one@example.com", Password: goodPass}), msgEmailChars},
		{"email control", mail(AuthRequest{Email: "someone@exa\x02mple.com", Password: goodPass}), msgEmailChars},
		{"email no at", mail(AuthRequest{Email: "someone.example.com", Password: goodPass}), msgEmailFormat},
		{"email no dot", mail(AuthRequest{Email: "someone@examplecom", Password: goodPass}), msgEmailFormat},
		{"email short", mail(AuthRequest{Email: "a@b.co", Password: goodPass}), msgEmailLength},
		{"email long", mail(AuthRequest{Email: strings.Repeat("a", 250) + "@b.com", Password: goodPass}), msgEmailLength},
		{"email format before password", mail(AuthRequest{Email: "bad", Password: "x"}), msgEmailFormat},
		{"password short", mail(AuthRequest{Email: goodEmail, Password: "1234567"}), msgPasswordLength},
		{"password missing", mail(AuthRequest{Email: goodEmail}), msgPasswordLength},
		{"no email, short password", mail(AuthRequest{Password: "short"}), msgPasswordLength},
		{"no email, no username", mail(AuthRequest{Password: goodPass}), msgUsernameRequired},
		{"no email, bad username", mail(AuthRequest{Password: goodPass, Username: "a\tb"}), msgUsernameChars},
		{"username tab", dev(AuthRequest{ID: goodDevice, Username: "a\tb"}), msgUsernameChars},
		{"username newline", cus(AuthRequest{ID: "custom1", Username: "ab\n"}), msgUsernameChars},
		{"username DEL", mail(AuthRequest{Email: goodEmail, Password: goodPass, Username: "a\x7fb"}), msgUsernameChars},
		{"username 129 bytes", dev(AuthRequest{ID: goodDevice, Username: long}), msgUsernameLength},
		{"username 129 bytes (custom)", cus(AuthRequest{ID: "custom1", Username: long}), msgUsernameLength},
		{"username 129 bytes (email)", mail(AuthRequest{Email: goodEmail, Password: goodPass, Username: long}), msgUsernameLength},
	}
	eachDB(t, Config{}, func(t *testing.T, s *Service, db *gorm.DB) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				wantErr(t, c.call(s), errs.CodeInvalidArgument, c.msg)
			})
		}
		if n := count(t, db, "SELECT COUNT(*) FROM users"); n != 0 {
			t.Fatalf("validation failures created %d users", n)
		}

		// The boundaries themselves pass; plain spaces in usernames pass.
		authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "0123456789"}))
		authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: strings.Repeat("d", 128)}))
		authOK(t)(s.AuthenticateCustom(ctx, AuthRequest{ID: "abcdef"}))
		authOK(t)(s.AuthenticateCustom(ctx, AuthRequest{ID: strings.Repeat("c", 128)}))
		authOK(t)(s.AuthenticateEmail(ctx, AuthRequest{Email: "a@b.cd.efg", Password: "12345678"}))
		sess := authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-with-space-name", Username: "has a space"}))
		if got := verify(t, s, sess.Token).Username; got != "has a space" {
			t.Fatalf("username %q", got)
		}
		sess = authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-with-long-name", Username: strings.Repeat("u", 128)}))
		if got := verify(t, s, sess.Token).Username; len(got) != 128 {
			t.Fatalf("username of %d bytes", len(got))
		}
	})
}

func dev(r AuthRequest) func(*Service) error {
	return func(s *Service) error { _, err := s.AuthenticateDevice(ctx, r); return err }
}
func cus(r AuthRequest) func(*Service) error {
	return func(s *Service) error { _, err := s.AuthenticateCustom(ctx, r); return err }
}
func mail(r AuthRequest) func(*Service) error {
	return func(s *Service) error { _, err := s.AuthenticateEmail(ctx, r); return err }
}

var generatedName = regexp.MustCompile(`^[A-Za-z]{10}$`)

func TestDeviceAndCustomCreateAndLogin(t *testing.T) {
	t.Parallel()
	type authFn func(*Service, AuthRequest) (Session, error)
	kinds := map[string]authFn{
		"device": func(s *Service, r AuthRequest) (Session, error) { return s.AuthenticateDevice(ctx, r) },
		"custom": func(s *Service, r AuthRequest) (Session, error) { return s.AuthenticateCustom(ctx, r) },
	}
	eachDB(t, Config{}, func(t *testing.T, s *Service, db *gorm.DB) {
		for kind, auth := range kinds {
			t.Run(kind, func(t *testing.T) {
				// create=false on an unknown id: not found, nothing created.
				_, err := auth(s, AuthRequest{ID: kind + "-unknown-1", Create: boolPtr(false)})
				wantErr(t, err, errs.CodeNotFound, msgAccountNotFound)

				// First call creates, with a generated username.
				first := authOK(t)(auth(s, AuthRequest{ID: kind + "-id-0001"}))
				if !first.Created {
					t.Fatal("first authentication: created = false")
				}
				c1 := verify(t, s, first.Token)
				if !generatedName.MatchString(c1.Username) {
					t.Fatalf("generated username %q", c1.Username)
				}

				// Later calls log in: same user, created false, username sent ignored,
				// create=false fine.
				for _, r := range []AuthRequest{
					{ID: kind + "-id-0001"},
					{ID: kind + "-id-0001", Username: "SomeoneElse"},
					{ID: kind + "-id-0001", Create: boolPtr(false)},
				} {
					again := authOK(t)(auth(s, r))
					if again.Created {
						t.Fatalf("%+v: created = true for an existing account", r)
					}
					c := verify(t, s, again.Token)
					if c.UserID != c1.UserID || c.Username != c1.Username {
						t.Fatalf("%+v: got user %s/%s, want %s/%s", r, c.UserID, c.Username, c1.UserID, c1.Username)
					}
					if c.TokenID == c1.TokenID {
						t.Fatal("a new authentication reused the token id")
					}
				}

				// A username given at creation is kept as sent (case included).
				named := authOK(t)(auth(s, AuthRequest{ID: kind + "-id-0002", Username: "Mixed Case " + kind}))
				if c := verify(t, s, named.Token); c.Username != "Mixed Case "+kind || !named.Created {
					t.Fatalf("got %q created=%v", c.Username, named.Created)
				}
			})
		}
		if n := count(t, db, "SELECT COUNT(*) FROM users"); n != 4 {
			t.Fatalf("%d users, want 4", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM user_devices"); n != 2 {
			t.Fatalf("%d devices, want 2", n)
		}
	})
}

func TestEmailCreateAndLogin(t *testing.T) {
	t.Parallel()
	eachDB(t, Config{}, func(t *testing.T, s *Service, db *gorm.DB) {
		_, err := s.AuthenticateEmail(ctx, AuthRequest{Email: "nobody@example.com", Password: "password1", Create: boolPtr(false)})
		wantErr(t, err, errs.CodeNotFound, msgAccountNotFound)

		created := authOK(t)(s.AuthenticateEmail(ctx, AuthRequest{Email: "Alice@Example.COM", Password: "correct horse", Username: "Alice"}))
		if !created.Created {
			t.Fatal("created = false")
		}
		alice := verify(t, s, created.Token)
		acct, err := s.GetAccount(ctx, alice.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if acct.Email != "alice@example.com" {
			t.Fatalf("stored email %q, want lowercased", acct.Email)
		}
		var hash string
		db.Raw("SELECT password_hash FROM users WHERE id = ?", alice.UserID).Scan(&hash)
		if !strings.HasPrefix(hash, "$2") || strings.Contains(hash, "correct horse") {
			t.Fatalf("password stored as %q", hash)
		}

		// Login by email, any case; create flag irrelevant for an existing account.
		for _, r := range []AuthRequest{
			{Email: "alice@example.com", Password: "correct horse"},
			{Email: "ALICE@EXAMPLE.COM", Password: "correct horse", Create: boolPtr(false), Username: "Ignored"},
		} {
			sess := authOK(t)(s.AuthenticateEmail(ctx, r))
			if c := verify(t, s, sess.Token); sess.Created || c.UserID != alice.UserID || c.Username != "Alice" {
				t.Fatalf("%+v: created=%v user=%s/%s", r, sess.Created, c.UserID, c.Username)
			}
		}
		_, err = s.AuthenticateEmail(ctx, AuthRequest{Email: "alice@example.com", Password: "wrong password"})
		wantErr(t, err, errs.CodeUnauthenticated, msgInvalidCredentials)

		// Username + password when the email is empty: case-insensitive username,
		// never creates, ignores create.
		sess := authOK(t)(s.AuthenticateEmail(ctx, AuthRequest{Username: "aLiCe", Password: "correct horse", Create: boolPtr(false)}))
		if c := verify(t, s, sess.Token); sess.Created || c.UserID != alice.UserID || c.Username != "Alice" {
			t.Fatalf("username login: created=%v user=%s/%s", sess.Created, c.UserID, c.Username)
		}
		_, err = s.AuthenticateEmail(ctx, AuthRequest{Username: "Alice", Password: "wrong password"})
		wantErr(t, err, errs.CodeUnauthenticated, msgInvalidCredentials)
		_, err = s.AuthenticateEmail(ctx, AuthRequest{Username: "ghost", Password: "password1", Create: boolPtr(true)})
		wantErr(t, err, errs.CodeNotFound, msgAccountNotFound)

		// An account without a password cannot log in by username.
		authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-no-password", Username: "devuser"}))
		_, err = s.AuthenticateEmail(ctx, AuthRequest{Username: "devuser", Password: "password1"})
		wantErr(t, err, errs.CodeUnauthenticated, msgInvalidCredentials)

		// A generated username when none is given.
		gen := authOK(t)(s.AuthenticateEmail(ctx, AuthRequest{Email: "bob@example.com", Password: "password1"}))
		if c := verify(t, s, gen.Token); !gen.Created || !generatedName.MatchString(c.Username) {
			t.Fatalf("created=%v username=%q", gen.Created, c.Username)
		}

		// Passwords longer than bcrypt's 72 bytes work (the first 72 bytes count).
		long := strings.Repeat("p", 100)
		authOK(t)(s.AuthenticateEmail(ctx, AuthRequest{Email: "long@example.com", Password: long}))
		authOK(t)(s.AuthenticateEmail(ctx, AuthRequest{Email: "long@example.com", Password: long}))
	})
}

func TestUsernameTaken(t *testing.T) {
	t.Parallel()
	eachDB(t, Config{}, func(t *testing.T, s *Service, db *gorm.DB) {
		authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-owner-1", Username: "Taken"}))
		for _, call := range []func(*Service) error{
			dev(AuthRequest{ID: "device-other-1", Username: "Taken"}),
			dev(AuthRequest{ID: "device-other-1", Username: "taken"}), // case-insensitive
			cus(AuthRequest{ID: "custom-other", Username: "TAKEN"}),
			mail(AuthRequest{Email: "other@example.com", Password: "password1", Username: "tAkEn"}),
		} {
			wantErr(t, call(s), errs.CodeAlreadyExists, msgUsernameTaken)
		}
		// Nothing was created by the failed calls.
		if n := count(t, db, "SELECT COUNT(*) FROM users"); n != 1 {
			t.Fatalf("%d users, want 1", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM user_devices"); n != 1 {
			t.Fatalf("%d devices, want 1", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM user_sessions"); n != 1 {
			t.Fatalf("%d sessions, want 1", n)
		}
		// The device is free for another username afterwards.
		sess := authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-other-1", Username: "Free"}))
		if !sess.Created {
			t.Fatal("created = false")
		}
	})
}

func TestDisabledUser(t *testing.T) {
	t.Parallel()
	eachDB(t, Config{}, func(t *testing.T, s *Service, db *gorm.DB) {
		devSess := authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-banned-1"}))
		mailSess := authOK(t)(s.AuthenticateEmail(ctx, AuthRequest{Email: "banned@example.com", Password: "password1", Username: "banned"}))
		cusSess := authOK(t)(s.AuthenticateCustom(ctx, AuthRequest{ID: "custom-banned"}))
		for _, sess := range []Session{devSess, mailSess, cusSess} {
			verify(t, s, sess.Token) // fills the verify cache
		}
		exec(t, db, "UPDATE users SET disable_time = ?", time.Now().UnixMicro())
		for _, sess := range []Session{devSess, mailSess, cusSess} {
			s.ForgetUser(verify(t, s, sess.Token).UserID)
		}

		for _, call := range []func(*Service) error{
			dev(AuthRequest{ID: "device-banned-1"}),
			cus(AuthRequest{ID: "custom-banned"}),
			mail(AuthRequest{Email: "banned@example.com", Password: "password1"}),
			mail(AuthRequest{Email: "banned@example.com", Password: "wrong password"}), // ban is checked first
			mail(AuthRequest{Username: "banned", Password: "password1"}),
		} {
			wantErr(t, call(s), errs.CodePermissionDenied, msgBanned)
		}
		for _, sess := range []Session{devSess, mailSess, cusSess} {
			_, err := s.VerifySession(ctx, sess.Token)
			wantErr(t, err, errs.CodeUnauthenticated, msgAuthTokenInvalid)
			_, err = s.Refresh(ctx, sess.RefreshToken, nil)
			wantErr(t, err, errs.CodePermissionDenied, msgBanned)
		}
	})
}

// TestConcurrentFirstAuthentication fires 20 first-time authentications of one
// credential at once: exactly one account is created, every call succeeds and
// all of them get that account.
func TestConcurrentFirstAuthentication(t *testing.T) {
	t.Parallel()
	calls := map[string]func(s *Service, username string) (Session, error){
		"device": func(s *Service, u string) (Session, error) {
			return s.AuthenticateDevice(ctx, AuthRequest{ID: "race-device-0001", Username: u})
		},
		"custom": func(s *Service, u string) (Session, error) {
			return s.AuthenticateCustom(ctx, AuthRequest{ID: "race-custom", Username: u})
		},
		"email": func(s *Service, u string) (Session, error) {
			return s.AuthenticateEmail(ctx, AuthRequest{Email: "race@example.com", Password: "password1", Username: u})
		},
	}
	for name, mode := range map[string]pools{"production pools": productionPools, "plain pools": plainPools} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raceFirstAuthentication(t, mode, calls)
		})
	}
}

func raceFirstAuthentication(t *testing.T, mode pools, calls map[string]func(s *Service, username string) (Session, error)) {
	const n = 20
	eachDBWith(t, mode, Config{}, func(t *testing.T, s *Service, db *gorm.DB) {
		for _, kind := range []string{"device", "custom", "email"} {
			for _, sameName := range []bool{false, true} {
				exec(t, db, "DELETE FROM users")
				username := func() string {
					if sameName {
						return "Racer"
					}
					return "" // each call generates its own
				}
				var (
					wg       sync.WaitGroup
					start    = make(chan struct{})
					sessions [n]Session
					errs     [n]error
				)
				for i := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						sessions[i], errs[i] = calls[kind](s, username())
					}()
				}
				close(start)
				wg.Wait()

				createdCount := 0
				userIDs := map[string]bool{}
				for i := range n {
					if errs[i] != nil {
						t.Fatalf("%s (same username %v): call %d: %v", kind, sameName, i, errs[i])
					}
					if sessions[i].Created {
						createdCount++
					}
					userIDs[verify(t, s, sessions[i].Token).UserID] = true
				}
				if createdCount != 1 || len(userIDs) != 1 {
					t.Fatalf("%s (same username %v): %d created, %d distinct users; want 1 and 1", kind, sameName, createdCount, len(userIDs))
				}
				if u := count(t, db, "SELECT COUNT(*) FROM users"); u != 1 {
					t.Fatalf("%s: %d users in the table", kind, u)
				}
				if kind == "device" {
					if d := count(t, db, "SELECT COUNT(*) FROM user_devices"); d != 1 {
						t.Fatalf("%d devices in the table", d)
					}
				}
				if ns := count(t, db, "SELECT COUNT(*) FROM user_sessions"); ns != n {
					t.Fatalf("%s: %d sessions, want %d", kind, ns, n)
				}
			}
		}
	})
}

func TestGetAccount(t *testing.T) {
	t.Parallel()
	eachDB(t, Config{}, func(t *testing.T, s *Service, db *gorm.DB) {
		before := time.Now().Add(-time.Second)
		sess := authOK(t)(s.AuthenticateDevice(ctx, AuthRequest{ID: "device-account-1", Username: "Carol"}))
		uid := verify(t, s, sess.Token).UserID
		exec(t, db, "INSERT INTO user_devices (id, user_id) VALUES (?, ?)", "device-account-0", uid)

		a, err := s.GetAccount(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		u := a.User
		if u.ID != uid || u.Username != "Carol" || u.LangTag != "en" || u.Metadata != "{}" || a.Wallet != "{}" {
			t.Fatalf("account %+v", a)
		}
		if u.DisplayName != "" || u.AvatarURL != "" || u.Location != "" || u.Timezone != "" || a.Email != "" || a.CustomID != "" {
			t.Fatalf("unset fields not empty: %+v", a)
		}
		if len(a.Devices) != 2 || a.Devices[0] != "device-account-0" || a.Devices[1] != "device-account-1" {
			t.Fatalf("devices %v", a.Devices)
		}
		if u.CreateTime.Before(before) || u.CreateTime.After(time.Now()) || !u.UpdateTime.Equal(u.CreateTime) {
			t.Fatalf("times %v %v", u.CreateTime, u.UpdateTime)
		}
		if u.CreateTime.Location() != time.UTC {
			t.Fatalf("create time not UTC: %v", u.CreateTime)
		}
		if !a.VerifyTime.IsZero() || !a.DisableTime.IsZero() {
			t.Fatalf("verify/disable time set: %v %v", a.VerifyTime, a.DisableTime)
		}

		sess = authOK(t)(s.AuthenticateCustom(ctx, AuthRequest{ID: "custom-account"}))
		a, err = s.GetAccount(ctx, verify(t, s, sess.Token).UserID)
		if err != nil {
			t.Fatal(err)
		}
		if a.CustomID != "custom-account" || len(a.Devices) != 0 {
			t.Fatalf("custom account %+v", a)
		}
		exec(t, db, "UPDATE users SET verify_time = ?, disable_time = ? WHERE id = ?", int64(1_700_000_000_000_001), int64(1_700_000_001_000_000), a.User.ID)
		a, err = s.GetAccount(ctx, a.User.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !a.VerifyTime.Equal(time.UnixMicro(1_700_000_000_000_001)) || !a.DisableTime.Equal(time.Unix(1_700_000_001, 0)) {
			t.Fatalf("times %v %v", a.VerifyTime, a.DisableTime)
		}

		_, err = s.GetAccount(ctx, "4b1e7a4e-9a38-4c46-8f5e-2f1f3f0e9c11")
		wantErr(t, err, errs.CodeNotFound, msgGetAccountNotFound)
		_, err = s.GetAccount(ctx, "not-a-uuid")
		wantErr(t, err, errs.CodeNotFound, msgGetAccountNotFound)
	})
}

func TestDefaultBcryptCost(t *testing.T) {
	t.Parallel()
	if s := New(nil, keyed(Config{})); s.bcryptCost != bcrypt.DefaultCost {
		t.Fatalf("bcrypt cost %d, want %d", s.bcryptCost, bcrypt.DefaultCost)
	}
}
