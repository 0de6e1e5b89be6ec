package accounts

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/errs"
)

// User is the public part of an account (Nakama's api.User, without the social
// ids, online flag and friend count, which Guildhall does not keep).
type User struct {
	ID          string
	Username    string
	DisplayName string
	AvatarURL   string
	LangTag     string
	Location    string
	Timezone    string
	Metadata    string // JSON text, "{}" by default
	CreateTime  time.Time
	UpdateTime  time.Time
}

// Account is the caller's own account (Nakama's api.Account). Empty strings and
// zero times mean unset; times are UTC with microsecond precision (Nakama's wire
// form has whole seconds).
type Account struct {
	User        User
	Wallet      string   // JSON text, "{}" by default
	Email       string   // lowercased
	Devices     []string // device ids, ascending
	CustomID    string
	VerifyTime  time.Time
	DisableTime time.Time
}

// microTime turns a stored unix-microsecond time into a time.Time; 0 is the zero
// time.
func microTime(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// GetAccount reads a user's account with its linked devices. An unknown or
// malformed user id gives 5 "Account not found.".
func (s *Service) GetAccount(ctx context.Context, userID string) (Account, error) {
	id, err := uuid.Parse(userID)
	if err != nil {
		return Account{}, errs.Errorf(errs.CodeNotFound, msgGetAccountNotFound)
	}
	var rows []userRow
	if err := s.rdb.WithContext(ctx).Where("id = ?", id.String()).Limit(1).Find(&rows).Error; err != nil {
		return Account{}, fmt.Errorf("accounts: get account: %w", err)
	}
	if len(rows) == 0 {
		return Account{}, errs.Errorf(errs.CodeNotFound, msgGetAccountNotFound)
	}
	u := rows[0]
	var devices []string
	if err := s.rdb.WithContext(ctx).Model(&deviceRow{}).Where("user_id = ?", u.ID).
		Order("id").Pluck("id", &devices).Error; err != nil {
		return Account{}, fmt.Errorf("accounts: get account devices: %w", err)
	}
	a := Account{
		User:        u.user(),
		Wallet:      u.Wallet,
		Devices:     devices,
		VerifyTime:  microTime(u.VerifyTime),
		DisableTime: microTime(u.DisableTime),
	}
	if u.Email != nil {
		a.Email = *u.Email
	}
	if u.CustomID != nil {
		a.CustomID = *u.CustomID
	}
	return a, nil
}

// AccountUpdate is a change to the caller's own account (Nakama's
// UpdateAccountRequest). A nil field is left as it is; an empty string clears
// the field (Nakama stores NULL; Guildhall stores "", read back the same way),
// except Username, which must be 1-128 bytes when given.
type AccountUpdate struct {
	Username    *string
	DisplayName *string
	AvatarURL   *string
	LangTag     *string
	Location    *string
	Timezone    *string
}

// Limits of the profile fields, in characters: Nakama's column sizes, which
// it enforces with a database error (a 500); here they are a 400.
const (
	MaxDisplayNameLen = 255
	MaxAvatarURLLen   = 512
	MaxLangTagLen     = 18
	MaxLocationLen    = 255
	MaxTimezoneLen    = 255
)

// UpdateAccount applies u to the user's account, in Nakama's order and words:
// username 1-128 bytes, no control characters; at least one field given
// ("No fields to update."); a username taken (case-insensitively) is 6
// "Username is already in use.". Nothing is written, and update_time is left,
// when every given field already has its value. Tokens issued earlier keep the
// old username until they are refreshed, as in Nakama.
func (s *Service) UpdateAccount(ctx context.Context, userID string, u AccountUpdate) error {
	if u.Username != nil {
		if len(*u.Username) < 1 || len(*u.Username) > 128 {
			return errs.Invalid(msgUsernameLength)
		}
		if hasControl(*u.Username) {
			return errs.Invalid(msgUsernameChars)
		}
	}
	updates := map[string]any{}
	var changed []string
	var args []any
	set := func(column string, v *string) {
		if v != nil {
			updates[column] = *v
			changed = append(changed, column+" <> ?")
			args = append(args, *v)
		}
	}
	for _, f := range []struct {
		column, label string
		v             *string
		max           int
	}{
		{"display_name", "Display name", u.DisplayName, MaxDisplayNameLen},
		{"avatar_url", "Avatar URL", u.AvatarURL, MaxAvatarURLLen},
		{"lang_tag", "Language tag", u.LangTag, MaxLangTagLen},
		{"location", "Location", u.Location, MaxLocationLen},
		{"timezone", "Timezone", u.Timezone, MaxTimezoneLen},
	} {
		if f.v == nil {
			continue
		}
		if err := checkText(f.label, *f.v, f.max); err != nil {
			return err
		}
		set(f.column, f.v)
	}
	set("username", u.Username)
	if len(updates) == 0 {
		return errs.Invalid(msgNoFieldsToUpdate)
	}
	if u.Username != nil {
		updates["username_key"] = usernameKey(*u.Username)
	}
	updates["update_time"] = s.now().UnixMicro()
	err := s.db.WithContext(ctx).Model(&userRow{}).
		Where("id = ?", userID).
		Where("("+strings.Join(changed, " OR ")+")", args...).
		Updates(updates).Error
	if isUniqueViolation(err) {
		return errs.Errorf(errs.CodeAlreadyExists, msgUsernameTaken)
	}
	if err != nil {
		return fmt.Errorf("accounts: update account: %w", err)
	}
	return nil
}

// checkText refuses what the database would store altered or refuse with a
// 500: invalid UTF-8, NUL characters, and text over max characters.
func checkText(label, v string, max int) error {
	switch {
	case !utf8.ValidString(v):
		return errs.Invalid(label + " must be valid UTF-8.")
	case strings.IndexByte(v, 0) >= 0:
		return errs.Invalid(label + " must not contain NUL characters.")
	case utf8.RuneCountInString(v) > max:
		return errs.Invalid(fmt.Sprintf("%s must be at most %d characters.", label, max))
	}
	return nil
}

// MaxGetUsers bounds the ids and usernames of one GetUsers call together.
const MaxGetUsers = 100

// GetUsers returns the users with the given ids or usernames (Nakama's
// GetUsers): each user once, ordered by username (case-insensitively); unknown
// ids and usernames are skipped. A malformed id is 3 "ID '…' is not a valid
// system ID."; more than MaxGetUsers ids and usernames is 3. Usernames match
// case-insensitively, as they are unique that way here.
func (s *Service) GetUsers(ctx context.Context, ids, usernames []string) ([]User, error) {
	if len(ids)+len(usernames) == 0 {
		return nil, nil
	}
	if len(ids)+len(usernames) > MaxGetUsers {
		return nil, errs.Invalid(fmt.Sprintf("At most %d user ids and usernames may be requested at once.", MaxGetUsers))
	}
	canonical := make([]string, 0, len(ids))
	for _, id := range ids {
		u, err := uuid.Parse(id)
		if err != nil {
			return nil, errs.Invalid("ID '" + id + "' is not a valid system ID.")
		}
		canonical = append(canonical, u.String())
	}
	keys := make([]string, 0, len(usernames))
	for _, name := range usernames {
		// A username no account can have (it would also be an error on
		// PostgreSQL) simply matches nobody.
		if utf8.ValidString(name) && !hasControl(name) && name != "" && len(name) <= 128 {
			keys = append(keys, usernameKey(name))
		}
	}
	q := s.rdb.WithContext(ctx).Model(&userRow{})
	switch {
	case len(canonical) > 0 && len(keys) > 0:
		q = q.Where("id IN ? OR username_key IN ?", canonical, keys)
	case len(canonical) > 0:
		q = q.Where("id IN ?", canonical)
	case len(keys) > 0:
		q = q.Where("username_key IN ?", keys)
	default:
		return nil, nil
	}
	var rows []userRow
	if err := q.Order("username_key").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("accounts: get users: %w", err)
	}
	out := make([]User, len(rows))
	for i, r := range rows {
		out[i] = r.user()
	}
	return out, nil
}

// user is the public part of a row.
func (u userRow) user() User {
	return User{
		ID:          u.ID,
		Username:    u.Username,
		DisplayName: u.DisplayName,
		AvatarURL:   u.AvatarURL,
		LangTag:     u.LangTag,
		Location:    u.Location,
		Timezone:    u.Timezone,
		Metadata:    u.Metadata,
		CreateTime:  microTime(u.CreateTime),
		UpdateTime:  microTime(u.UpdateTime),
	}
}
