package api_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/api"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestEmptyKeysMatchNothing: an API built with empty keys (server.New refuses
// them; this is the second line of defence) does not take an empty credential
// for the key: ConstantTimeCompare("", "") is 1.
func TestEmptyKeysMatchNothing(t *testing.T) {
	for _, key := range []string{"", " "} {
		app := api.New(api.Config{ServerKey: key, HTTPKey: key}, nil, nil, nil)
		for _, tc := range []struct {
			name, method, path, basicUser, msg string
		}{
			{"server API, empty http_key", "DELETE", "/v2/server/group/0b9a4c36-5d4e-4f51-9d3e-08d2f7c0d1aa?http_key=" + key, "-", "HTTP key invalid"},
			{"server API, Basic with an empty user", "GET", "/v2/server/group/0b9a4c36-5d4e-4f51-9d3e-08d2f7c0d1aa", key, "HTTP key invalid"},
			{"RPC, empty http_key", "POST", "/v2/rpc/anything?http_key=" + key, "-", "HTTP key invalid"},
			{"RPC, Basic with an empty user", "POST", "/v2/rpc/anything", key, "HTTP key invalid"},
			{"authenticate, Basic with an empty user", "POST", "/v2/account/authenticate/device", key, "Server key invalid"},
		} {
			req := httptest.NewRequest(tc.method, strings.ReplaceAll(tc.path, " ", "%20"), strings.NewReader(`{"id":"device-empty-key"}`))
			if tc.basicUser != "-" {
				req.SetBasicAuth(tc.basicUser, "")
			}
			res, err := app.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			var got struct{ Message string }
			_ = json.Unmarshal(body, &got)
			if res.StatusCode != http.StatusUnauthorized || got.Message != tc.msg {
				t.Errorf("key %q, %s: %d %s, want 401 %q", key, tc.name, res.StatusCode, body, tc.msg)
			}
		}
	}
}

// TestTokenKindsWithEqualKeys: with one key for session and refresh tokens
// (refused by server.Config, possible when accounts.Service is built directly)
// a refresh token is still no bearer token, and a session token no refresh
// token.
func TestTokenKindsWithEqualKeys(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		app := testapp.New(t, dialect, url)
		app.Accounts = accounts.New(app.DB.Write, accounts.Config{EncryptionKey: "shared", RefreshEncryptionKey: "shared"},
			accounts.WithReadDB(app.DB.Read))
		app.Start(t)

		call := func(method, path, authz, body string) (int, map[string]any) {
			t.Helper()
			req, _ := http.NewRequest(method, app.URL+path, strings.NewReader(body))
			req.Header.Set("Authorization", authz)
			res, err := testapp.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var m map[string]any
			_ = json.NewDecoder(res.Body).Decode(&m)
			return res.StatusCode, m
		}
		basicKey := "Basic " + base64.StdEncoding.EncodeToString([]byte(testapp.ServerKey+":"))
		status, sess := call("POST", "/v2/account/authenticate/device", basicKey, `{"id":"device-equal-keys"}`)
		if status != 200 {
			t.Fatalf("authenticate: %d %v", status, sess)
		}
		token, refresh := sess["token"].(string), sess["refresh_token"].(string)
		if status, _ := call("GET", "/v2/account", "Bearer "+token, ""); status != 200 {
			t.Fatalf("the session token: %d", status)
		}
		if status, body := call("GET", "/v2/account", "Bearer "+refresh, ""); status != 401 || body["message"] != "Auth token invalid" {
			t.Errorf("refresh token as bearer: %d %v, want 401", status, body)
		}
		if status, body := call("POST", "/v2/account/session/refresh", basicKey, `{"token":"`+token+`"}`); status != 401 ||
			body["message"] != "Refresh token invalid or expired." {
			t.Errorf("session token to refresh: %d %v, want 401", status, body)
		}
		if status, _ := call("POST", "/v2/account/session/refresh", basicKey, `{"token":"`+refresh+`"}`); status != 200 {
			t.Errorf("the refresh token: %d", status)
		}
	})
}
