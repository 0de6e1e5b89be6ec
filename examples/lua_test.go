package examples_test

// Tests of the Lua examples (bouncer.lua, metadata_filter.lua, resize.lua) and
// of the Lua runtime's behaviour as clients see it, through HTTP against the
// real server on PostgreSQL and SQLite. Each test copies the modules it needs
// into a temporary runtime path and loads them with runtime/lua, unchanged.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/runtime"
	luart "github.com/guildhall/guildhall/runtime/lua"
)

// luaEnv is a running server with Lua modules loaded.
type luaEnv struct {
	*scriptEnv
	rt *luart.Runtime
}

// luaModules is a runtime path: example files copied by name, plus inline
// modules (file name → source).
func luaModules(t testing.TB, examples []string, inline map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range examples {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, src := range inline {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// luaStart builds the app, loads the modules of dir into it and starts it.
func luaStart(t testing.TB, dialect, dbURL string, cfg runtime.Config) *luaEnv {
	t.Helper()
	app := testapp.New(t, dialect, dbURL)
	rt, err := luart.Load(context.Background(), cfg, runtime.Deps{Groups: app.Groups, Hooks: app.Hooks, Log: testLog})
	if err != nil {
		t.Fatalf("load Lua modules: %v", err)
	}
	t.Cleanup(rt.Close)
	app.Start(t)
	// Cleanups run last-in first-out: idle keep-alive connections close
	// before the server shuts down, which would otherwise wait for them.
	t.Cleanup(testClient.CloseIdleConnections)
	waitReady(t, app.URL)
	return &luaEnv{scriptEnv: &scriptEnv{t: t, app: app}, rt: rt}
}

func TestLuaBouncer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		e := luaStart(t, dialect, dbURL, runtime.Config{Path: luaModules(t, []string{"bouncer.lua"}, nil)})
		if got := e.rt.Registrations(); len(got) != 1 || got[0] != "before KickGroupUsers" {
			t.Fatalf("registrations: %v", got)
		}
		owner, admin, bouncer, target := e.user("owner"), e.user("admin"), e.user("bouncer"), e.user("target")
		gid := e.group(owner, "club-"+uuid.NewString()[:8])
		for _, u := range []tuser{admin, bouncer, target} {
			e.must("POST", "/v2/group/"+gid+"/join", u.token, "")
		}
		e.must("POST", "/v2/group/"+gid+"/promote?user_ids="+admin.id+"&user_ids="+bouncer.id, owner.token, "")
		e.setMetadata(gid, map[string]any{"roles": map[string]any{bouncer.id: []string{"bouncer"}}})

		// A plain admin may kick by the group rules, but the hook refuses.
		e.do("POST", "/v2/group/"+gid+"/kick?user_ids="+target.id, admin.token, "").
			wantError(t, 404, errs.CodeNotFound, "Requested resource was not found.")
		if st, ok := e.members(gid, owner)[target.id]; !ok || st != int(groups.Member) {
			t.Fatalf("target after a refused kick: state %d, member %v", st, ok)
		}
		// The owner holds no bouncer role either.
		e.do("POST", "/v2/group/"+gid+"/kick?user_ids="+target.id, owner.token, "").
			wantError(t, 404, errs.CodeNotFound, "Requested resource was not found.")

		// The bouncer's kick goes through.
		e.must("POST", "/v2/group/"+gid+"/kick?user_ids="+target.id, bouncer.token, "")
		if _, ok := e.members(gid, owner)[target.id]; ok {
			t.Fatal("target is still a member after the bouncer's kick")
		}
		// Unknown group: the hook finds nothing and refuses.
		e.do("POST", "/v2/group/"+uuid.NewString()+"/kick?user_ids="+target.id, bouncer.token, "").
			wantError(t, 404, errs.CodeNotFound, "Requested resource was not found.")
	})
}

