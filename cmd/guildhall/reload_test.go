//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/guildhall/guildhall/internal/childserver"
)

// Modules of version v: an RPC in each language answering v, and a
// pass-through after hook on ListGroups in each.
func writeModules(t *testing.T, dir, v string) {
	t.Helper()
	files := map[string]string{
		"index.js": `function version(ctx, logger, nk, payload) { return '` + v + `'; }
function afterList(ctx, logger, nk, out, input) { return out; }
function InitModule(ctx, logger, nk, initializer) {
  initializer.registerRpc('version', version);
  initializer.registerAfterListGroups(afterList);
}
`,
		"version.lua": `local nk = require("nakama")
nk.register_rpc(function(context, payload) return "` + v + `" end, "lua_version")
nk.register_req_after(function(context, outgoing, incoming) return outgoing end, "ListGroups")
`,
	}
	for name, code := range files {
		writeAtomic(t, filepath.Join(dir, name), code)
	}
}

// writeAtomic replaces a file the way deploy tools do (write, then rename).
func writeAtomic(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// reloadLoad is 16 goroutines calling both RPCs and a hooked listing.
type reloadLoad struct {
	srv      *childserver.Server
	token    string
	stop     atomic.Bool
	wg       sync.WaitGroup
	mu       sync.Mutex
	failures []string
	calls    atomic.Int64
}

func (l *reloadLoad) fail(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) < 20 {
		l.failures = append(l.failures, fmt.Sprintf(format, args...))
	}
}

func get(client *http.Client, req *http.Request) (int, string, error) {
	res, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

func rpcVersion(client *http.Client, base, id string) (string, error) {
	req, _ := http.NewRequest("POST", base+"/v2/rpc/"+id+"?http_key=defaulthttpkey&unwrap", strings.NewReader("{}"))
	status, body, err := get(client, req)
	if err == nil && status != 200 {
		err = fmt.Errorf("status %d: %s", status, body)
	}
	return body, err
}

func (l *reloadLoad) start() {
	for range 16 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			last := map[string]string{}
			for !l.stop.Load() {
				for _, id := range []string{"version", "lua_version"} {
					v, err := rpcVersion(client, l.srv.URL, id)
					if err != nil {
						l.fail("rpc %s: %v", id, err)
						continue
					}
					if last[id] > v {
						l.fail("rpc %s went back from %s to %s", id, last[id], v)
					}
					last[id] = v
				}
				req, _ := http.NewRequest("GET", l.srv.URL+"/v2/group?limit=1", nil)
				req.Header.Set("Authorization", "Bearer "+l.token)
				if status, body, err := get(client, req); err != nil || status != 200 {
					l.fail("list groups: %d %s %v", status, body, err)
				}
				l.calls.Add(1)
			}
		}()
	}
}

func (l *reloadLoad) finish(t *testing.T) {
	t.Helper()
	l.stop.Store(true)
	l.wg.Wait()
	for _, f := range l.failures {
		t.Error(f)
	}
	if l.calls.Load() == 0 {
		t.Error("no request completed")
	}
	t.Logf("%d request rounds", l.calls.Load())
}

// waitVersion waits until both RPCs answer v.
func waitVersion(t *testing.T, srv *childserver.Server, v string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		a, errA := rpcVersion(http.DefaultClient, srv.URL, "version")
		b, errB := rpcVersion(http.DefaultClient, srv.URL, "lua_version")
		if errA == nil && errB == nil && a == v && b == v {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("modules still answer %q/%q (%v, %v), want %q; output:\n%s", a, b, errA, errB, v,
				childserver.Tail(srv.Output(), 30))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func session(t *testing.T, srv *childserver.Server) string {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/v2/account/authenticate/device?create=true",
		strings.NewReader(`{"id":"reload-test-device"}`))
	req.SetBasicAuth("defaultkey", "")
	status, body, err := get(http.DefaultClient, req)
	var s struct{ Token string }
	if err != nil || status != 200 || json.Unmarshal([]byte(body), &s) != nil || s.Token == "" {
		t.Fatalf("authenticate: %d %s %v", status, body, err)
	}
	return s.Token
}

func waitOutput(t *testing.T, srv *childserver.Server, want ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out := srv.Output()
		missing := ""
		for _, w := range want {
			if !strings.Contains(out, w) {
				missing = w
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("output lacks %q:\n%s", missing, childserver.Tail(out, 30))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReloadOnSIGHUP: a running server answers with the new modules after
// they change on disk and it gets SIGHUP, while 16 goroutines keep calling
// hooked operations and RPCs of both languages and none of their requests
// fails; a module that fails to load is logged with its file and line and
// leaves the previous modules running.
func TestReloadOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	writeModules(t, dir, "v1")
	srv := childserver.Start(t, childserver.Options{Env: map[string]string{
		"GUILDHALL_RUNTIME_PATH": dir, "GUILDHALL_RUNTIME_POOL_SIZE": "4"}})
	waitVersion(t, srv, "v1")
	waitOutput(t, srv, `msg="script generation live" generation=1`)
	l := &reloadLoad{srv: srv, token: session(t, srv)}
	l.start()
	defer l.finish(t)
	time.Sleep(200 * time.Millisecond)

	writeModules(t, dir, "v2")
	if err := syscall.Kill(srv.Pid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitVersion(t, srv, "v2")
	waitOutput(t, srv, `msg="script generation live" generation=2`)
	time.Sleep(200 * time.Millisecond)

	writeAtomic(t, filepath.Join(dir, "index.js"), "function InitModule(ctx, logger, nk, initializer) {\n  initializer.registerRpc('version', version);\n  var x = ;\n}\n")
	if err := syscall.Kill(srv.Pid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, srv, `msg="script reload failed; the previous modules stay live" generation=2`, "index.js: SyntaxError", "index.js: Line 3:")
	time.Sleep(200 * time.Millisecond)
	waitVersion(t, srv, "v2")
	if strings.Contains(srv.Output(), "generation=3") {
		t.Fatalf("a failed load became live:\n%s", childserver.Tail(srv.Output(), 30))
	}
	srv.RequireAlive(t)
}

// TestReloadOnWatch: with --runtime.watch a change of a module file is
// enough, without a signal.
func TestReloadOnWatch(t *testing.T) {
	dir := t.TempDir()
	writeModules(t, dir, "v1")
	srv := childserver.Start(t, childserver.Options{Env: map[string]string{
		"GUILDHALL_RUNTIME_PATH": dir, "GUILDHALL_RUNTIME_POOL_SIZE": "2"}, Args: []string{"--runtime.watch"}})
	waitVersion(t, srv, "v1")
	waitOutput(t, srv, "watching the runtime path for changes")
	writeModules(t, dir, "v2")
	waitVersion(t, srv, "v2")
	waitOutput(t, srv, `msg="module files changed; reloading"`, `generation=2`)
}
