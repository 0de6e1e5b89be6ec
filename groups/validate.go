package groups

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/errs"
)

// parseID canonicalises a UUID (lower-case, hyphenated) so every store compares
// ids the same way; the nil UUID is never a valid id.
func parseID(s string) (string, bool) {
	id, err := uuid.Parse(s)
	if err != nil || id == uuid.Nil {
		return "", false
	}
	if canonicalID(s) {
		return s, true // the common case: no new string
	}
	return id.String(), true
}

// canonicalID reports whether a string uuid.Parse accepted is already in the
// lower-case hyphenated form (uuid.Parse also takes upper case, braces, urn:).
func canonicalID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'F' {
			return false
		}
	}
	return true
}

// checkActor canonicalises a user actor's id, which script callers (nk) pass
// as they got it: an upper-case id must act as the same user.
func checkActor(a Actor) (Actor, error) {
	if a.UserID == "" {
		return a, nil
	}
	id, ok := parseID(a.UserID)
	if !ok {
		return a, errs.Invalid("User ID must be a valid ID.")
	}
	a.UserID = id
	return a, nil
}

// checkInt32 refuses numbers an INTEGER column cannot hold; script callers
// (Lua numbers are float64) can pass any.
func checkInt32(field string, n int) error {
	if n < math.MinInt32 || n > math.MaxInt32 {
		return errs.Invalid(fmt.Sprintf("%s must be between %d and %d.", field, math.MinInt32, math.MaxInt32))
	}
	return nil
}

func checkGroupID(s string) (string, error) {
	if s == "" {
		return "", errs.Invalid("Group ID must be set.")
	}
	id, ok := parseID(s)
	if !ok {
		return "", errs.Invalid("Group ID must be a valid ID.")
	}
	return id, nil
}

// checkUserIDs validates and de-duplicates target ids, keeping their order.
func checkUserIDs(ids []string) ([]string, error) {
	if len(ids) > MaxBatchUsers {
		return nil, errs.Invalid(fmt.Sprintf("Too many user IDs, at most %d per call.", MaxBatchUsers))
	}
	return checkIDs(ids, "User ID must be a valid ID.")
}

// checkIDs validates and de-duplicates ids, keeping their order.
func checkIDs(ids []string, invalid string) ([]string, error) {
	out := make([]string, 0, len(ids))
	seen := make(map[string]struct{}, len(ids))
	for _, s := range ids {
		id, ok := parseID(s)
		if !ok {
			return nil, errs.Invalid(invalid)
		}
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out, nil
}

// checkText enforces what the database would otherwise reject with a 500:
// valid UTF-8, no NUL bytes, and a length in characters.
func checkText(field, v string, max int) error {
	if !utf8.ValidString(v) {
		return errs.Invalid(field + " must be valid UTF-8.")
	}
	if strings.IndexByte(v, 0) >= 0 {
		return errs.Invalid(field + " must not contain NUL characters.")
	}
	if utf8.RuneCountInString(v) > max {
		return errs.Invalid(fmt.Sprintf("%s must be at most %d characters.", field, max))
	}
	return nil
}

// checkMetadata requires a JSON object of at most MaxMetadataBytes.
func checkMetadata(v string) error {
	if len(v) > MaxMetadataBytes {
		return errs.Invalid(fmt.Sprintf("Metadata must be at most %d bytes.", MaxMetadataBytes))
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(v), &obj); err != nil || obj == nil {
		return errs.Invalid("Metadata must be a JSON object.")
	}
	if strings.Contains(v, `\u0000`) {
		return errs.Invalid("Metadata must not contain NUL characters.")
	}
	return nil
}

func checkLimit(limit, def int) (int, error) {
	if limit == 0 {
		return def, nil
	}
	if limit < 1 || limit > MaxListLimit {
		return 0, errs.Invalid("Invalid limit - limit must be between 1 and 100.")
	}
	return limit, nil
}

var msgMaxCountRange = fmt.Sprintf("Group max count must be at most %d.", MaxMaxCount)

// nameKey is the case-insensitive identity of a group name.
func nameKey(name string) string { return strings.ToLower(name) }

// The checks other domain packages (the inbox) share with groups, with the
// same messages.

// ParseID returns the canonical form of a UUID (not the nil one).
func ParseID(s string) (string, bool) { return parseID(s) }

// CheckText refuses invalid UTF-8, NUL characters and more than max characters.
func CheckText(field, v string, max int) error { return checkText(field, v, max) }

// CheckInt32 refuses a number an INTEGER column cannot hold.
func CheckInt32(field string, n int) error { return checkInt32(field, n) }

// CheckLimit returns a listing's limit: def for 0, else 1…MaxListLimit.
func CheckLimit(limit, def int) (int, error) { return checkLimit(limit, def) }

// CheckIDs returns ids canonical and without duplicates, or Invalid(invalid).
func CheckIDs(ids []string, invalid string) ([]string, error) { return checkIDs(ids, invalid) }