func TestLuaMetadataFilter(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		e := luaStart(t, dialect, dbURL, runtime.Config{Path: luaModules(t, []string{"metadata_filter.lua"}, nil)})
		owner := e.user("owner")
		prefix := "mf" + uuid.NewString()[:6]
		visible1, hidden, visible2 := e.group(owner, prefix+"-a"), e.group(owner, prefix+"-b"), e.group(owner, prefix+"-c")
		e.setMetadata(hidden, map[string]any{"hidden": true})
		e.setMetadata(visible2, map[string]any{"hidden": false, "note": "shown"})

		list := func(query string) []string {
			r := e.must("GET", "/v2/group?"+query, owner.token, "")
			var ids []string
			gs, _ := r.body["groups"].([]any)
			for _, g := range gs {
				ids = append(ids, g.(map[string]any)["id"].(string))
			}
			return ids
		}
		got := list("limit=10&name=" + prefix + "%25")
		if len(got) != 2 || got[0] != visible1 || got[1] != visible2 {
			t.Fatalf("listed %v, want [%s %s] (hidden %s)", got, visible1, visible2, hidden)
		}
		got = list("limit=10")
		for _, id := range got {
			if id == hidden {
				t.Fatalf("the hidden group is listed: %v", got)
			}
		}
		if len(got) != 2 {
			t.Fatalf("listed %v, want the 2 visible groups", got)
		}
		// A page holding only the hidden group comes back empty: {} on the wire.
		r := e.must("GET", "/v2/group?limit=1&name="+prefix+"-b", owner.token, "")
		if _, ok := r.body["groups"]; ok {
			t.Fatalf("page of the hidden group only: %s", r.raw)
		}
	})
}

func TestLuaResizeRPC(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		e := luaStart(t, dialect, dbURL, runtime.Config{Path: luaModules(t, []string{"resize.lua"}, nil)})
		owner, member := e.user("owner"), e.user("member")
		gid := e.group(owner, "resize-"+uuid.NewString()[:8])
		e.must("POST", "/v2/group/"+gid+"/join", member.token, "")
		rpc := "/v2/rpc/resize_group?http_key=" + testapp.HTTPKey + "&unwrap"

		r := e.must("POST", rpc, "", `{"group_id":"`+gid+`","max_count":50}`)
		if r.body["group_id"] != gid || r.body["max_count"] != float64(50) {
			t.Fatalf("resize answered %s", r.raw)
		}
		g := e.must("GET", "/v2/server/group/"+gid+"?http_key="+testapp.HTTPKey, "", "")
		if g.body["max_count"] != float64(50) {
			t.Fatalf("group after resize: %s", g.raw)
		}
		// The RPC id is case-insensitive; the wrapped (JSON string) body works too.
		body, _ := json.Marshal(`{"group_id":"` + gid + `","max_count":7}`)
		r = e.must("POST", "/v2/rpc/Resize_Group?http_key="+testapp.HTTPKey, "", string(body))
		if !strings.Contains(r.body["payload"].(string), `"max_count":7`) {
			t.Fatalf("wrapped call answered %s", r.raw)
		}

		// A client session is refused with the script's code.
		r = e.do("POST", "/v2/rpc/resize_group?unwrap", owner.token, `{"group_id":"`+gid+`","max_count":60}`)
		r.wantError(t, 403, errs.CodePermissionDenied, "resize is for game servers only")
		// Below the member count: the service's coded error reaches the client.
		e.do("POST", rpc, "", `{"group_id":"`+gid+`","max_count":1}`).
			wantError(t, 400, errs.CodeInvalidArgument, "Group max count cannot be below the current member count.")
		// Unknown group: code 5 from the service.
		e.do("POST", rpc, "", `{"group_id":"`+uuid.NewString()+`","max_count":10}`).
			wantError(t, 404, errs.CodeNotFound, "Group not found or you're not allowed to update.")
		e.do("POST", rpc, "", `not json`).wantError(t, 400, errs.CodeInvalidArgument, "payload must be a JSON object")
		g = e.must("GET", "/v2/server/group/"+gid+"?http_key="+testapp.HTTPKey, "", "")
		if g.body["max_count"] != float64(7) {
			t.Fatalf("refused resizes changed the group: %s", g.raw)
		}
	})
}

