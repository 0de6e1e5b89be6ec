package accounts

import (
	"crypto/rand"
	"fmt"
	"regexp"
	"strings"

	"github.com/guildhall/guildhall/errs"
)

// Validation follows Nakama's order and message texts exactly (reference §2.3).

// The user-facing messages, shared by validation and the tests.
const (
	msgDeviceIDRequired    = "Device ID is required."
	msgDeviceIDChars       = "Device ID invalid, no spaces or control characters allowed."
	msgDeviceIDLength      = "Device ID invalid, must be 10-128 bytes."
	msgCustomIDRequired    = "Custom ID is required."
	msgCustomIDChars       = "Custom ID invalid, no spaces or control characters allowed."
	msgCustomIDLength      = "Custom ID invalid, must be 6-128 bytes."
	msgEmailChars          = "Invalid email address, no spaces or control characters allowed."
	msgEmailFormat         = "Invalid email address format."
	msgEmailLength         = "Invalid email address, must be 10-255 bytes."
	msgPasswordLength      = "Password must be at least 8 characters long."
	msgUsernameRequired    = "Username is required when email address is not supplied."
	msgUsernameChars       = "Username invalid, no spaces or control characters allowed."
	msgUsernameLength      = "Username invalid, must be 1-128 bytes."
	msgAccountNotFound     = "User account not found."
	msgUsernameTaken       = "Username is already in use."
	msgBanned              = "User account banned."
	msgInvalidCredentials  = "Invalid credentials."
	msgRefreshRequired     = "Refresh token is required."
	msgRefreshInvalid      = "Refresh token invalid or expired."
	msgLogoutTokenInvalid  = "Session token invalid."
	msgLogoutRefreshBad    = "Refresh token invalid."
	msgAuthTokenInvalid    = "Auth token invalid"
	msgGetAccountNotFound  = "Account not found."
	msgNoFieldsToUpdate    = "No fields to update."
	generatedUsernameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

// isControl reports ASCII control characters (POSIX [[:cntrl:]]).
func isControl(b byte) bool { return b < 0x20 || b == 0x7f }

// hasSpaceOrControl: ids and emails may contain neither whitespace nor control
// characters.
func hasSpaceOrControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if isControl(s[i]) || s[i] == ' ' {
			return true
		}
	}
	return false
}

// hasControl: usernames may contain plain spaces but no control characters (tab,
// newline and the other whitespace below 0x20 are control characters).
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if isControl(s[i]) {
			return true
		}
	}
	return false
}

// validateID checks a device or custom id.
func validateID(id string, minLen int, required, chars, length string) error {
	switch {
	case id == "":
		return errs.Invalid(required)
	case hasSpaceOrControl(id):
		return errs.Invalid(chars)
	case len(id) < minLen || len(id) > 128:
		return errs.Invalid(length)
	}
	return nil
}

// emailFormat is Nakama's loose email shape: something, '@', something, '.',
// something.
var emailFormat = regexp.MustCompile(`^.+@.+\..+$`)

func validateEmail(email string) error {
	switch {
	case hasSpaceOrControl(email):
		return errs.Invalid(msgEmailChars)
	case !emailFormat.MatchString(email):
		return errs.Invalid(msgEmailFormat)
	case len(email) < 10 || len(email) > 255:
		return errs.Invalid(msgEmailLength)
	}
	return nil
}

// validateUsername checks a username the client sent; "" is valid here (the
// caller decides whether to generate one or to reject it).
func validateUsername(username string) error {
	switch {
	case username == "":
		return nil
	case hasControl(username):
		return errs.Invalid(msgUsernameChars)
	case len(username) > 128:
		return errs.Invalid(msgUsernameLength)
	}
	return nil
}

// generateUsername returns 10 random ASCII letters, as Nakama does. Letters only
// also keep the JWT payload plain (see encodePayload).
func generateUsername() string {
	const n = 10
	var b strings.Builder
	b.Grow(n)
	for b.Len() < n {
		var buf [16]byte
		// rand.Read never fails (it panics on a broken system source).
		_, _ = rand.Read(buf[:])
		for _, c := range buf {
			// Rejection sampling: 208 = 4*52, so c%52 is uniform below it.
			if c < 208 && b.Len() < n {
				b.WriteByte(generatedUsernameChars[int(c)%len(generatedUsernameChars)])
			}
		}
	}
	return b.String()
}

// Limits of a session's vars (authenticate and refresh bodies, after the before
// hooks). Nakama has none; here each login stores its vars in a session row and
// both tokens carry them in every request's Authorization header, so they are
// kept small: a few ids or flags, not a save game.
const (
	MaxSessionVars          = 32   // entries
	MaxSessionVarKeyBytes   = 128  // bytes of one key
	MaxSessionVarValueBytes = 1024 // bytes of one value
	MaxSessionVarsBytes     = 4096 // bytes of all keys and values together
)

// validateVars enforces the limits above, each with a message naming it.
func validateVars(vars map[string]string) error {
	if len(vars) > MaxSessionVars {
		return errs.Invalid(fmt.Sprintf("Session vars invalid, at most %d vars are allowed.", MaxSessionVars))
	}
	total := 0
	for k, v := range vars {
		if len(k) > MaxSessionVarKeyBytes {
			return errs.Invalid(fmt.Sprintf("Session vars invalid, a key must be at most %d bytes.", MaxSessionVarKeyBytes))
		}
		if len(v) > MaxSessionVarValueBytes {
			return errs.Invalid(fmt.Sprintf("Session vars invalid, a value must be at most %d bytes.", MaxSessionVarValueBytes))
		}
		total += len(k) + len(v)
	}
	if total > MaxSessionVarsBytes {
		return errs.Invalid(fmt.Sprintf("Session vars invalid, keys and values must total at most %d bytes.", MaxSessionVarsBytes))
	}
	return nil
}
