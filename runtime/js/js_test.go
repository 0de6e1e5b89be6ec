package js_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/syncbuf"
	"github.com/guildhall/guildhall/runtime"
	"github.com/guildhall/guildhall/runtime/js"
)

type loaded struct {
	rt   *js.Runtime
	reg  *hooks.Registry
	logs *syncbuf.Buffer
}

func load(t testing.TB, code string, cfg runtime.Config) (loaded, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Path = dir
	logs := &syncbuf.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := hooks.New(log)
	rt, err := js.Load(context.Background(), cfg, runtime.Deps{Hooks: reg, Log: log})
	if rt != nil {
		t.Cleanup(rt.Close)
	}
	return loaded{rt: rt, reg: reg, logs: logs}, err
}

func mustLoad(t testing.TB, code string, cfg runtime.Config) loaded {
	t.Helper()
	l, err := load(t, code, cfg)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return l
}

// kick runs the KickGroupUsers point with an op that records what reached it.
func kick(ctx context.Context, reg *hooks.Registry, c *hooks.Caller, req *groups.GroupUsersRequest) (*groups.GroupUsersRequest, error) {
	var got *groups.GroupUsersRequest
	_, err := hooks.Run(ctx, hooks.KickGroupUsers.Point(reg), c, req,
		func(_ context.Context, r *groups.GroupUsersRequest) (hooks.Empty, error) {
			got = r
			return hooks.Empty{}, nil
		})
	return got, err
}

func codeOf(t *testing.T, err error) *errs.Error {
	t.Helper()
	ge, ok := errs.AsError(err)
	if !ok {
		t.Fatalf("want a coded error, got %T %v", err, err)
	}
	return ge
}