// luaHookModule exercises the hook contract: refusals, coded and plain
// errors, the sandbox, and a before hook that never ends.
const luaHookModule = `
local nk = require("nakama")

-- CreateGroup: refused (nil) when the name asks for it.
nk.register_req_before(function(context, payload)
  if payload.name == "refuse-me" then
    return nil
  end
  if payload.name == "coded" then
    error({"nope", 3})
  end
  if payload.name == "named-fields" then
    error({message = "named", code = 6})
  end
  if payload.name == "plain" then
    error("plain failure")
  end
  if payload.name == "loop" then
    while true do end
  end
  if payload.name == "io" then
    io.open("/etc/passwd")
  end
  if payload.name == "exec" then
    os.execute("true")
  end
  payload.description = "set by lua for " .. context.user_id
  return payload
end, "CreateGroup")

nk.register_rpc(function(context, payload)
  return nk.json_encode({
    io = type(io), execute = type(os.execute), getenv = type(os.getenv), remove = type(os.remove),
    dofile = type(dofile), loadfile = type(loadfile), package = type(package), debug = type(debug),
    time = type(os.time), date = type(os.date), clock = type(os.clock), require = type(require),
    loadstring = type(loadstring),
  })
end, "sandbox")

nk.register_rpc(function(context, payload)
  return "pong " .. payload
end, "ping")

nk.register_rpc(function(context, payload)
  return 42
end, "bad_result")
`

func TestLuaHookContract(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		dir := luaModules(t, nil, map[string]string{"contract.lua": luaHookModule})
		e := luaStart(t, dialect, dbURL, runtime.Config{Path: dir, PoolSize: 1, CallTimeout: 300 * time.Millisecond})
		u := e.user("user")
		count := func() int {
			var n int64
			if err := e.app.DB.Read.Raw("SELECT count(*) FROM groups").Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		create := func(name string) resp { return e.do("POST", "/v2/group", u.token, `{"name":"`+name+`"}`) }

		create("refuse-me").wantError(t, 404, errs.CodeNotFound, "Requested resource was not found.")
		create("coded").wantError(t, 400, errs.CodeInvalidArgument, "nope")
		create("named-fields").wantError(t, 409, errs.CodeAlreadyExists, "named")
		create("plain").wantError(t, 500, errs.CodeInternal, "plain failure")
		if r := create("io"); r.status != 500 || r.body["code"] != float64(13) || !strings.Contains(r.raw, "nil") {
			t.Fatalf("io.open: %d %s", r.status, r.raw)
		}
		if r := create("exec"); r.status != 500 || r.body["code"] != float64(13) || !strings.Contains(r.raw, "non-function") {
			t.Fatalf("os.execute: %d %s", r.status, r.raw)
		}
		if n := count(); n != 0 {
			t.Fatalf("refused creates wrote %d groups", n)
		}

		// An endless loop times out with a clear error, and the (single) VM
		// is replaced so the next call is served.
		start := time.Now()
		create("loop").wantError(t, 504, errs.CodeDeadlineExceeded, "Lua function timed out")
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("the endless loop took %v to time out (call timeout 300ms)", d)
		}
		r := e.must("POST", "/v2/group", u.token, `{"name":"after-loop"}`)
		if r.body["description"] != "set by lua for "+u.id {
			t.Fatalf("hook did not change the request: %s", r.raw)
		}
		if n := count(); n != 1 {
			t.Fatalf("%d groups, want 1", n)
		}

		r = e.must("GET", "/v2/rpc/sandbox?http_key="+testapp.HTTPKey, "", "")
		var types map[string]string
		if err := json.Unmarshal([]byte(r.body["payload"].(string)), &types); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"io": "nil", "execute": "nil", "getenv": "nil", "remove": "nil", "dofile": "nil",
			"loadfile": "nil", "package": "nil", "debug": "nil", "time": "function", "date": "function",
			"clock": "function", "require": "function", "loadstring": "function"}
		for k, v := range want {
			if types[k] != v {
				t.Errorf("type(%s) = %q, want %q", k, types[k], v)
			}
		}
		r = e.must("POST", "/v2/rpc/ping?http_key="+testapp.HTTPKey+"&unwrap", "", "hello")
		if r.raw != "pong hello" {
			t.Fatalf("ping: %s", r.raw)
		}
		r = e.do("POST", "/v2/rpc/bad_result?http_key="+testapp.HTTPKey, "", "")
		if r.status != 500 || r.body["code"] != float64(13) {
			t.Fatalf("non-string RPC result: %d %s", r.status, r.raw)
		}
	})
}

