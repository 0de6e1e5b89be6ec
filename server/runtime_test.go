package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/server"
)

// goBouncer is a Go hook, listed with its own name and file.
func goBouncer(ctx context.Context, c *hooks.Caller, req *groups.GroupUsersRequest) (*groups.GroupUsersRequest, error) {
	return req, nil
}

// TestRuntimeListingAndReload: GET /v2/server/runtime (http key only) lists
// the Go, Lua and JavaScript hooks and RPCs with their files; Reload swaps
// in changed modules as generation 2, and a module that fails to load
// leaves generation 2 live.
func TestRuntimeListingAndReload(t *testing.T) {
	mods := t.TempDir()
	write := func(name, code string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(mods, name), []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("index.js", "function kick(ctx, logger, nk, data) { return data; }\n"+
		"function InitModule(ctx, logger, nk, initializer) { initializer.registerBeforeKickGroupUsers(kick); }\n")
	write("resize.lua", "local nk = require(\"nakama\")\n\nnk.register_rpc(function(context, payload) return \"\" end, \"resize_group\")\n")
	cfg := server.DefaultConfig()
	cfg.DataDir, cfg.RuntimePath, cfg.RuntimePoolSize = t.TempDir(), mods, 2
	ctx := context.Background()
	srv, err := server.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.DB.Close()
	hooks.KickGroupUsers.Before(srv.Hooks, goBouncer)
	unload, err := srv.LoadScripts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer unload()
	app := srv.App()

	get := func(path string) (int, string) {
		t.Helper()
		res, err := app.Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if status, body := get("/v2/server/runtime"); status != 401 || !strings.Contains(body, `"code":16`) {
		t.Fatalf("without the http key: %d %s", status, body)
	}
	listing := func() server.RuntimeInfo {
		t.Helper()
		status, body := get("/v2/server/runtime?http_key=" + server.DefaultHTTPKey)
		var info server.RuntimeInfo
		if status != 200 || json.Unmarshal([]byte(body), &info) != nil {
			t.Fatalf("%d %s", status, body)
		}
		return info
	}
	info := listing()
	if info.Generation != 1 || info.RuntimePath != mods || len(info.Registrations) != 3 {
		t.Fatalf("got %+v", info)
	}
	goHook, luaRPC, jsHook := info.Registrations[0], info.Registrations[1], info.Registrations[2]
	if goHook.Kind != "before" || goHook.Name != "KickGroupUsers" || goHook.Language != "go" ||
		!strings.HasSuffix(goHook.Function, ".goBouncer") || !strings.Contains(goHook.File, "runtime_test.go:") {
		t.Errorf("Go hook: %+v", goHook)
	}
	if luaRPC.Kind != "rpc" || luaRPC.Name != "resize_group" || luaRPC.Language != "lua" || luaRPC.File != "resize.lua:3" {
		t.Errorf("Lua RPC: %+v", luaRPC)
	}
	if jsHook.Kind != "before" || jsHook.Name != "KickGroupUsers" || jsHook.Language != "javascript" ||
		jsHook.File != "index.js" || jsHook.Function != "kick" {
		t.Errorf("JavaScript hook: %+v", jsHook)
	}

	// Changed modules: the JS hook moves to JoinGroup, the Lua RPC is gone.
	write("index.js", "function join(ctx, logger, nk, data) { return data; }\n"+
		"function InitModule(ctx, logger, nk, initializer) { initializer.registerBeforeJoinGroup(join); }\n")
	write("resize.lua", "local x = 1\n")
	if err := srv.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	info = listing()
	if info.Generation != 2 || len(info.Registrations) != 2 || info.Registrations[1].Name != "JoinGroup" {
		t.Fatalf("after reload: %+v", info)
	}
	if _, ok := srv.Hooks.RPC("resize_group"); ok || !hooks.JoinGroup.Point(srv.Hooks).Hooked() {
		t.Fatal("reload did not change the live hooks")
	}

	// A module that fails to load: the error names the file and line, and
	// generation 2 stays.
	write("resize.lua", "local x = \n")
	err = srv.Reload(ctx)
	if err == nil || !strings.Contains(err.Error(), "resize.lua") {
		t.Fatalf("reload of a broken module: %v", err)
	}
	if info = listing(); info.Generation != 2 || len(info.Registrations) != 2 {
		t.Fatalf("after a failed reload: %+v", info)
	}
}

// TestReloadReleasesOldVMs: the VMs of replaced generations are released
// once drained — reloading many times does not pile up VM goroutines.
func TestReloadReleasesOldVMs(t *testing.T) {
	mods := t.TempDir()
	if err := os.WriteFile(filepath.Join(mods, "index.js"), []byte("function v(ctx, logger, nk, payload) { return 'js'; }\n"+
		"function InitModule(ctx, logger, nk, initializer) { initializer.registerRpc('js', v); }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mods, "m.lua"), []byte("require(\"nakama\").register_rpc(function() return \"lua\" end, \"lua\")\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := server.DefaultConfig()
	cfg.DataDir, cfg.RuntimePath, cfg.RuntimePoolSize = t.TempDir(), mods, 4
	ctx := context.Background()
	srv, err := server.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.DB.Close()
	unload, err := srv.LoadScripts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer unload()
	use := func() {
		t.Helper()
		var wg sync.WaitGroup
		for range 4 { // several VMs of each pool busy at once
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, id := range []string{"js", "lua"} {
					fn, ok := srv.Hooks.RPC(id)
					if !ok {
						t.Errorf("rpc %s missing", id)
						return
					}
					if out, err := fn(ctx, &hooks.Caller{HTTPKey: true}, ""); err != nil || out != id {
						t.Errorf("rpc %s: %q %v", id, out, err)
					}
				}
			}()
		}
		wg.Wait()
	}
	use()
	base := goruntime.NumGoroutine()
	for range 10 {
		if err := srv.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		use()
	}
	deadline := time.Now().Add(10 * time.Second)
	for goruntime.NumGoroutine() > base+2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after 10 reloads, %d before", goruntime.NumGoroutine(), base)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
