package cluster_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/guildhall/guildhall/internal/childserver"
	"github.com/guildhall/guildhall/internal/testapp"
)

// node is one guildhall process.
type node struct {
	t   *testing.T
	srv *childserver.Server
}

// startNode starts the real binary with env (GUILDHALL_* settings) and the
// runtime path holding examples/resize.js (an RPC whose nk calls update and
// read a group).
func startNode(t *testing.T, env map[string]string) node {
	t.Helper()
	root, err := childserver.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(root, "examples", "resize.js"))
	if err != nil {
		t.Fatal(err)
	}
	modules := t.TempDir()
	if err := os.WriteFile(filepath.Join(modules, "index.js"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	e := map[string]string{"GUILDHALL_RUNTIME_PATH": modules, "GUILDHALL_DATABASE_MAX_CONNS": "32"}
	for k, v := range env {
		e[k] = v
	}
	return node{t, childserver.Start(t, childserver.Options{Env: e})}
}

// do sends a request (Bearer token, or the server key without one; header
// pairs after the body) and returns the answer.
func (n node) do(method, path, token, body string, header ...string) testapp.Response {
	n.t.Helper()
	req := testapp.NewRequest(n.t, method, n.srv.URL+path, body)
	if token == "" {
		req.SetBasicAuth("defaultkey", "")
	} else {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return testapp.Send(n.t, req)
}

// ok is do requiring 200.
func (n node) ok(method, path, token, body string, header ...string) testapp.Response {
	n.t.Helper()
	res := n.do(method, path, token, body, header...)
	if res.Status != 200 {
		n.t.Fatalf("%s %s: %d %s\n%s", method, path, res.Status, res.Raw, childserver.Tail(n.srv.Output(), 4000))
	}
	return res
}

// session authenticates a device's user: its token and user id.
func (n node) session(device string) (token, userID string) {
	n.t.Helper()
	b := n.ok("POST", "/v2/account/authenticate/device?username="+device, "", `{"id":"device-`+device+`"}`).Body
	token = b["token"].(string)
	a := n.ok("GET", "/v2/account", token, "").Body
	return token, a["user"].(map[string]any)["id"].(string)
}

// ids are the values of key of the objects under list, nested one level by
// inner when it is not empty ("group_users" → "user" → "id").
func ids(body map[string]any, list, inner string) []string {
	var out []string
	items, _ := body[list].([]any)
	for _, it := range items {
		m := it.(map[string]any)
		if inner != "" {
			m = m[inner].(map[string]any)
		}
		out = append(out, m["id"].(string))
	}
	return out
}

func has(list []string, id string) bool {
	for _, v := range list {
		if v == id {
			return true
		}
	}
	return false
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
