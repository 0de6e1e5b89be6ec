package testapp

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/accounts"
)

// The HTTP helpers the black-box tests (api's scenario tables, the examples)
// share: one client, the readiness wait, and a request read in full.

// Client is the tests' HTTP client: a generous timeout (a refused call must
// still answer) and enough idle connections for parallel benchmarks.
var Client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 128}}

// WaitReady waits until the server at base answers its health check.
func WaitReady(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := Client.Get(base + "/healthcheck")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Response is an answer read in full.
type Response struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any // nil when the body is not a JSON object
}

// NewRequest builds a request to url; a non-empty body is sent as JSON.
func NewRequest(t testing.TB, method, url, body string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// Send sends req with Client and reads the answer; a transport error fails
// the test.
func Send(t testing.TB, req *http.Request) Response {
	t.Helper()
	res, err := Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := Response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	_ = json.Unmarshal(raw, &r.Body)
	return r
}

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
	req := NewRequest(t, method, a.URL+path, body)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res := Send(t, req)
	if res.Status != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.Status, status, res.Raw)
	}
	if out != nil {
		if err := json.Unmarshal(res.Raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, res.Raw, err)
		}
	}
	return string(res.Raw)
}
