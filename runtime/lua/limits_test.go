package lua_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/syncbuf"
	"github.com/guildhall/guildhall/runtime"
	luart "github.com/guildhall/guildhall/runtime/lua"
)

// Builtins that build one big string check the per-call cap before they
// allocate; gradual growth is stopped by the memory watchdog.
func TestLuaMemoryLimits(t *testing.T) {
	e := sqliteEnv(t)
	dir := modules(t, map[string]string{"m.lua": `
local nk = require("nakama")
local big = string.rep("a", 1024 * 1024)
nk.register_rpc(function(context, payload) local s = big:gsub("a", big) return s end, "gsub")
nk.register_rpc(function(context, payload) local s = big:gsub("a", "%0%0") return tostring(#s) end, "gsub_ok")
nk.register_rpc(function(context, payload) return string.format(string.rep("%s", 20), big, big, big, big, big, big, big, big, big, big, big, big, big, big, big, big, big, big, big) end, "format")
nk.register_rpc(function(context, payload) return string.format("%999999d%999999d", 1, 2):len() .. "" end, "format_ok")
nk.register_rpc(function(context, payload)
  local t = {}
  for i = 1, 20 do t[i] = big end
  return table.concat(t)
end, "concat")
nk.register_rpc(function(context, payload) return string.rep("ab", 9 * 1024 * 1024) end, "rep")
nk.register_rpc(function(context, payload)
  local s = "a"
  for i = 1, 40 do s = s .. s end
  return tostring(#s)
end, "double")
nk.register_rpc(function(context, payload) return "ok" end, "ok")
`})
	e.mustLoad(t, runtime.Config{Path: dir, PoolSize: 1, MaxCallMemory: 16 << 20, CallTimeout: 5 * time.Second})
	for _, c := range []struct{ id, fn string }{
		{"format", "string.format"}, {"concat", "table.concat"}, {"rep", "string.rep"},
	} {
		_, err := e.rpc(t, context.Background(), c.id, "")
		wantCode(t, err, errs.CodeInternal, "script exceeded its memory limit: "+c.fn+" result larger than 16777216 bytes")
	}
	// gsub grows its result step by step: the cap or the watchdog stops it.
	_, err := e.rpc(t, context.Background(), "gsub", "")
	wantCode(t, err, errs.CodeInternal, "script exceeded its memory limit")
	if out, err := e.rpc(t, context.Background(), "gsub_ok", ""); err != nil || out != "2097152" {
		t.Fatalf("gsub within the cap: %q %v", out, err)
	}
	if out, err := e.rpc(t, context.Background(), "format_ok", ""); err != nil || out != "1999998" {
		t.Fatalf("format within the cap: %q %v", out, err)
	}
	_, err = e.rpc(t, context.Background(), "double", "")
	wantCode(t, err, errs.CodeInternal, "script exceeded its memory limit")
	if ge, _ := errs.AsError(err); ge.Message != "script exceeded its memory limit" {
		t.Fatalf("watchdog message: %q", ge.Message)
	}
	if out, err := e.rpc(t, context.Background(), "ok", ""); err != nil || out != "ok" {
		t.Fatalf("after: %q %v", out, err)
	}
}

