package lua_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/internal/childserver"
)

// bombs are RPCs that used to hang a VM for good or take the process's
// memory; the real server must answer each with its code and live on.
const bombs = `
local nk = require("nakama")
nk.register_rpc(function(context, payload)
  return tostring(string.rep("a", 3000):find(".-.-.-b"))
end, "find")
nk.register_rpc(function(context, payload)
  local s = string.rep("a", 16 * 1024 * 1024)
  local r = s:gsub("a", s)
  return r
end, "gsub")
nk.register_rpc(function(context, payload)
  local s = "a"
  for i = 1, 40 do s = s .. s end
  return tostring(#s)
end, "double")
nk.register_rpc(function(context, payload)
  local t = {} t.self = t
  return nk.json_encode(t)
end, "cycle")
nk.register_rpc(function(context, payload)
  return tostring(nk.json_decode(string.rep("[", 100000) .. string.rep("]", 100000)))
end, "deep")
nk.register_rpc(function(context, payload) return "ok" end, "ok")
`

func TestLuaChildBombs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bombs.lua"), []byte(bombs), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := childserver.Start(t, childserver.Options{Env: map[string]string{
		"GUILDHALL_RUNTIME_PATH":      dir,
		"GUILDHALL_RUNTIME_POOL_SIZE": "4",
		// Room for the memory cases to reach their cap on a loaded machine
		// before the deadline does (seen: a 504 instead of the 500 at 1 s).
		"GUILDHALL_RUNTIME_CALL_TIMEOUT": "3s",
	}})
	call := func(id string) (int, map[string]any) {
		t.Helper()
		c := &http.Client{Timeout: 20 * time.Second}
		resp, err := c.Post(srv.URL+"/v2/rpc/"+id+"?http_key=defaulthttpkey", "application/json", strings.NewReader(`""`))
		if err != nil {
			t.Fatalf("rpc %s: %v\n%s", id, err, childserver.Tail(srv.Output(), 4096))
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var out map[string]any
		_ = json.Unmarshal(body, &out)
		return resp.StatusCode, out
	}
	want := func(id string, status int, code float64, msg string) {
		t.Helper()
		st, out := call(id)
		m, _ := out["message"].(string)
		if st != status || out["code"] != code || !strings.Contains(m, msg) {
			t.Errorf("rpc %s: %d %v, want %d code %v %q", id, st, out, status, code, msg)
		}
	}

	// Four catastrophic patterns on a pool of four: each answers 504, and
	// the pool still serves the next call.
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want("find", 504, 4, "Lua function timed out")
		}()
	}
	wg.Wait()
	if st, out := call("ok"); st != 200 || out["payload"] != "ok" {
		t.Errorf("ok: %d %v", st, out)
	}

	want("gsub", 500, 13, "script exceeded its memory limit")
	want("double", 500, 13, "script exceeded its memory limit")
	want("cycle", 500, 13, "table contains itself")
	want("deep", 500, 13, "nested more than 64 levels deep")
	srv.RequireAlive(t)
	if st, out := call("ok"); st != 200 || out["payload"] != "ok" {
		t.Errorf("ok at the end: %d %v", st, out)
	}
}
