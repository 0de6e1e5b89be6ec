package api

import (
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/accounts"
)

// TestSessionAuthReusesClaims: the per-route check takes the claims the
// pre-routing check stored instead of verifying the token again (this Server
// has no accounts service: a second verification would panic).
func TestSessionAuthReusesClaims(t *testing.T) {
	s := &Server{}
	app := fiber.New()
	app.Use(func(c *fiber.Ctx) error {
		c.Locals(claimsKey, accounts.Claims{UserID: "u"}) // what authBeforeRouting stores
		return c.Next()
	})
	app.Get("/v2/x", s.sessionAuth, func(c *fiber.Ctx) error { return c.SendString("ran") })
	req := httptest.NewRequest("GET", "/v2/x", nil)
	req.Header.Set("Authorization", "Bearer not-verified-twice")
	res, err := app.Test(req, -1)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("got %v %v, want the handler to run", res, err)
	}
}

func TestTakesSession(t *testing.T) {
	for path, want := range map[string]bool{
		"/v2/group":                            true,
		"/v2/account":                          true,
		"/V2/ACCOUNT":                          true,
		"/v2/nope":                             true,
		"/v2/session/logout":                   true,
		"/v2/rpc":                              true, // not an RPC route: no id
		"/v2//account/authenticate/device":     true,
		"/v2/account/authenticate/device":      false,
		"/v2/Account/Authenticate/Custom/":     false,
		"/v2/account/session/refresh":          false,
		"/v2/account/session/refresh//":        false,
		"/V2/ACCOUNT/SESSION/REFRESH":          false,
		"/v2/account/session/refreshx":         true,
		"/v2/rpc/echo":                         false,
		"/v2/server/group/x":                   false,
		"/healthcheck":                         false,
		"/":                                    false,
		"/v2":                                  false,
		"/v3/group":                            false,
		"/v2/account/authenticate":             true,
		"/v2/account/session/refresh/extra/..": true,
	} {
		if got := takesSession(path); got != want {
			t.Errorf("takesSession(%q) = %v, want %v", path, got, want)
		}
	}
}