// A VM stuck in Go code past its deadline is abandoned: the caller gets 504
// at once and a fresh VM takes its place, up to pool-size stuck VMs; when
// they come back, the empty places are refilled.
func TestLuaStuckVMsAreReplaced(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	defer luart.SetTestGlobal("block", func(L *glua.LState) int { <-release; return 0 })()
	e := sqliteEnv(t)
	dir := modules(t, map[string]string{"b.lua": `
local nk = require("nakama")
nk.register_rpc(function(context, payload) block() return "done" end, "block")
nk.register_rpc(function(context, payload) return "ok" end, "ok")
`})
	const pool = 4
	// The memory watchdog is off: the heap is process-wide, and under -race
	// earlier tests' garbage could make it stop a blocked call first.
	rt := e.mustLoad(t, runtime.Config{Path: dir, PoolSize: pool, CallTimeout: 100 * time.Millisecond, MaxCallMemory: -1})
	fire := func(n int) {
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				_, err := e.rpc(t, context.Background(), "block", "")
				wantCode(t, err, errs.CodeDeadlineExceeded, "timed out")
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("a stuck call answered after %v", d)
				}
			}()
		}
		wg.Wait()
	}
	ok := func(want error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		out, err := e.rpc(t, ctx, "ok", "")
		if want == nil && (err != nil || out != "ok") {
			t.Fatalf("ordinary call: %q %v", out, err)
		}
		if want != nil {
			wantCode(t, err, errs.CodeDeadlineExceeded, "No Lua VM became free")
		}
	}
	fire(pool)
	ok(nil) // every VM was stuck, and replaced
	if n := rt.Stuck(); n != pool {
		t.Fatalf("stuck = %d, want %d", n, pool)
	}
	fire(pool) // now too many are stuck: their places stay empty
	ok(context.DeadlineExceeded)
	free()
	deadline := time.Now().Add(5 * time.Second)
	for rt.Stuck() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := rt.Stuck(); n != 0 {
		t.Fatalf("stuck = %d after release", n)
	}
	ok(nil) // places refilled
}

// Cyclic or too deep values fail with a clear script error wherever they
// cross into Go: json_encode, nk arguments, a hook's result; json_decode
// refuses too deep text.
func TestLuaCyclesAndDepth(t *testing.T) {
	e := sqliteEnv(t)
	dir := modules(t, map[string]string{"c.lua": `
local nk = require("nakama")
local function cyclic() local t = {} t.self = t return t end
nk.register_rpc(function(context, payload) return nk.json_encode(cyclic()) end, "encode")
nk.register_rpc(function(context, payload)
  nk.group_create("00000000-0000-4000-8000-000000000001", "g", nil, nil, nil, nil, true, cyclic())
end, "arg")
nk.register_rpc(function(context, payload)
  local ok, err = pcall(nk.json_decode, string.rep("[", 200) .. string.rep("]", 200))
  local fine = nk.json_decode(string.rep("[", 50) .. string.rep("]", 50))
  return tostring(err) .. "|" .. type(fine)
end, "decode")
nk.register_req_after(function(context, out, inc) return cyclic() end, "ListGroups")
`})
	var logs syncbuf.Buffer
	rt, err := luart.Load(context.Background(), runtime.Config{Path: dir, PoolSize: 1},
		runtime.Deps{Groups: e.svc, Hooks: e.reg, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	_, err = e.rpc(t, context.Background(), "encode", "")
	wantCode(t, err, errs.CodeInternal, "nk.json_encode: table contains itself (a cycle)")
	_, err = e.rpc(t, context.Background(), "arg", "")
	wantCode(t, err, errs.CodeInternal, "nk.group_create: argument 8: metadata: table contains itself (a cycle)")
	out, err := e.rpc(t, context.Background(), "decode", "")
	if err != nil || !strings.Contains(out, "nk.json_decode: JSON nested more than 64 levels deep") || !strings.HasSuffix(out, "|table") {
		t.Fatalf("decode: %q %v", out, err)
	}
	list := func(context.Context, *groups.ListGroupsRequest) (*groups.GroupList, error) {
		return &groups.GroupList{}, nil
	}
	if _, err := hooks.Run(context.Background(), hooks.ListGroups.Point(e.reg), &hooks.Caller{}, &groups.ListGroupsRequest{}, list); err != nil {
		t.Fatal(err)
	}
	// Each failed call is one log line with its id, the language and the error.
	for _, want := range []string{
		`msg="Lua call failed" runtime=lua rpc=encode language=lua error="nk.json_encode: table contains itself (a cycle) under \"self\"" code=13 function=c.lua:4`,
		`msg="Lua call failed" runtime=lua hook="after ListGroups" language=lua error="table contains itself (a cycle) under \"self\""`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
}
