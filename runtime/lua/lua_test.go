package lua_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/runtime"
	luart "github.com/guildhall/guildhall/runtime/lua"
)

// quiet discards logs (some tests make the runtime log errors on purpose).
var quiet = slog.New(slog.DiscardHandler)

// modules writes files (relative path → source) into a fresh runtime path.
func modules(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// env is a groups service on a real database with a hooks registry.
type env struct {
	db  *store.DB
	svc *groups.Service
	reg *hooks.Registry
}

func newEnv(t testing.TB, dialect, url string) *env {
	db := testapp.OpenDB(t, dialect, url)
	return &env{db: db, svc: groups.NewService(store.NewGroups(db)), reg: hooks.New(quiet)}
}

// sqliteEnv is enough for tests that never reach the database.
func sqliteEnv(t testing.TB) *env { return newEnv(t, testdb.DialectSQLite, testdb.SQLite(t)) }

func (e *env) load(t testing.TB, cfg runtime.Config) (*luart.Runtime, error) {
	rt, err := luart.Load(context.Background(), cfg, runtime.Deps{Groups: e.svc, Hooks: e.reg, Log: quiet})
	if err == nil {
		t.Cleanup(rt.Close)
	}
	return rt, err
}

func (e *env) mustLoad(t testing.TB, cfg runtime.Config) *luart.Runtime {
	t.Helper()
	rt, err := e.load(t, cfg)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return rt
}

// rpc calls a registered RPC as a game server (http key).
func (e *env) rpc(t testing.TB, ctx context.Context, id, payload string) (string, error) {
	t.Helper()
	fn, ok := e.reg.RPC(id)
	if !ok {
		t.Fatalf("rpc %s not registered", id)
	}
	return fn(ctx, &hooks.Caller{HTTPKey: true}, payload)
}

func wantCode(t testing.TB, err error, code errs.Code, msgPart string) {
	t.Helper()
	ge, ok := errs.AsError(err)
	if !ok || ge.Code != code || !strings.Contains(ge.Message, msgPart) {
		t.Fatalf("got error %v (%#v), want code %d containing %q", err, err, code, msgPart)
	}
}

func TestLuaLoadNoModules(t *testing.T) {
	e := sqliteEnv(t)
	for _, path := range []string{"", t.TempDir(), filepath.Join(t.TempDir(), "missing")} {
		rt := e.mustLoad(t, runtime.Config{Path: path})
		if len(rt.Registrations()) != 0 {
			t.Fatal("registrations without modules")
		}
		rt.Close()
		rt.Close() // idempotent
	}
	if len(e.reg.RPCIDs()) != 0 || hooks.KickGroupUsers.Point(e.reg).Hooked() {
		t.Fatal("an empty runtime registered something")
	}
}

func TestLuaLoadErrors(t *testing.T) {
	e := sqliteEnv(t)
	for _, c := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"syntax", map[string]string{"ok.lua": "local x = 1", "broken.lua": "local nk = require('nakama')\n\nlocal function f(\n  return 1\nend\n"},
			[]string{"broken.lua:4", "broken", "syntax error"}},
		{"syntax at end", map[string]string{"eof.lua": "if true then\n"}, []string{"eof.lua", "end of file"}},
		{"top level", map[string]string{"top.lua": "local nk = require('nakama')\nlocal t = nil\nprint(t.x)\n"},
			[]string{"top.lua:3:", "attempt to index"}},
		{"error call", map[string]string{"err.lua": "\nerror('refusing to start')\n"}, []string{"err.lua:2: refusing to start"}},
		{"error table", map[string]string{"err.lua": "error({'coded', 9})\n"}, []string{"err.lua", "coded (code 9)"}},
		{"unknown hook", map[string]string{"hook.lua": "local nk = require('nakama')\nnk.register_req_before(function(c, p) return p end, 'KickGroupMembers')\n"},
			[]string{"hook.lua:2:", "unknown hook name", "KickGroupMembers"}},
		{"swapped arguments", map[string]string{"rpc.lua": "local nk = require('nakama')\n\nnk.register_rpc('id', function() end)\n"},
			[]string{"rpc.lua:3:", "function first"}},
		{"unknown module", map[string]string{"req.lua": "require('socket')\n"}, []string{"req.lua:1:", "module 'socket' not found"}},
		{"require cycle", map[string]string{"a.lua": "require('b')\n", "b.lua": "require('a')\n"}, []string{"loop"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.load(t, runtime.Config{Path: modules(t, c.files), PoolSize: 2})
			if err == nil {
				t.Fatal("Load succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if len(e.reg.RPCIDs()) != 0 || hooks.KickGroupUsers.Point(e.reg).Hooked() {
		t.Fatal("a failed load registered something")
	}
}

func TestLuaModulesAndRequire(t *testing.T) {
	e := sqliteEnv(t)
	dir := modules(t, map[string]string{
		// Runs first by name, and requires a module further down the order.
		"a_main.lua": `
local nk = require("nakama")
local util = require("lib.util")
local again = require("lib.util")
assert(util == again, "require caches")
assert(require("nakama") == nk)
nk.register_rpc(function(context, payload)
  return util.greet(payload) .. " loads=" .. util.loads() .. " plain=" .. tostring(require("z_plain"))
end, "Greet")
`,
		"lib/util.lua": `
local M = {}
local loads = 0
loads = loads + 1
function M.greet(name) return "hello " .. name end
function M.loads() return loads end
return M
`,
		"z_plain.lua": `local x = 1`,
	})
	rt := e.mustLoad(t, runtime.Config{Path: dir, PoolSize: 3})
	if got := rt.Registrations(); len(got) != 1 || got[0] != "rpc greet" {
		t.Fatalf("registrations %v", got)
	}
	for i := 0; i < 6; i++ { // every VM of the pool
		out, err := e.rpc(t, context.Background(), "GREET", "bob")
		if err != nil || out != "hello bob loads=1 plain=true" {
			t.Fatalf("greet: %q %v", out, err)
		}
	}
}

func TestLuaSandbox(t *testing.T) {
	e := sqliteEnv(t)
	dir := modules(t, map[string]string{"s.lua": `
local nk = require("nakama")
nk.register_rpc(function(context, payload)
  local names = {}
  for _, n in ipairs({"io", "package", "debug", "dofile", "loadfile", "module", "collectgarbage", "coroutine", "channel"}) do
    if _G[n] ~= nil then table.insert(names, n) end
  end
  for _, n in ipairs({"execute", "exit", "getenv", "remove", "rename", "setenv", "tmpname"}) do
    if os[n] ~= nil then table.insert(names, "os." .. n) end
  end
  if string.dump ~= nil then table.insert(names, "string.dump") end
  local f = loadstring("return 1 + 1")
  assert(f() == 2, "loadstring compiles strings")
  assert(type(os.time()) == "number" and type(os.clock()) == "number" and type(os.date("%Y")) == "string")
  return table.concat(names, ",")
end, "exposed")
nk.register_rpc(function(context, payload)
  return string.rep("x", 1e9)
end, "huge")
nk.register_rpc(function(context, payload)
  local function f() return f() + 1 end
  return tostring(f())
end, "recurse")
`})
	e.mustLoad(t, runtime.Config{Path: dir, PoolSize: 1})
	out, err := e.rpc(t, context.Background(), "exposed", "")
	if err != nil || out != "" {
		t.Fatalf("exposed: %q %v", out, err)
	}
	_, err = e.rpc(t, context.Background(), "huge", "")
	wantCode(t, err, errs.CodeInternal, "string.rep")
	_, err = e.rpc(t, context.Background(), "recurse", "")
	wantCode(t, err, errs.CodeInternal, "stack overflow")
	if out, err := e.rpc(t, context.Background(), "exposed", ""); err != nil || out != "" {
		t.Fatalf("after failures: %q %v", out, err)
	}
}

func TestLuaTimeoutAndPool(t *testing.T) {
	e := sqliteEnv(t)
	dir := modules(t, map[string]string{"t.lua": `
local nk = require("nakama")
local counter = 0
nk.register_rpc(function(context, payload)
  while true do end
end, "loop")
nk.register_rpc(function(context, payload)
  while true do pcall(function() while true do end end) end
end, "loop_pcall")
nk.register_rpc(function(context, payload)
  local start = os.clock()
  while os.clock() - start < tonumber(payload) do end
  return "done"
end, "busy")
nk.register_rpc(function(context, payload)
  counter = counter + 1
  return "ok"
end, "ok")
`})
	rt := e.mustLoad(t, runtime.Config{Path: dir, PoolSize: 2, CallTimeout: 200 * time.Millisecond})
	for _, id := range []string{"loop", "loop_pcall", "loop", "loop"} {
		start := time.Now()
		_, err := e.rpc(t, context.Background(), id, "")
		wantCode(t, err, errs.CodeDeadlineExceeded, "Lua function timed out")
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%s took %v with a 200ms call timeout", id, d)
		}
		if out, err := e.rpc(t, context.Background(), "ok", ""); err != nil || out != "ok" {
			t.Fatalf("after %s: %q %v", id, out, err)
		}
	}

	// Get waits on the request context: with both VMs of a second runtime
	// busy, a call whose context ends first gives up with code 4.
	e2 := &env{db: e.db, svc: e.svc, reg: hooks.New(quiet)}
	e2.mustLoad(t, runtime.Config{Path: dir, PoolSize: 2, CallTimeout: 10 * time.Second})
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := e2.rpc(t, context.Background(), "busy", "1"); err != nil || out != "done" {
				t.Errorf("busy: %q %v", out, err)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err := e2.rpc(t, ctx, "ok", "")
	cancel()
	wantCode(t, err, errs.CodeDeadlineExceeded, "No Lua VM")
	wg.Wait()

	// A cancelled request interrupts the call.
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	_, err = e.rpc(t, ctx, "loop", "")
	wantCode(t, err, errs.CodeCanceled, "canceled")

	// 64 concurrent calls on 2 VMs, then Close.
	var failures sync.Map
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := "ok"
			if i%16 == 0 {
				id = "loop"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			out, err := e.rpc(t, ctx, id, "")
			if id == "ok" && (err != nil || out != "ok") {
				failures.Store(i, fmt.Sprint(out, err))
			}
		}(i)
	}
	wg.Wait()
	failures.Range(func(k, v any) bool { t.Errorf("call %v: %v", k, v); return true })
	rt.Close()
	_, err = e.rpc(t, context.Background(), "ok", "")
	wantCode(t, err, errs.CodeUnavailable, "closed")
}

func TestLuaHooks(t *testing.T) {
	e := sqliteEnv(t)
	dir := modules(t, map[string]string{"h.lua": `
local nk = require("nakama")
nk.register_req_before(function(context, payload)
  assert(context.execution_mode == "before", context.execution_mode)
  assert(context.user_id == "u1" and context.username == "alice" and context.vars.k == "v", "context")
  assert(context.env.REGION == "eu" and context.node == "guildhall", "env")
  assert(context.headers == nil, "headers only for RPCs")
  if #payload.user_ids == 0 then return nil end
  table.insert(payload.user_ids, "added")
  return payload
end, "kickgroupusers")
nk.register_req_before(function(context, payload)
  payload.user_ids = {}
  return payload
end, "BanGroupUsers")
nk.register_req_before(function(context, payload)
  return "not a table"
end, "PromoteGroupUsers")
nk.register_req_before(function(context, payload)
  return {unknown_field = 1}
end, "DemoteGroupUsers")
nk.register_req_after(function(context, outgoing, incoming)
  assert(context.execution_mode == "after")
  assert(outgoing == nil, "empty response is nil")
  error("after hooks' errors are logged")
end, "KickGroupUsers")
nk.register_rpc(function(context, payload)
  assert(context.execution_mode == "rpc")
  return nk.json_encode({headers = context.headers, query = context.query_params, user = context.user_id})
end, "ctx")
`})
	cfg := runtime.Config{Path: dir, PoolSize: 2, Env: map[string]string{"REGION": "eu"}}
	rt := e.mustLoad(t, cfg)
	want := []string{"before KickGroupUsers", "before BanGroupUsers", "before PromoteGroupUsers",
		"before DemoteGroupUsers", "after KickGroupUsers", "rpc ctx"}
	if got := rt.Registrations(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("registrations %v", got)
	}
	caller := &hooks.Caller{UserID: "u1", Username: "alice", Vars: map[string]string{"k": "v"}}
	var seen *groups.GroupUsersRequest
	op := func(_ context.Context, r *groups.GroupUsersRequest) (hooks.Empty, error) {
		seen = r
		return hooks.Empty{}, nil
	}
	ctx := context.Background()

	if _, err := hooks.Run(ctx, hooks.KickGroupUsers.Point(e.reg), caller, &groups.GroupUsersRequest{GroupID: "g", UserIDs: []string{"x"}}, op); err != nil {
		t.Fatal(err)
	}
	if seen.GroupID != "g" || strings.Join(seen.UserIDs, ",") != "x,added" {
		t.Fatalf("changed request: %+v", seen)
	}
	seen = nil
	_, err := hooks.Run(ctx, hooks.KickGroupUsers.Point(e.reg), caller, &groups.GroupUsersRequest{GroupID: "g"}, op)
	if err != hooks.ErrRejected || seen != nil {
		t.Fatalf("nil result: %v, op ran: %v", err, seen != nil)
	}
	if _, err := hooks.Run(ctx, hooks.BanGroupUsers.Point(e.reg), caller, &groups.GroupUsersRequest{GroupID: "g", UserIDs: []string{"x"}}, op); err != nil {
		t.Fatal(err)
	}
	if seen.UserIDs == nil || len(seen.UserIDs) != 0 {
		t.Fatalf("empty user_ids table: %#v", seen.UserIDs)
	}
	_, err = hooks.Run(ctx, hooks.PromoteGroupUsers.Point(e.reg), caller, &groups.GroupUsersRequest{GroupID: "g"}, op)
	wantCode(t, err, errs.CodeInternal, "Could not complete runtime Before function.")
	_, err = hooks.Run(ctx, hooks.DemoteGroupUsers.Point(e.reg), caller, &groups.GroupUsersRequest{GroupID: "g"}, op)
	wantCode(t, err, errs.CodeInternal, "Could not complete runtime Before function.")

	fn, _ := e.reg.RPC("ctx")
	out, err := fn(ctx, &hooks.Caller{HTTPKey: true, Headers: map[string][]string{"X-A": {"1"}},
		Query: map[string][]string{"q": {"a", "b"}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	_ = json.Unmarshal([]byte(out), &got)
	if fmt.Sprint(got["headers"]) != "map[X-A:[1]]" || fmt.Sprint(got["query"]) != "map[q:[a b]]" || got["user"] != nil {
		t.Fatalf("rpc context: %s", out)
	}
}

// nkScript drives every nk function and returns what it saw as JSON.
const nkScript = `
local nk = require("nakama")
nk.register_rpc(function(context, payload)
  local ids = nk.json_decode(payload)
  local out = {}
  local g = nk.group_create(ids.owner, "nk-group", nil, "en", "desc", nil, true, {roles = {x = {"bouncer"}}}, 10)
  out.created = {id = g.id, name = g.name, open = g.open, max_count = g.max_count, edge_count = g.edge_count,
    role = g.metadata.roles.x[1], lang_tag = g.lang_tag, time_is_number = type(g.create_time) == "number"}
  nk.group_update(g.id, nil, "renamed", nil, nil, "", nil, nil, {level = 2}, 20)
  local got = nk.groups_get_id({g.id, "00000000-0000-4000-8000-000000000000"})
  out.updated = {count = #got, name = got[1].name, description = got[1].description, level = got[1].metadata.level,
    max_count = got[1].max_count}
  nk.group_user_join(g.id, ids.a, "a")
  nk.group_users_add(g.id, {ids.b})
  nk.group_users_promote(g.id, {ids.b}, ids.owner)
  local members, cursor = nk.group_users_list(g.id, 100, nil, nil)
  out.members = {}
  for _, m in ipairs(members) do out.members[m.user.user_id] = m.state end
  out.members_cursor = cursor
  local mine = nk.user_groups_list(ids.b)
  out.b_groups = #mine
  out.b_state = mine[1].state
  nk.group_users_kick(g.id, {ids.a})
  nk.group_users_ban(g.id, {ids.a})
  nk.group_users_unban(g.id, {ids.a})
  nk.group_users_demote(g.id, {ids.b})
  nk.group_user_leave(g.id, ids.b, "b")
  local page, next = nk.groups_list("renamed", nil, nil, nil, 1)
  out.listed = #page
  out.list_cursor_nil = next == nil
  local ok, err = pcall(nk.group_users_kick, g.id, {ids.a}, ids.a)
  out.kick_error = err
  out.notify = pcall(nk.notification_send, ids.a, "hello", {x = 1}, 1, nil, true)
  out.uuid = #nk.uuid_v4()
  out.logged = nk.logger_info("logged from lua")
  out.json = nk.json_encode({list = {1, 2}, empty = {}})
  nk.group_delete(g.id)
  out.after_delete = #nk.groups_get_id({g.id})
  return nk.json_encode(out)
end, "nk")
nk.register_rpc(function(context, payload)
  nk.group_update("00000000-0000-4000-8000-000000000000", nil, "x")
end, "update_missing")
nk.register_rpc(function(context, payload)
  local ok, err = pcall(nk.group_update, "00000000-0000-4000-8000-000000000000", nil, "x")
  error("caught: " .. err)
end, "update_caught")
nk.register_rpc(function(context, payload)
  nk.group_create(nil, "x")
end, "bad_args")
`

func TestLuaNK(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := newEnv(t, dialect, url)
		users := testapp.CreateUsers(t, e.db, 3)
		e.mustLoad(t, runtime.Config{Path: modules(t, map[string]string{"nk.lua": nkScript}), PoolSize: 2})
		payload, _ := json.Marshal(map[string]string{"owner": users[0], "a": users[1], "b": users[2]})
		out, err := e.rpc(t, context.Background(), "nk", string(payload))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		check := func(path string, want any) {
			t.Helper()
			var v any = got
			for _, k := range strings.Split(path, ".") {
				v = v.(map[string]any)[k]
			}
			if fmt.Sprint(v) != fmt.Sprint(want) {
				t.Errorf("%s = %v, want %v (all: %s)", path, v, want, out)
			}
		}
		check("created.name", "nk-group")
		check("created.open", true)
		check("created.max_count", 10)
		check("created.edge_count", 1)
		check("created.role", "bouncer")
		check("created.lang_tag", "en")
		check("created.time_is_number", true)
		check("updated.count", 1)
		check("updated.name", "renamed")
		check("updated.description", "desc") // "" leaves it unchanged
		check("updated.level", 2)
		check("updated.max_count", 20)
		check("members."+users[0], 0)
		check("members."+users[1], 2)
		check("members."+users[2], 1)
		check("b_groups", 1)
		check("b_state", 1)
		check("listed", 1)
		check("list_cursor_nil", true)
		check("notify", true)
		check("uuid", 36)
		check("logged", "logged from lua")
		check("json", `{"empty":{},"list":[1,2]}`)
		check("after_delete", 0)
		if _, ok := got["members_cursor"]; ok {
			t.Errorf("members cursor on the last page: %s", out)
		}
		if s, _ := got["kick_error"].(string); !strings.HasPrefix(s, "nk.lua:") {
			t.Errorf("caught nk error: %q", s)
		}

		_, err = e.rpc(t, context.Background(), "update_missing", "")
		wantCode(t, err, errs.CodeNotFound, "Group not found")
		_, err = e.rpc(t, context.Background(), "update_caught", "")
		wantCode(t, err, errs.CodeInternal, "caught: nk.lua:")
		_, err = e.rpc(t, context.Background(), "bad_args", "")
		wantCode(t, err, errs.CodeInternal, "nk.group_create: argument 1: expects user_id")
	})
}

// A Go panic under a Lua call (here: a service without a store) answers 13
// without its text, and the VM is replaced.
func TestLuaGoPanic(t *testing.T) {
	e := &env{svc: groups.NewService(nil), reg: hooks.New(quiet)}
	dir := modules(t, map[string]string{"p.lua": `
local nk = require("nakama")
nk.register_rpc(function(context, payload)
  return tostring(#nk.groups_get_id({"00000000-0000-4000-8000-000000000000"}))
end, "panic")
nk.register_rpc(function(context, payload) return "ok" end, "ok")
`})
	e.mustLoad(t, runtime.Config{Path: dir, PoolSize: 1})
	for i := 0; i < 3; i++ {
		_, err := e.rpc(t, context.Background(), "panic", "")
		wantCode(t, err, errs.CodeInternal, "Internal error in the Lua runtime.")
		if out, err := e.rpc(t, context.Background(), "ok", ""); err != nil || out != "ok" {
			t.Fatalf("after a panic: %q %v", out, err)
		}
	}
}