// TestLuaParallel fires 64 hooked requests at once at a pool of 4 VMs (run it
// with -race).
func TestLuaParallel(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		dir := luaModules(t, []string{"metadata_filter.lua", "bouncer.lua"}, map[string]string{"count.lua": `
local nk = require("nakama")
local calls = 0
nk.register_req_before(function(context, payload)
  calls = calls + 1
  local n = 0
  for i = 1, 2000 do n = n + i end
  payload.limit = 10
  return payload
end, "ListGroups")
nk.register_rpc(function(context, payload)
  local groups = nk.groups_get_id({payload})
  return tostring(#groups) .. ":" .. groups[1].name
end, "name_of")
`})
		e := luaStart(t, dialect, dbURL, runtime.Config{Path: dir, PoolSize: 4, CallTimeout: 20 * time.Second})
		owner := e.user("owner")
		prefix := "par" + uuid.NewString()[:6]
		shown, hidden := e.group(owner, prefix+"-shown"), e.group(owner, prefix+"-hidden")
		e.setMetadata(hidden, map[string]any{"hidden": true})

		var wg sync.WaitGroup
		errs := make(chan string, 64)
		for i := 0; i < 64; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if i%2 == 0 {
					r := e.do("GET", "/v2/group?limit=1&name="+prefix+"%25", owner.token, "")
					gs, _ := r.body["groups"].([]any)
					if r.status != 200 || len(gs) != 1 || gs[0].(map[string]any)["id"] != shown {
						errs <- fmt.Sprintf("list: %d %s", r.status, r.raw)
					}
					return
				}
				r := e.do("POST", "/v2/rpc/name_of?http_key="+testapp.HTTPKey+"&unwrap", "", shown)
				if r.status != 200 || r.raw != "1:"+prefix+"-shown" {
					errs <- fmt.Sprintf("rpc: %d %s", r.status, r.raw)
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for msg := range errs {
			t.Error(msg)
		}
	})
}

