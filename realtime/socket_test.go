package realtime_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/fasthttp/websocket"

	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestHandshake: the token comes by ?token= or Bearer (which wins); a
// missing, bad or logged-out token, or a non-Bearer Authorization, is a
// plain 401 before any upgrade; format is json (protobuf refused, anything
// else 400).
func TestHandshake(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		app := testapp.New(t, dialect, url).Start(t)
		good := app.Session(t, "device-handshake-1")
		base := wsURL(app)
		cases := []struct {
			name   string
			query  string
			header http.Header
			status int
			body   string
		}{
			{"no token", "", nil, 401, "Missing or invalid token"},
			{"bad token", "?token=abc", nil, 401, "Missing or invalid token"},
			{"good token", "?token=" + good.Token, nil, 101, ""},
			{"bearer", "", http.Header{"Authorization": {"Bearer " + good.Token}}, 101, ""},
			{"bearer wins over a good query token", "?token=" + good.Token, http.Header{"Authorization": {"Bearer x"}}, 401, "Missing or invalid token"},
			{"basic", "?token=" + good.Token, http.Header{"Authorization": {"Basic eDp5"}}, 401, "Missing or invalid token"},
			{"format json", "?format=json&token=" + good.Token, nil, 101, ""},
			{"format protobuf", "?format=protobuf&token=" + good.Token, nil, 400, "Protobuf format is not supported"},
			{"format other", "?format=xml&token=" + good.Token, nil, 400, "Invalid format parameter"},
		}
		for _, c := range cases {
			status, body := handshake(t, base+c.query, c.header)
			if status != c.status || !strings.Contains(body, c.body) {
				t.Errorf("%s: %d %q, want %d %q", c.name, status, body, c.status, c.body)
			}
		}
		app.Do(t, "POST", "/v2/session/logout", good.Token, `{}`, 200, nil)
		if status, _ := handshake(t, base+"?token="+good.Token, nil); status != 401 {
			t.Errorf("logged-out token: %d, want 401", status)
		}
	})
}

// TestEnvelope: ping → pong with the cid; malformed input (numeric cid, two
// message keys, unknown key, unknown field) closes with Nakama's reason and
// no error envelope; no message key → error 2 then close; an unserved
// message → error 1 then close; an oversize frame → close 1009.
func TestEnvelope(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		app := testapp.New(t, dialect, url).Start(t)
		tok := app.Session(t, "device-envelope-1").Token

		c := dial(t, app, tok)
		if got := c.request("1", `{"cid":"1","ping":{}}`); get(got, "pong") == nil || len(got) != 2 {
			t.Fatalf("ping answered %v", got)
		}
		c.send(`{"pong":{}}`) // ignored
		if got := c.request("2", `{"cid":"2","ping":{}}`); get(got, "pong") == nil {
			t.Fatalf("second ping answered %v", got)
		}

		for _, frame := range []string{
			`{"cid":1,"ping":{}}`,
			`{"cid":"1","ping":{},"pong":{}}`,
			`{"cid":"1","hello":{}}`,
			`{"cid":"1","channel_leave":{"channel_id":"2...a","extra":1}}`,
			`not json`,
		} {
			c := dial(t, app, tok)
			c.send(frame)
			code, reason := c.closed()
			if code != websocket.CloseNormalClosure || reason != "received malformed payload" {
				t.Errorf("%s: closed %d %q", frame, code, reason)
			}
		}

		c = dial(t, app, tok)
		c.send(`{"cid":"7"}`)
		if got := c.next(); get(got, "cid") != "7" || get(got, "error", "code") != 2.0 || get(got, "error", "message") != "Missing message." {
			t.Fatalf("no message key: %v", got)
		}
		if code, _ := c.closed(); code != websocket.CloseNormalClosure {
			t.Fatalf("no message key: closed %d", code)
		}

		c = dial(t, app, tok)
		c.send(`{"cid":"8","rpc":{"id":"x"}}`)
		if got := c.next(); get(got, "error", "code") != 1.0 || get(got, "error", "message") != "Unrecognized message." {
			t.Fatalf("rpc: %v", got)
		}
		c.closed()

		c = dial(t, app, tok)
		c.send(`{"cid":"9","channel_message_send":{"channel_id":"2...a","content":"{\"x\":\"` + strings.Repeat("a", 5000) + `\"}"}}`)
		if code, _ := c.closed(); code != websocket.CloseMessageTooBig {
			t.Fatalf("oversize frame: closed %d, want 1009", code)
		}
	})
}

// TestLogoutClosesSockets: a logout of one session closes that session's
// sockets only; a logout of all closes every socket of the user.
func TestLogoutClosesSockets(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		app := testapp.New(t, dialect, url).Start(t)
		one := app.Session(t, "device-logout-1")
		two := app.Session(t, "device-logout-1") // a second session of the same user
		a1, a2, b := dial(t, app, one.Token), dial(t, app, one.Token), dial(t, app, two.Token)
		for _, c := range []*client{a1, a2, b} {
			c.request("p", `{"cid":"p","ping":{}}`)
		}
		app.Do(t, "POST", "/v2/session/logout", one.Token, `{"token":"`+one.Token+`"}`, 200, nil)
		for _, c := range []*client{a1, a2} {
			if code, reason := c.closed(); code != websocket.CloseNormalClosure || reason != "session logged out" {
				t.Fatalf("logged-out session's socket closed %d %q", code, reason)
			}
		}
		if got := b.request("q", `{"cid":"q","ping":{}}`); get(got, "pong") == nil {
			t.Fatalf("other session's socket: %v", got)
		}
		app.Do(t, "POST", "/v2/session/logout", two.Token, `{}`, 200, nil)
		if code, reason := b.closed(); reason != "session logged out" {
			t.Fatalf("logout of all: closed %d %q", code, reason)
		}
	})
}
