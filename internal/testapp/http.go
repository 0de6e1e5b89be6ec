package testapp

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/accounts"
)

// Session is an authenticated test user.
type Session struct {
	Token  string
	UserID string
}

// Session authenticates (creating on first use) the user of a device id.
func (a *App) Session(t testing.TB, deviceID string) Session {
	t.Helper()
	s, err := a.Accounts.AuthenticateDevice(t.Context(), accounts.AuthRequest{ID: deviceID})
	if err != nil {
		t.Fatalf("authenticate %s: %v", deviceID, err)
	}
	c, err := a.Accounts.VerifySession(t.Context(), s.Token)
	if err != nil {
		t.Fatal(err)
	}
	return Session{Token: s.Token, UserID: c.UserID}
}

// Do sends one request (Bearer token when set), requires the status, and
// decodes the JSON body into out when out is not nil. It returns the body.
func (a *App) Do(t testing.TB, method, path, token, body string, status int, out any) string {
	t.Helper()
	req, err := http.NewRequest(method, a.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, status, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return string(raw)
}