// BenchmarkKickLua compares a client kick through the full HTTP app on
// PostgreSQL without hooks (nohook) and with the Lua bouncer (bouncer_lua,
// which reads the group with nk.groups_get_id on every kick). The servers
// share one database, so they run against the same tables and caches.
// interleaved alternates kicks, one by one, through nohook, bouncer_lua and a
// Lua hook that only returns its payload (the runtime's own cost, without the
// bouncer's database read), so all see the same machine load; it reports
// median latencies and each hook's overhead in percent — the numbers to trust
// on a busy machine.
//
//	./scripts/with-postgres.sh go test -run '^$' -bench KickLua -benchtime 3s ./examples/
func BenchmarkKickLua(b *testing.B) {
	dbURL := testdb.Postgres(b)
	plain := testapp.New(b, testdb.DialectPostgres, dbURL)
	hooked := testapp.New(b, testdb.DialectPostgres, dbURL)
	passthrough := testapp.New(b, testdb.DialectPostgres, dbURL)
	for app, dir := range map[*testapp.App]string{
		hooked: luaModules(b, []string{"bouncer.lua"}, nil),
		passthrough: luaModules(b, nil, map[string]string{"pass.lua": `local nk = require("nakama")
nk.register_req_before(function(context, payload) return payload end, "KickGroupUsers")`}),
	} {
		rt, err := luart.Load(context.Background(), runtime.Config{Path: dir}, runtime.Deps{Groups: app.Groups, Hooks: app.Hooks, Log: testLog})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(rt.Close)
	}
	for _, app := range []*testapp.App{plain, hooked, passthrough} {
		app.Start(b)
		waitReady(b, app.URL)
	}
	b.Cleanup(testClient.CloseIdleConnections)

	ctx := context.Background()
	// kicker kicks members of a fresh group through one app, refilling the
	// group (off the clock) when it runs out. Each has its own owner (a
	// bouncer in the group's metadata) and session, as sessions expire
	// within a minute.
	type kicker struct {
		app   *testapp.App
		group string
		token string
		pool  []string
	}
	newKicker := func(b *testing.B, app *testapp.App) *kicker {
		owner := (&scriptEnv{t: b, app: plain}).user("owner")
		meta, _ := json.Marshal(map[string]any{"roles": map[string]any{owner.id: []string{"bouncer"}}})
		g, err := plain.Groups.CreateGroup(ctx, groups.SystemActor(), groups.CreateGroupRequest{
			OwnerID: owner.id, Name: "bench-" + uuid.NewString()[:8], MaxCount: 1 << 30, Metadata: string(meta)})
		if err != nil {
			b.Fatal(err)
		}
		return &kicker{app: app, group: g.ID, token: owner.token}
	}
	refill := func(b *testing.B, k *kicker) {
		ids := luaCreateUsers(b, plain, groups.MaxBatchUsers)
		err := plain.Groups.AddUsers(ctx, groups.SystemActor(), groups.GroupUsersRequest{GroupID: k.group, UserIDs: ids})
		if err != nil {
			b.Fatal(err)
		}
		k.pool = append(k.pool, ids...)
	}
	kick := func(b *testing.B, k *kicker) {
		if len(k.pool) == 0 {
			b.StopTimer()
			refill(b, k)
			b.StartTimer()
		}
		id := k.pool[len(k.pool)-1]
		k.pool = k.pool[:len(k.pool)-1]
		req, _ := http.NewRequest("POST", k.app.URL+"/v2/group/"+k.group+"/kick?user_ids="+id, nil)
		req.Header.Set("Authorization", "Bearer "+k.token)
		res, err := testClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("kick: %d", res.StatusCode)
		}
	}

	for _, c := range []struct {
		name string
		app  *testapp.App
	}{{"nohook", plain}, {"bouncer_lua", hooked}} {
		b.Run(c.name, func(b *testing.B) {
			k := newKicker(b, c.app)
			kick(b, k) // warm the connection and the VM pool
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				kick(b, k)
			}
		})
	}
	b.Run("interleaved", func(b *testing.B) {
		ks := []*kicker{newKicker(b, plain), newKicker(b, hooked), newKicker(b, passthrough)}
		times := make([][]time.Duration, len(ks))
		for _, k := range ks {
			kick(b, k)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for j, k := range ks {
				if len(k.pool) == 0 {
					b.StopTimer()
					refill(b, k)
					b.StartTimer()
				}
				start := time.Now()
				kick(b, k)
				times[j] = append(times[j], time.Since(start))
			}
		}
		b.StopTimer()
		med := make([]float64, len(ks))
		for j, d := range times {
			sort.Slice(d, func(a, c int) bool { return d[a] < d[c] })
			med[j] = float64(d[len(d)/2].Nanoseconds())
		}
		b.ReportMetric(med[0], "nohook-median-ns")
		b.ReportMetric(med[1], "bouncer-median-ns")
		b.ReportMetric(med[2], "passthrough-median-ns")
		b.ReportMetric(100*(med[1]-med[0])/med[0], "bouncer-overhead-%")
		b.ReportMetric(100*(med[2]-med[0])/med[0], "passthrough-overhead-%")
	})
}

// luaCreateUsers inserts n users directly, named by their whole id (a
// benchmark creates tens of thousands, too many for testapp.CreateUsers'
// 8-character names to stay unique).
func luaCreateUsers(t testing.TB, app *testapp.App, n int) []string {
	t.Helper()
	ids := make([]string, n)
	now := time.Now().UnixMicro()
	for i := range ids {
		ids[i] = uuid.NewString()
		name := "lua-" + ids[i]
		err := app.DB.Write.Exec(`INSERT INTO users (id, username, username_key, create_time, update_time)
			VALUES (?, ?, ?, ?, ?)`, ids[i], name, name, now, now).Error
		if err != nil {
			t.Fatalf("create user: %v", err)
		}
	}
	return ids
}
