package examples_test

import (
	"encoding/json"
	"log/slog"
	"net/url"
	"os"
	"testing"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/internal/testapp"
)

// scriptEnv is a running server the JavaScript and Lua example tests drive
// through HTTP.
type scriptEnv struct {
	t   testing.TB
	app *testapp.App
}

// testLog shows warnings and errors only.
var testLog = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// testClient and waitReady are the shared harness's (internal/testapp).
var testClient = testapp.Client

func waitReady(t testing.TB, base string) {
	t.Helper()
	testapp.WaitReady(t, base)
}

type resp struct {
	status int
	raw    string
	body   map[string]any
}

// do sends a request with a session token, or none ("": the path may carry
// ?http_key=).
func (e *scriptEnv) do(method, path, token, body string) resp {
	e.t.Helper()
	req := testapp.NewRequest(e.t, method, e.app.URL+path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res := testapp.Send(e.t, req)
	return resp{status: res.Status, raw: string(res.Raw), body: res.Body}
}

func (e *scriptEnv) must(method, path, token, body string) resp {
	e.t.Helper()
	r := e.do(method, path, token, body)
	if r.status != 200 {
		e.t.Fatalf("%s %s: %d %s", method, path, r.status, r.raw)
	}
	return r
}

func (r resp) wantError(t testing.TB, status int, code errs.Code, msg string) {
	t.Helper()
	if r.status != status || r.body["code"] != float64(code) || r.body["message"] != msg {
		t.Fatalf("got %d %s, want %d {\"code\":%d,\"message\":%q}", r.status, r.raw, status, code, msg)
	}
}

type tuser struct{ id, token string }

// user authenticates a new device user.
func (e *scriptEnv) user(name string) tuser {
	e.t.Helper()
	req := testapp.NewRequest(e.t, "POST", e.app.URL+"/v2/account/authenticate/device?create=true&username="+
		url.QueryEscape(name+"-"+uuid.NewString()[:6]), `{"id":"device-`+uuid.NewString()+`"}`)
	req.SetBasicAuth(testapp.ServerKey, "")
	res := testapp.Send(e.t, req)
	s := struct{ Token string }{}
	if err := json.Unmarshal(res.Raw, &s); err != nil || res.Status != 200 || s.Token == "" {
		e.t.Fatalf("authenticate %s: %d %v", name, res.Status, err)
	}
	a := e.must("GET", "/v2/account", s.Token, "")
	id, _ := a.body["user"].(map[string]any)["id"].(string)
	if id == "" {
		e.t.Fatalf("account without id: %s", a.raw)
	}
	return tuser{id: id, token: s.Token}
}

// group creates an open group owned by owner and returns its id.
func (e *scriptEnv) group(owner tuser, name string) string {
	e.t.Helper()
	return e.must("POST", "/v2/group", owner.token, `{"name":"`+name+`","open":true}`).body["id"].(string)
}

// setMetadata writes a group's metadata through the server API.
func (e *scriptEnv) setMetadata(groupID string, meta any) {
	e.t.Helper()
	text, _ := json.Marshal(meta)
	body, _ := json.Marshal(map[string]string{"metadata": string(text)})
	e.must("PUT", "/v2/server/group/"+groupID+"?http_key="+testapp.HTTPKey, "", string(body))
}

// members maps a group's member ids to their states.
func (e *scriptEnv) members(groupID string, viewer tuser) map[string]int {
	e.t.Helper()
	r := e.must("GET", "/v2/group/"+groupID+"/user?limit=100", viewer.token, "")
	out := map[string]int{}
	list, _ := r.body["group_users"].([]any)
	for _, item := range list {
		m := item.(map[string]any)
		st, _ := m["state"].(float64)
		out[m["user"].(map[string]any)["id"].(string)] = int(st)
	}
	return out
}
