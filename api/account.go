package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/accounts"
)

// updateAccount serves PUT /v2/account (Nakama's UpdateAccount): each field a
// string or null/absent (unchanged); the answer is {}.
func (s *Server) updateAccount(c *fiber.Ctx) error {
	b, err := parseBody(c)
	if err != nil {
		return err
	}
	var u accounts.AccountUpdate
	for _, f := range []struct {
		name string
		dst  **string
	}{
		{"username", &u.Username},
		{"display_name", &u.DisplayName},
		{"avatar_url", &u.AvatarURL},
		{"lang_tag", &u.LangTag},
		{"location", &u.Location},
		{"timezone", &u.Timezone},
	} {
		if *f.dst, err = b.str(f.name); err != nil {
			return err
		}
	}
	if err := s.accounts.UpdateAccount(c.UserContext(), caller(c).UserID, u); err != nil {
		return failed("update account", err)
	}
	return empty(c)
}

// usersJSON is Nakama's api.Users; an empty result is {}.
type usersJSON struct {
	Users []userJSON `json:"users,omitempty"`
}

// getUsers serves GET /v2/user?ids=…&usernames=… (Nakama's GetUsers; the
// facebook_ids parameter matches nobody, as Guildhall keeps no Facebook ids).
func (s *Server) getUsers(c *fiber.Ctx) error {
	users, err := s.accounts.GetUsers(c.UserContext(), queryAll(c, "ids"), queryAll(c, "usernames"))
	if err != nil {
		return failed("retrieve user accounts", err)
	}
	out := usersJSON{Users: make([]userJSON, len(users))}
	for i, u := range users {
		out.Users[i] = wireUser(u)
	}
	return c.JSON(out)
}

// wireUser is the wire form of an accounts.User.
func wireUser(u accounts.User) userJSON {
	return userJSON{
		ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, AvatarURL: u.AvatarURL,
		LangTag: u.LangTag, Location: u.Location, Timezone: u.Timezone, Metadata: u.Metadata,
		CreateTime: timestamp(u.CreateTime), UpdateTime: timestamp(u.UpdateTime),
	}
}