func TestNoIndexJS(t *testing.T) {
	reg := hooks.New(nil)
	rt, err := js.Load(context.Background(), runtime.Config{Path: t.TempDir()}, runtime.Deps{Hooks: reg})
	if err != nil || rt == nil {
		t.Fatalf("Load = %v, %v", rt, err)
	}
	if len(rt.Registrations()) != 0 || hooks.KickGroupUsers.Point(reg).Hooked() {
		t.Fatal("a missing index.js registered something")
	}
	rt.Close()
	rt, err = js.Load(context.Background(), runtime.Config{Path: filepath.Join(t.TempDir(), "missing")}, runtime.Deps{Hooks: reg})
	if err != nil || rt == nil {
		t.Fatalf("Load of a missing dir = %v, %v", rt, err)
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name, code string
		want       []string
	}{
		{"syntax", "function InitModule(ctx, logger, nk, initializer) {\n  var x = ;\n}\n",
			[]string{"index.js", "Line 2:11", "Unexpected token"}},
		{"missing InitModule", "function initModule() {}\n", []string{"index.js", "InitModule function not found"}},
		{"let InitModule", "let InitModule = function(ctx, logger, nk, initializer) {};\n", []string{"InitModule function not found"}},
		{"throwing InitModule", "function InitModule(ctx, logger, nk, initializer) {\n  throw new Error('boom');\n}\n",
			[]string{"index.js", "InitModule", "Error: boom", "index.js:2:"}},
		{"throwing coded", "function InitModule(ctx, logger, nk, initializer) {\n  throw {code: 3, message: 'bad config'};\n}\n",
			[]string{"bad config at InitModule (index.js:2:3)"}},
		{"throwing top level", "var x = null;\nx.y = 1;\nfunction InitModule() {}\n",
			[]string{"index.js", "TypeError", "index.js:2:"}},
		{"inline function", "function InitModule(ctx, logger, nk, initializer) {\n" +
			"  initializer.registerBeforeKickGroupUsers(function(ctx, logger, nk, data) { return data; });\n}\n",
			[]string{"javascript functions cannot be inlined", "index.js:2:"}},
		{"arrow function", "function InitModule(ctx, logger, nk, initializer) {\n" +
			"  initializer.registerRpc('x', (ctx, logger, nk, payload) => payload);\n}\n",
			[]string{"javascript functions cannot be inlined"}},
		{"nested function", "function InitModule(ctx, logger, nk, initializer) {\n" +
			"  function inner(ctx, logger, nk, data) { return data; }\n" +
			"  initializer.registerBeforeKickGroupUsers(inner);\n}\n",
			[]string{"javascript functions cannot be inlined"}},
		{"unknown name", "function InitModule(ctx, logger, nk, initializer) {\n" +
			"  initializer.registerBeforeKickGroupUsers('nope');\n}\n",
			[]string{`"nope" is not a top-level function`}},
		{"rpc without id", "function f() {}\nfunction InitModule(ctx, logger, nk, initializer) {\n" +
			"  initializer.registerRpc('', f);\n}\n",
			[]string{"registerRpc: expects an id string"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, err := load(t, tc.code, runtime.Config{})
			if err == nil {
				t.Fatalf("Load succeeded (%v)", l.rt.Registrations())
			}
			t.Log(err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if hooks.KickGroupUsers.Point(l.reg).Hooked() || len(l.reg.RPCIDs()) != 0 {
				t.Error("a failed load registered hooks")
			}
		})
	}
}

func TestEndlessLoadIsInterrupted(t *testing.T) {
	for _, code := range []string{
		"while (true) {}\nfunction InitModule() {}\n",
		"function InitModule(ctx, logger, nk, initializer) { for (;;) {} }\n",
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(code), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		start := time.Now()
		_, err := js.Load(ctx, runtime.Config{Path: dir}, runtime.Deps{Hooks: hooks.New(nil)})
		cancel()
		if err == nil || !strings.Contains(err.Error(), "timed out") || !strings.Contains(err.Error(), "index.js") {
			t.Fatalf("Load = %v", err)
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("Load took %v", time.Since(start))
		}
	}
}

func TestRegistrationForms(t *testing.T) {
	l := mustLoad(t, `
function beforeKick(ctx, logger, nk, data) { return data; }
var afterKick = function(ctx, logger, nk, out, input) {};
var handlers = { echo: function(ctx, logger, nk, payload) { return payload; } };
var InitModule = function(ctx, logger, nk, initializer) {
  initializer.registerBeforeKickGroupUsers(beforeKick);
  initializer.registerAfterKickGroupUsers('afterKick');
  initializer.registerRpc('Echo', handlers.echo);
  initializer.registerMatch('lobby', {});
  initializer.registerBeforeGetAccount(beforeKick);
  initializer.registerMatch('lobby2', {});
  try { initializer.registerBeforeJoinGroup(function() {}); } catch (e) {}
};
`, runtime.Config{})
	got := l.rt.Registrations()
	want := []string{"before KickGroupUsers", "after KickGroupUsers", "rpc echo"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("registered %q, want %q", got, want)
	}
	if fns := l.rt.Functions(); !reflect.DeepEqual(fns, []string{"beforeKick", "afterKick", "handlers.echo"}) {
		t.Fatalf("functions %q", fns)
	}
	if _, ok := l.reg.RPC("ECHO"); !ok {
		t.Fatal("rpc echo not registered")
	}
	logs := l.logs.String()
	if strings.Count(logs, "initializer.registerMatch is not supported by Guildhall") != 1 ||
		!strings.Contains(logs, "initializer.registerBeforeGetAccount is not supported") {
		t.Fatalf("unsupported registrations not warned once each:\n%s", logs)
	}
	if hooks.JoinGroup.Point(l.reg).Hooked() {
		t.Fatal("a caught inline registration was registered")
	}
}

func TestBeforeHookPayloadAndResult(t *testing.T) {
	l := mustLoad(t, `
function beforeKick(ctx, logger, nk, data) {
  if (ctx.executionMode !== 'before' || ctx.userId !== 'u1' || ctx.username !== 'alice') throw 'bad ctx ' + JSON.stringify(ctx);
  if (ctx.vars['Team_Color'] !== 'red' || ctx.env['SOME_KEY'] !== 'v' || ctx.userSessionExp !== 1700000000) throw 'bad ctx data ' + JSON.stringify(ctx);
  if (ctx.headers !== undefined) throw 'headers outside rpc';
  if (Object.keys(data).join() !== 'groupId,userIds') throw 'bad keys ' + Object.keys(data).join();
  data.userIds = data.userIds.filter(function(id) { return id !== 'protected'; });
  data.userIds.push('added');
  return data;
}
function InitModule(ctx, logger, nk, initializer) {
  if (ctx.executionMode !== 'init' || ctx.node !== 'n1' || ctx.env['SOME_KEY'] !== 'v') throw 'bad init ctx ' + JSON.stringify(ctx);
  initializer.registerBeforeKickGroupUsers(beforeKick);
}
`, runtime.Config{Node: "n1", Env: map[string]string{"SOME_KEY": "v"}})
	c := &hooks.Caller{UserID: "u1", Username: "alice", Vars: map[string]string{"Team_Color": "red"}, SessionExp: 1700000000}
	got, err := kick(context.Background(), l.reg, c, &groups.GroupUsersRequest{GroupID: "g", UserIDs: []string{"a", "protected"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.GroupID != "g" || !reflect.DeepEqual(got.UserIDs, []string{"a", "added"}) {
		t.Fatalf("request after the hook = %+v", got)
	}
}

func TestBeforeHookRefusals(t *testing.T) {
	l := mustLoad(t, `
function hook(ctx, logger, nk, data) {
  switch (data.groupId) {
  case 'null': return null;
  case 'undefined': return undefined;
  case 'nothing': return;
  case 'coded': throw {code: 3, message: 'nope'};
  case 'codeonly': throw {code: 7};
  case 'error': throw new Error('broken');
  case 'string': throw 'text';
  case 'number': return 42;
  case 'badkey': data.bogus = 1; return data;
  case 'deep': return (function f(n) { return f(n + 1); })(0);
  case 'nk': nk.groupsGetId('not an array'); return data;
  case 'catch': try { nk.groupsGetId(5); } catch (e) { return data; }
  }
  return data;
}
function InitModule(ctx, logger, nk, initializer) { initializer.registerBeforeKickGroupUsers(hook); }
`, runtime.Config{})
	cases := []struct {
		group string
		code  errs.Code
		msg   string // prefix
	}{
		{"null", errs.CodeNotFound, "Requested resource was not found."},
		{"undefined", errs.CodeNotFound, "Requested resource was not found."},
		{"nothing", errs.CodeNotFound, "Requested resource was not found."},
		{"coded", errs.CodeInvalidArgument, "nope"},
		{"codeonly", errs.CodePermissionDenied, "[object Object] at hook (index.js:"},
		{"error", errs.CodeInternal, "Error: broken at hook (index.js:"},
		{"string", errs.CodeInternal, "text at hook (index.js:"},
		{"number", errs.CodeInternal, "Could not complete runtime Before function."},
		{"badkey", errs.CodeInternal, "Could not complete runtime Before function."},
		{"deep", errs.CodeInternal, "RangeError: Maximum call stack size exceeded"},
		{"nk", errs.CodeInternal, "TypeError: nk.groupsGetId: expects groupIds to be an array of strings"},
	}
	for _, tc := range cases {
		t.Run(tc.group, func(t *testing.T) {
			got, err := kick(context.Background(), l.reg, &hooks.Caller{}, &groups.GroupUsersRequest{GroupID: tc.group})
			if got != nil {
				t.Fatal("a refused request reached the operation")
			}
			ge := codeOf(t, err)
			if ge.Code != tc.code || !strings.HasPrefix(ge.Message, tc.msg) {
				t.Fatalf("error = %d %q, want %d %q…", ge.Code, ge.Message, tc.code, tc.msg)
			}
		})
	}
	if got, err := kick(context.Background(), l.reg, &hooks.Caller{}, &groups.GroupUsersRequest{GroupID: "catch"}); err != nil || got == nil {
		t.Fatalf("caught nk error: %v", err)
	}
}

func TestTimeoutKeepsPoolHealthy(t *testing.T) {
	l := mustLoad(t, `
function hook(ctx, logger, nk, data) {
  if (data.groupId === 'loop') { while (true) {} }
  if (data.groupId === 'catchloop') { try { while (true) {} } catch (e) {} finally { return data; } }
  return data;
}
function InitModule(ctx, logger, nk, initializer) { initializer.registerBeforeKickGroupUsers(hook); }
`, runtime.Config{PoolSize: 1, CallTimeout: 100 * time.Millisecond})
	for _, group := range []string{"loop", "catchloop"} {
		start := time.Now()
		_, err := kick(context.Background(), l.reg, &hooks.Caller{}, &groups.GroupUsersRequest{GroupID: group})
		took := time.Since(start)
		ge := codeOf(t, err)
		if ge.Code != errs.CodeDeadlineExceeded || ge.Message != "JavaScript function timed out" {
			t.Fatalf("%s: error = %d %q", group, ge.Code, ge.Message)
		}
		if took < 100*time.Millisecond || took > time.Second {
			t.Fatalf("%s: took %v with a 100ms timeout", group, took)
		}
		// The only VM went back to the pool and works.
		if got, err := kick(context.Background(), l.reg, &hooks.Caller{}, &groups.GroupUsersRequest{GroupID: "ok"}); err != nil || got == nil {
			t.Fatalf("call after a timeout: %v", err)
		}
	}
	// A request that ends first interrupts the script too.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := kick(ctx, l.reg, &hooks.Caller{}, &groups.GroupUsersRequest{GroupID: "loop"})
	if ge := codeOf(t, err); ge.Code != errs.CodeCanceled {
		t.Fatalf("canceled request: %d %q", ge.Code, ge.Message)
	}
}

func TestPoolBoundAndWait(t *testing.T) {
	l := mustLoad(t, `
var calls = 0;
function hook(ctx, logger, nk, data) {
  calls++;
  var until = Date.now() + 20;
  while (Date.now() < until) {}
  data.userIds = [String(calls)];
  return data;
}
function InitModule(ctx, logger, nk, initializer) { initializer.registerBeforeKickGroupUsers(hook); }
`, runtime.Config{PoolSize: 2})
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	for range 16 {
		wg.Go(func() {
			got, err := kick(context.Background(), l.reg, &hooks.Caller{}, &groups.GroupUsersRequest{GroupID: "g"})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			counts[got.UserIDs[0]]++
			mu.Unlock()
		})
	}
	wg.Wait()
	// Each VM keeps its own globals: with two VMs each counter value is seen
	// at most twice, and 16 calls reach at least 8.
	for k, n := range counts {
		if n > 2 {
			t.Fatalf("counter value %s seen %d times: more than 2 VMs ran (%v)", k, n, counts)
		}
	}
	if counts["8"] == 0 {
		t.Fatalf("calls spread over more than 2 VMs: %v", counts)
	}
	// A full pool makes a caller wait until its context ends.
	l2 := mustLoad(t, `
function hook(ctx, logger, nk, data) { var until = Date.now() + 300; while (Date.now() < until) {} return data; }
function InitModule(ctx, logger, nk, initializer) { initializer.registerBeforeKickGroupUsers(hook); }
`, runtime.Config{PoolSize: 1})
	go func() {
		_, _ = kick(context.Background(), l2.reg, &hooks.Caller{}, &groups.GroupUsersRequest{GroupID: "g"})
	}()
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := kick(ctx, l2.reg, &hooks.Caller{}, &groups.GroupUsersRequest{GroupID: "g"})
	if ge := codeOf(t, err); ge.Code != errs.CodeDeadlineExceeded || !strings.Contains(ge.Message, "waiting for a JavaScript runtime") {
		t.Fatalf("waiting on a full pool: %d %q", ge.Code, ge.Message)
	}
}

func TestAfterHook(t *testing.T) {
	l := mustLoad(t, `
function afterCreate(ctx, logger, nk, out, input) {
  logger.withField('group', out.name).info('created %s with %d members; meta %s; in %s', out.id, out.edgeCount, out.metadata, input.langTag);
  if (out.creatorId !== 'u1' || typeof out.metadata !== 'string' || out.createTime !== '2023-11-14T22:13:20Z') throw 'bad out ' + JSON.stringify(out);
  throw {code: 3, message: 'ignored'};
}
function InitModule(ctx, logger, nk, initializer) { initializer.registerAfterCreateGroup(afterCreate); }
`, runtime.Config{})
	created := time.Unix(1700000000, 0)
	g, err := hooks.Run(context.Background(), hooks.CreateGroup.Point(l.reg), &hooks.Caller{UserID: "u1"},
		&groups.CreateGroupRequest{Name: "n", LangTag: "fr"},
		func(_ context.Context, r *groups.CreateGroupRequest) (*groups.Group, error) {
			return &groups.Group{ID: "g1", CreatorID: "u1", Name: r.Name, Metadata: `{"A_b":1}`, EdgeCount: 1,
				CreateTime: created, UpdateTime: created}, nil
		})
	if err != nil || g.ID != "g1" {
		t.Fatalf("after hook error leaked: %v", err)
	}
	logs := l.logs.String()
	for _, w := range []string{`msg="created g1 with 1 members; meta {\"A_b\":1}; in fr"`, "group=n", "hook=CreateGroup", "mode=after",
		"after hook failed", "error=ignored"} {
		if !strings.Contains(logs, w) {
			t.Errorf("logs lack %q:\n%s", w, logs)
		}
	}
}

func TestAfterHookNarrowsListing(t *testing.T) {
	l := mustLoad(t, `
function afterList(ctx, logger, nk, out, input) {
  out.groups = out.groups.filter(function(g) { return !JSON.parse(g.metadata).hidden; });
  return out;
}
function InitModule(ctx, logger, nk, initializer) { initializer.registerAfterListGroups(afterList); }
`, runtime.Config{})
	list, err := hooks.Run(context.Background(), hooks.ListGroups.Point(l.reg), &hooks.Caller{}, &groups.ListGroupsRequest{},
		func(context.Context, *groups.ListGroupsRequest) (*groups.GroupList, error) {
			return &groups.GroupList{Groups: []groups.Group{
				{ID: "a", Metadata: `{}`}, {ID: "b", Metadata: `{"hidden":true}`}, {ID: "c", Metadata: `{"hidden":false}`},
			}}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, g := range list.Groups {
		ids = append(ids, g.ID)
	}
	if !reflect.DeepEqual(ids, []string{"a", "c"}) {
		t.Fatalf("listing after the hook: %v", ids)
	}
}

func TestRPC(t *testing.T) {
	l := mustLoad(t, `
function echo(ctx, logger, nk, payload) {
  if (ctx.executionMode !== 'rpc') throw 'mode';
  return JSON.stringify({payload: payload, user: ctx.userId || null, headers: ctx.headers, query: ctx.queryParams,
    b64: nk.base64Decode(nk.base64Encode('hé')), uuid: nk.uuidv4().length});
}
function nothing(ctx, logger, nk, payload) {}
function number(ctx, logger, nk, payload) { return 1; }
function InitModule(ctx, logger, nk, initializer) {
  initializer.registerRpc('echo', echo);
  initializer.registerRpc('nothing', nothing);
  initializer.registerRpc('number', number);
}
`, runtime.Config{})
	echo, _ := l.reg.RPC("echo")
	out, err := echo(context.Background(), &hooks.Caller{HTTPKey: true,
		Headers: map[string][]string{"X-Custom_Header": {"1"}}, Query: map[string][]string{"some_param": {"a", "b"}}}, `{"x":1}`)
	want := `{"payload":"{\"x\":1}","user":null,"headers":{"X-Custom_Header":["1"]},"query":{"some_param":["a","b"]},"b64":"hé","uuid":36}`
	if err != nil || out != want {
		t.Fatalf("echo = %s, %v\nwant %s", out, err, want)
	}
	nothing, _ := l.reg.RPC("nothing")
	if out, err := nothing(context.Background(), &hooks.Caller{}, ""); err != nil || out != "" {
		t.Fatalf("nothing = %q, %v", out, err)
	}
	number, _ := l.reg.RPC("number")
	_, err = number(context.Background(), &hooks.Caller{}, "")
	if ge := codeOf(t, err); ge.Code != errs.CodeInternal || !strings.Contains(ge.Message, "only allowed one return value of type string") {
		t.Fatalf("number: %d %q", ge.Code, ge.Message)
	}
}

func TestLoggerAndIsolation(t *testing.T) {
	l := mustLoad(t, `
function rpc(ctx, logger, nk, payload) {
  var lg = logger.withFields({a: 1}).withField('b', 'two');
  lg.debug('debug %v', [1, 2]);
  lg.warn('plain 100%');
  var f = lg.getFields();
  if (f.a !== 1 || f.b !== 'two' || logger.getFields().a !== undefined) throw 'fields ' + JSON.stringify(f);
  return '';
}
// Scripts may change their own VM's globals, never another VM's.
function pollute(ctx, logger, nk, payload) {
  Object.prototype.polluted = true;
  nk.groupsGetId = null;
  var until = Date.now() + 300;
  while (Date.now() < until) {}
  return '';
}
function check(ctx, logger, nk, payload) { return String(({}).polluted) + ' ' + typeof nk.groupsGetId; }
function InitModule(ctx, logger, nk, initializer) {
  initializer.registerRpc('rpc', rpc);
  initializer.registerRpc('pollute', pollute);
  initializer.registerRpc('check', check);
}
`, runtime.Config{PoolSize: 2})
	rpc, _ := l.reg.RPC("rpc")
	if _, err := rpc(context.Background(), &hooks.Caller{}, ""); err != nil {
		t.Fatal(err)
	}
	logs := l.logs.String()
	for _, w := range []string{`level=DEBUG msg="debug [1 2]" runtime=javascript module=index.js rpc_id=rpc a=1 b=two`,
		`level=WARN msg="plain 100%" runtime=javascript module=index.js rpc_id=rpc a=1 b=two`} {
		if !strings.Contains(logs, w) {
			t.Errorf("logs lack %q:\n%s", w, logs)
		}
	}
	pollute, _ := l.reg.RPC("pollute")
	check, _ := l.reg.RPC("check")
	done := make(chan error, 1)
	go func() { _, err := pollute(context.Background(), &hooks.Caller{}, ""); done <- err }()
	time.Sleep(100 * time.Millisecond) // pollute holds one VM; check gets the other
	out, err := check(context.Background(), &hooks.Caller{}, "")
	if err != nil || out != "undefined function" {
		t.Fatalf("another VM saw the change: %q %v", out, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestScriptsCannotReachTheHost(t *testing.T) {
	l := mustLoad(t, `
function probe(ctx, logger, nk, payload) {
  var found = [];
  ['require', 'process', 'console', 'fetch', 'XMLHttpRequest', 'setTimeout', 'module', 'exports'].forEach(function(n) {
    if (typeof globalThis[n] !== 'undefined') found.push(n);
  });
  return found.join(',');
}
function InitModule(ctx, logger, nk, initializer) { initializer.registerRpc('probe', probe); }
`, runtime.Config{})
	probe, _ := l.reg.RPC("probe")
	out, err := probe(context.Background(), &hooks.Caller{}, "")
	if err != nil || out != "" {
		t.Fatalf("host objects reachable: %q %v", out, err)
	}
}

func TestNKWithoutGroupsThrows(t *testing.T) {
	l := mustLoad(t, `
function rpc(ctx, logger, nk, payload) { nk.groupsGetId(['x']); }
function InitModule(ctx, logger, nk, initializer) { initializer.registerRpc('rpc', rpc); }
`, runtime.Config{})
	rpc, _ := l.reg.RPC("rpc")
	_, err := rpc(context.Background(), &hooks.Caller{}, "")
	if ge := codeOf(t, err); ge.Code != errs.CodeInternal || !strings.Contains(ge.Message, "not available") {
		t.Fatalf("%d %q", ge.Code, ge.Message)
	}
}
