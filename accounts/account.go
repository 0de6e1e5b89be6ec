package accounts

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/groups"
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
		return Account{}, groups.Errorf(groups.CodeNotFound, msgGetAccountNotFound)
	}
	var rows []userRow
	if err := s.rdb.WithContext(ctx).Where("id = ?", id.String()).Limit(1).Find(&rows).Error; err != nil {
		return Account{}, fmt.Errorf("accounts: get account: %w", err)
	}
	if len(rows) == 0 {
		return Account{}, groups.Errorf(groups.CodeNotFound, msgGetAccountNotFound)
	}
	u := rows[0]
	var devices []string
	if err := s.rdb.WithContext(ctx).Model(&deviceRow{}).Where("user_id = ?", u.ID).
		Order("id").Pluck("id", &devices).Error; err != nil {
		return Account{}, fmt.Errorf("accounts: get account devices: %w", err)
	}
	a := Account{
		User: User{
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
		},
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
