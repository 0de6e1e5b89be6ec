package accounts

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/guildhall/guildhall/errs"
)

// AuthRequest is one authentication call. ID is the device or custom id; Email and
// Password are for AuthenticateEmail; Vars become the session's vars; Create nil
// means true (Nakama's default); Username is used only when an account is created
// (and, for AuthenticateEmail with no email, to log in by username).
type AuthRequest struct {
	ID       string
	Email    string
	Password string
	Vars     map[string]string
	Create   *bool
	Username string
}

func (r AuthRequest) create() bool { return r.Create == nil || *r.Create }

// AuthenticateDevice finds the account owning the device id, or creates one with
// the device linked, and starts a session.
func (s *Service) AuthenticateDevice(ctx context.Context, req AuthRequest) (Session, error) {
	if err := validateID(req.ID, 10, msgDeviceIDRequired, msgDeviceIDChars, msgDeviceIDLength); err != nil {
		return Session{}, err
	}
	if err := validateUsername(req.Username); err != nil {
		return Session{}, err
	}
	if err := validateVars(req.Vars); err != nil {
		return Session{}, err
	}
	acct := accountSpec{
		find:     func(ctx context.Context) (credentialRow, bool, error) { return s.userByDevice(ctx, req.ID) },
		deviceID: req.ID,
	}
	return s.authenticate(ctx, req, acct)
}

// AuthenticateCustom finds the account with the custom id, or creates one, and
// starts a session.
func (s *Service) AuthenticateCustom(ctx context.Context, req AuthRequest) (Session, error) {
	if err := validateID(req.ID, 6, msgCustomIDRequired, msgCustomIDChars, msgCustomIDLength); err != nil {
		return Session{}, err
	}
	if err := validateUsername(req.Username); err != nil {
		return Session{}, err
	}
	if err := validateVars(req.Vars); err != nil {
		return Session{}, err
	}
	customID := req.ID
	acct := accountSpec{
		find:     func(ctx context.Context) (credentialRow, bool, error) { return s.userByCustomID(ctx, customID) },
		customID: &customID,
	}
	return s.authenticate(ctx, req, acct)
}

// AuthenticateEmail logs in (or creates) the account with the email and password.
// With an empty email it logs in by username and password instead; that path never
// creates an account and ignores Create. Emails are stored and matched lowercased.
func (s *Service) AuthenticateEmail(ctx context.Context, req AuthRequest) (Session, error) {
	usernameLogin := req.Email == ""
	if !usernameLogin {
		if err := validateEmail(req.Email); err != nil {
			return Session{}, err
		}
	}
	if len(req.Password) < 8 {
		return Session{}, errs.Invalid(msgPasswordLength)
	}
	if usernameLogin && req.Username == "" {
		return Session{}, errs.Invalid(msgUsernameRequired)
	}
	if err := validateUsername(req.Username); err != nil {
		return Session{}, err
	}
	if err := validateVars(req.Vars); err != nil {
		return Session{}, err
	}

	checkPassword := func(c credentialRow) error {
		if c.disabled() {
			return errs.Errorf(errs.CodePermissionDenied, msgBanned)
		}
		if !passwordMatches(c.PasswordHash, req.Password) {
			return errs.Errorf(errs.CodeUnauthenticated, msgInvalidCredentials)
		}
		return nil
	}

	if usernameLogin {
		c, found, err := s.userByUsername(ctx, req.Username)
		if err != nil {
			return Session{}, fmt.Errorf("accounts: find user: %w", err)
		}
		if !found {
			return Session{}, errs.Errorf(errs.CodeNotFound, msgAccountNotFound)
		}
		if err := checkPassword(c); err != nil {
			return Session{}, err
		}
		return s.newSession(ctx, c.ID, c.Username, req.Vars, false)
	}

	email := strings.ToLower(req.Email)
	acct := accountSpec{
		find:  func(ctx context.Context) (credentialRow, bool, error) { return s.userByEmail(ctx, email) },
		check: checkPassword,
		email: &email,
		hash: func() (string, error) {
			h, err := bcrypt.GenerateFromPassword(bcryptInput(req.Password), s.bcryptCost)
			return string(h), err
		},
	}
	return s.authenticate(ctx, req, acct)
}

