package accounts

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// Row models of migrations/*/00001_init.sql. Ids are canonical lowercase UUID
// strings (SQLite stores them as TEXT, PostgreSQL as UUID); times are unix
// microseconds, 0 meaning unset. No field carries a gorm default tag, so an insert
// writes every column exactly as set here and needs no RETURNING.

type userRow struct {
	ID           string  `gorm:"column:id;primaryKey"`
	Username     string  `gorm:"column:username"`
	UsernameKey  string  `gorm:"column:username_key"`
	DisplayName  string  `gorm:"column:display_name"`
	AvatarURL    string  `gorm:"column:avatar_url"`
	LangTag      string  `gorm:"column:lang_tag"`
	Location     string  `gorm:"column:location"`
	Timezone     string  `gorm:"column:timezone"`
	Metadata     string  `gorm:"column:metadata"`
	Wallet       string  `gorm:"column:wallet"`
	Email        *string `gorm:"column:email"`
	PasswordHash string  `gorm:"column:password_hash"`
	CustomID     *string `gorm:"column:custom_id"`
	CreateTime   int64   `gorm:"column:create_time"`
	UpdateTime   int64   `gorm:"column:update_time"`
	VerifyTime   int64   `gorm:"column:verify_time"`
	DisableTime  int64   `gorm:"column:disable_time"`
}

func (userRow) TableName() string { return "users" }

type deviceRow struct {
	ID     string `gorm:"column:id;primaryKey"`
	UserID string `gorm:"column:user_id"`
}

func (deviceRow) TableName() string { return "user_devices" }

type sessionRow struct {
	TokenID   string `gorm:"column:token_id;primaryKey"`
	UserID    string `gorm:"column:user_id"`
	Vars      string `gorm:"column:vars"`
	ExpiresAt int64  `gorm:"column:expires_at"`
	Revoked   bool   `gorm:"column:revoked"`
}

func (sessionRow) TableName() string { return "user_sessions" }

// credentialRow is what an authentication needs to know about a found account.
type credentialRow struct {
	ID           string `gorm:"column:id"`
	Username     string `gorm:"column:username"`
	PasswordHash string `gorm:"column:password_hash"`
	DisableTime  int64  `gorm:"column:disable_time"`
}

func (c credentialRow) disabled() bool { return c.DisableTime != 0 }

// findCredential runs a query selecting credentialRow's columns; found is false
// when it returns no row.
func (s *Service) findCredential(ctx context.Context, query string, args ...any) (credentialRow, bool, error) {
	var rows []credentialRow
	if err := s.rdb.WithContext(ctx).Raw(query, args...).Scan(&rows).Error; err != nil {
		return credentialRow{}, false, err
	}
	if len(rows) == 0 {
		return credentialRow{}, false, nil
	}
	return rows[0], true, nil
}

const credentialColumns = "u.id, u.username, u.password_hash, u.disable_time"

func (s *Service) userByDevice(ctx context.Context, deviceID string) (credentialRow, bool, error) {
	return s.findCredential(ctx, "SELECT "+credentialColumns+
		" FROM user_devices d JOIN users u ON u.id = d.user_id WHERE d.id = ?", deviceID)
}

func (s *Service) userByCustomID(ctx context.Context, customID string) (credentialRow, bool, error) {
	return s.findCredential(ctx, "SELECT "+credentialColumns+" FROM users u WHERE u.custom_id = ?", customID)
}

func (s *Service) userByEmail(ctx context.Context, email string) (credentialRow, bool, error) {
	return s.findCredential(ctx, "SELECT "+credentialColumns+" FROM users u WHERE u.email = ?", email)
}

func (s *Service) userByUsername(ctx context.Context, username string) (credentialRow, bool, error) {
	return s.findCredential(ctx, "SELECT "+credentialColumns+" FROM users u WHERE u.username_key = ?",
		usernameKey(username))
}

func (s *Service) userByID(ctx context.Context, userID string) (credentialRow, bool, error) {
	return s.findCredential(ctx, "SELECT "+credentialColumns+" FROM users u WHERE u.id = ?", userID)
}

// usernameKey is the value of users.username_key: usernames are unique
// case-insensitively (Nakama compares them case-sensitively). It is always computed
// here, in Go, so both dialects agree on it.
func usernameKey(username string) string { return strings.ToLower(username) }

// isUniqueViolation reports whether err is a unique or primary-key violation on
// either dialect, whether or not gorm's TranslateError option is on.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	// SQLite (modernc via glebarez) reports both UNIQUE and PRIMARY KEY violations
	// with this text.
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}