// accountSpec describes, for one kind of credential, how to find its account and
// what to write when creating one.
type accountSpec struct {
	find     func(ctx context.Context) (credentialRow, bool, error)
	check    func(credentialRow) error // for a found account; nil: only the ban check
	deviceID string                    // link this device to a created account
	customID *string
	email    *string
	hash     func() (string, error) // password hash for a created account
}

func (a accountSpec) checkFound(c credentialRow) error {
	if a.check != nil {
		return a.check(c)
	}
	if c.disabled() {
		return errs.Errorf(errs.CodePermissionDenied, msgBanned)
	}
	return nil
}

// authenticate finds or creates the account and starts a session.
func (s *Service) authenticate(ctx context.Context, req AuthRequest, a accountSpec) (Session, error) {
	c, created, err := s.findOrCreate(ctx, req, a)
	if err != nil {
		return Session{}, err
	}
	return s.newSession(ctx, c.ID, c.Username, req.Vars, created)
}

// maxGeneratedNameAttempts bounds retries when a generated username collides.
const maxGeneratedNameAttempts = 3

func (s *Service) findOrCreate(ctx context.Context, req AuthRequest, a accountSpec) (credentialRow, bool, error) {
	c, found, err := a.find(ctx)
	if err != nil {
		return credentialRow{}, false, fmt.Errorf("accounts: find user: %w", err)
	}
	if found {
		// An existing account keeps its username; the one sent is ignored.
		return c, false, a.checkFound(c)
	}
	if !req.create() {
		return credentialRow{}, false, errs.Errorf(errs.CodeNotFound, msgAccountNotFound)
	}

	var passwordHash string
	if a.hash != nil {
		if passwordHash, err = a.hash(); err != nil {
			return credentialRow{}, false, fmt.Errorf("accounts: hash password: %w", err)
		}
	}
	generated := req.Username == ""
	for attempt := 1; ; attempt++ {
		username := req.Username
		if generated {
			username = generateUsername()
		}
		now := s.now().UnixMicro()
		row := userRow{
			ID:           uuid.NewString(),
			Username:     username,
			UsernameKey:  usernameKey(username),
			LangTag:      "en",
			Metadata:     "{}",
			Wallet:       "{}",
			Email:        a.email,
			PasswordHash: passwordHash,
			CustomID:     a.customID,
			CreateTime:   now,
			UpdateTime:   now,
		}
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
			if a.deviceID != "" {
				return tx.Create(&deviceRow{ID: a.deviceID, UserID: row.ID}).Error
			}
			return nil
		})
		if err == nil {
			return credentialRow{ID: row.ID, Username: row.Username, PasswordHash: row.PasswordHash}, true, nil
		}
		if !isUniqueViolation(err) {
			return credentialRow{}, false, fmt.Errorf("accounts: create user: %w", err)
		}
		// Either a concurrent call created the account for this credential first
		// (the transaction was rolled back, so look again: the winner has
		// committed), or the username belongs to someone else.
		c, found, ferr := a.find(ctx)
		if ferr != nil {
			return credentialRow{}, false, fmt.Errorf("accounts: find user: %w", ferr)
		}
		if found {
			return c, false, a.checkFound(c)
		}
		if generated && attempt < maxGeneratedNameAttempts {
			continue
		}
		return credentialRow{}, false, errs.Errorf(errs.CodeAlreadyExists, msgUsernameTaken)
	}
}

// bcryptInput is the password as hashed: bcrypt reads at most 72 bytes, and
// golang.org/x/crypto refuses longer input rather than truncating. Truncating
// here, as classic bcrypt does, accepts long passwords and matches hashes made by
// implementations that truncate.
func bcryptInput(password string) []byte {
	b := []byte(password)
	if len(b) > 72 {
		b = b[:72]
	}
	return b
}

// passwordMatches compares a password with a stored bcrypt hash; an account
// without a password never matches (Nakama does not tell the two cases apart).
func passwordMatches(hash, password string) bool {
	if hash == "" {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), bcryptInput(password)) == nil
}
