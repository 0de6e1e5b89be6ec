package js_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/inbox"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/runtime"
	"github.com/guildhall/guildhall/runtime/js"
)

func rpcOf(t *testing.T, l loaded, id string) hooks.RPC {
	t.Helper()
	fn, ok := l.reg.RPC(id)
	if !ok {
		t.Fatalf("rpc %s not registered", id)
	}
	return fn
}

// A VM interrupted inside a promise continuation never runs promise jobs
// again (goja leaves its job queue stuck): the pool must not reuse it.
func TestTimedOutVMIsReplaced(t *testing.T) {
	l := mustLoad(t, `
var n = 0;
async function spin() { await null; while (true) {} }
function stuck(ctx, logger, nk, payload) { spin(); return 'returned'; }
function schedule(ctx, logger, nk, payload) { Promise.resolve().then(function() { n++; }); return ''; }
function count(ctx, logger, nk, payload) { return String(n); }
function InitModule(ctx, logger, nk, initializer) {
  initializer.registerRpc('stuck', stuck);
  initializer.registerRpc('schedule', schedule);
  initializer.registerRpc('count', count);
}
`, runtime.Config{PoolSize: 1, CallTimeout: 100 * time.Millisecond})
	ctx := context.Background()
	_, err := rpcOf(t, l, "stuck")(ctx, &hooks.Caller{}, "")
	if ge := codeOf(t, err); ge.Code != errs.CodeDeadlineExceeded {
		t.Fatalf("stuck: %d %q", ge.Code, ge.Message)
	}
	if _, err := rpcOf(t, l, "schedule")(ctx, &hooks.Caller{}, ""); err != nil {
		t.Fatal(err)
	}
	if out, err := rpcOf(t, l, "count")(ctx, &hooks.Caller{}, ""); err != nil || out != "1" {
		t.Fatalf("promise jobs after a timed-out continuation: count = %q, %v", out, err)
	}
}

// A call stuck in native code (a backtracking regexp no interrupt reaches)
// answers at its deadline, and its VM is replaced at once; past pool-size
// abandoned VMs, a stuck VM keeps its slot.
func TestStuckVMIsAbandoned(t *testing.T) {
	l := mustLoad(t, `
function stuck(ctx, logger, nk, payload) { return String(/^(a+)+(?=b)/.test('a'.repeat(40) + '!')); }
function ok(ctx, logger, nk, payload) { return 'ok'; }
function InitModule(ctx, logger, nk, initializer) {
  initializer.registerRpc('stuck', stuck);
  initializer.registerRpc('ok', ok);
}
`, runtime.Config{PoolSize: 1, CallTimeout: 100 * time.Millisecond})
	ctx := context.Background()
	start := time.Now()
	_, err := rpcOf(t, l, "stuck")(ctx, &hooks.Caller{}, "")
	if ge := codeOf(t, err); ge.Code != errs.CodeDeadlineExceeded || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("stuck: %d %q after %v", ge.Code, ge.Message, time.Since(start))
	}
	start = time.Now()
	if out, err := rpcOf(t, l, "ok")(ctx, &hooks.Caller{}, ""); err != nil || out != "ok" || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("call after a stuck one: %q %v after %v", out, err, time.Since(start))
	}
	// A second stuck call passes the bound (one abandoned VM for a pool of
	// one): its VM keeps the slot, so the next caller waits.
	_, err = rpcOf(t, l, "stuck")(ctx, &hooks.Caller{}, "")
	if ge := codeOf(t, err); ge.Code != errs.CodeDeadlineExceeded {
		t.Fatalf("second stuck: %d %q", ge.Code, ge.Message)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = rpcOf(t, l, "ok")(short, &hooks.Caller{}, "")
	if ge := codeOf(t, err); ge.Code != errs.CodeDeadlineExceeded || !strings.Contains(ge.Message, "waiting for a JavaScript runtime") {
		t.Fatalf("past the abandon bound: %d %q", ge.Code, ge.Message)
	}
	if logs := l.logs.String(); !strings.Contains(logs, "too many VMs are abandoned") {
		t.Fatalf("bound not logged:\n%s", logs)
	}
	// Capacity comes back by itself once the stuck VMs finish (the regexp
	// match timeout).
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := rpcOf(t, l, "ok")(ctx, &hooks.Caller{}, "")
		if err == nil && out == "ok" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pool did not recover: %v", err)
		}
	}
}

func TestJSONNestingLimits(t *testing.T) {
	l := mustLoad(t, `
function nest(n) { var o = {}; var c = o; for (var i = 0; i < n; i++) { c.a = [{}]; c = c.a[0]; } return o; }
function rpc(ctx, logger, nk, payload) {
  var out = [];
  try { JSON.parse(payload); out.push('parsed'); } catch (e) { out.push(e.name + ': ' + e.message); }
  try { JSON.stringify(nest(200)); out.push('stringified'); } catch (e) { out.push(e.name + ': ' + e.message); }
  var o = {}; o.self = o;
  try { JSON.stringify(o); } catch (e) { out.push(e.name); }
  out.push(JSON.stringify(nest(20)).length);
  out.push(JSON.parse('{"a":"[[[[[[","b":[1,{"c":"\\"]"}]}').b.length);
  try { JSON.parse({toString: function() { return payload; }}); out.push('parsed'); } catch (e) { out.push(e.name); }
  out.push(JSON.parse('[1]', function(k, v) { return Array.isArray(v) ? v.length : v + 1; }));
  return out.join('|');
}
function InitModule(ctx, logger, nk, initializer) { initializer.registerRpc('rpc', rpc); }
`, runtime.Config{})
	deep := strings.Repeat("[", 101) + strings.Repeat("]", 101)
	out, err := rpcOf(t, l, "rpc")(context.Background(), &hooks.Caller{}, deep)
	want := "RangeError: JSON.parse: input is nested too deeply|RangeError: JSON.stringify: value is nested too deeply|TypeError|162|2|RangeError|1"
	if err != nil || out != want {
		t.Fatalf("got %q, %v\nwant %q", out, err, want)
	}
	ok := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if out, err := rpcOf(t, l, "rpc")(context.Background(), &hooks.Caller{}, ok); err != nil || !strings.HasPrefix(out, "parsed|") {
		t.Fatalf("100 levels: %q %v", out, err)
	}
}

// Script values cross into Go with cycle and depth limits everywhere.
func TestCyclicValuesCrossSafely(t *testing.T) {
	l := mustLoad(t, `
function cyclic() { var o = {a: 1}; o.self = o; return o; }
function log(ctx, logger, nk, payload) {
  var o = cyclic();
  logger.withField('o', o).withFields({p: o}).info('hi %v', o);
  var deep = {}; var c = deep; for (var i = 0; i < 500; i++) { c.d = {}; c = c.d; }
  logger.withField('deep', deep).info('deep');
  return JSON.stringify(logger.withField('o', o).getFields());
}
function nkArg(ctx, logger, nk, payload) {
  try { nk.notificationSend('u', 's', cyclic(), 1); } catch (e) { return e.name + ': ' + e.message; }
}
function before(ctx, logger, nk, data) { var o = cyclic(); data.groupId = 'g'; data.extra = o; return data; }
function after(ctx, logger, nk, out, input) { var a = []; a.push(a); return a; }
function thrown(ctx, logger, nk, payload) { var e = {code: 3, message: 'cyclic'}; e.self = e; throw e; }
function InitModule(ctx, logger, nk, initializer) {
  initializer.registerRpc('log', log);
  initializer.registerRpc('nkarg', nkArg);
  initializer.registerRpc('thrown', thrown);
  initializer.registerBeforeKickGroupUsers(before);
  initializer.registerAfterListGroups(after);
}
`, runtime.Config{})
	ctx := context.Background()
	out, err := rpcOf(t, l, "log")(ctx, &hooks.Caller{}, "")
	if err != nil || out != `{"o":{"a":1,"self":"[value is cyclic]"}}` {
		t.Fatalf("log: %q %v", out, err)
	}
	if logs := l.logs.String(); !strings.Contains(logs, "[value is cyclic]") || !strings.Contains(logs, "[value is nested too deeply]") {
		t.Fatalf("logs:\n%s", logs)
	}
	out, err = rpcOf(t, l, "nkarg")(ctx, &hooks.Caller{}, "")
	if err != nil || out != "TypeError: nk.notificationSend: expects content to be an object (value is cyclic) (argument 3)" {
		t.Fatalf("nk argument: %q %v", out, err)
	}
	_, err = kick(ctx, l.reg, &hooks.Caller{}, &groups.GroupUsersRequest{GroupID: "x"})
	if ge := codeOf(t, err); ge.Code != errs.CodeInternal || !strings.Contains(ge.Message, "value is cyclic") {
		t.Fatalf("before hook result: %d %q", ge.Code, ge.Message)
	}
	_, err = hooks.Run(ctx, hooks.ListGroups.Point(l.reg), &hooks.Caller{}, &groups.ListGroupsRequest{},
		func(context.Context, *groups.ListGroupsRequest) (*groups.GroupList, error) {
			return &groups.GroupList{}, nil
		})
	if err != nil && !strings.Contains(err.Error(), "cyclic") {
		t.Fatalf("after hook result: %v", err)
	}
	_, err = rpcOf(t, l, "thrown")(ctx, &hooks.Caller{}, "")
	if ge := codeOf(t, err); ge.Code != errs.CodeInvalidArgument || ge.Message != "cyclic" {
		t.Fatalf("thrown: %d %q", ge.Code, ge.Message)
	}
}

func TestMemoryLimit(t *testing.T) {
	l := mustLoad(t, `
function rpc(ctx, logger, nk, payload) {
  switch (payload) {
  case 'repeat': try { return 'x'.repeat(1e11); } catch (e) { return 'caught'; }
  case 'grow': var a = []; while (true) { a.push('item ' + a.length); }
  case 'small': return 'x'.repeat(1000).padEnd(2000).length + ' ' + new Array(10).fill(1).join('');
  }
}
function InitModule(ctx, logger, nk, initializer) { initializer.registerRpc('rpc', rpc); }
`, runtime.Config{MaxCallMemory: 8 << 20, CallTimeout: 20 * time.Second, PoolSize: 1})
	rpc := rpcOf(t, l, "rpc")
	for _, payload := range []string{"repeat", "grow"} {
		start := time.Now()
		_, err := rpc(context.Background(), &hooks.Caller{}, payload)
		if ge := codeOf(t, err); ge.Code != errs.CodeInternal || ge.Message != "script exceeded its memory limit" || time.Since(start) > 10*time.Second {
			t.Fatalf("%s: %d %q after %v", payload, ge.Code, ge.Message, time.Since(start))
		}
	}
	if out, err := rpc(context.Background(), &hooks.Caller{}, "small"); err != nil || out != "2000 1111111111" {
		t.Fatalf("small: %q %v", out, err)
	}
}

// Every failed call is logged once with its registration, language and error.
func TestFailedCallsAreLogged(t *testing.T) {
	l := mustLoad(t, `
function boom(ctx, logger, nk, payload) { throw new Error('broken'); }
function refuse(ctx, logger, nk, data) { throw {code: 7, message: 'no'}; }
function InitModule(ctx, logger, nk, initializer) {
  initializer.registerRpc('boom', boom);
  initializer.registerBeforeKickGroupUsers(refuse);
}
`, runtime.Config{})
	_, _ = rpcOf(t, l, "boom")(context.Background(), &hooks.Caller{}, "")
	_, _ = kick(context.Background(), l.reg, &hooks.Caller{}, &groups.GroupUsersRequest{GroupID: "g"})
	logs := l.logs.String()
	for _, w := range []string{
		`level=ERROR msg="javascript function failed" runtime=javascript module=index.js rpc_id=boom language=javascript error="Error: broken at boom (index.js:2:`,
		`level=WARN msg="javascript function failed" runtime=javascript module=index.js hook=KickGroupUsers mode=before language=javascript error=no`,
	} {
		if !strings.Contains(logs, w) {
			t.Errorf("logs lack %q:\n%s", w, logs)
		}
	}
	if n := strings.Count(logs, "javascript function failed"); n != 2 {
		t.Errorf("%d failure lines, want 2:\n%s", n, logs)
	}
}

func TestNotificationsSendAndEvent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		app := testapp.New(t, dialect, dbURL)
		users := testapp.CreateUsers(t, app.DB, 2)
		var mu sync.Mutex
		var events []hooks.Event
		app.Hooks.RegisterEvent(func(_ context.Context, e hooks.Event) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		})
		dir := t.TempDir()
		code := `
function send(ctx, logger, nk, payload) {
  var ids = JSON.parse(payload);
  nk.notificationsSend([
    {userId: ids[0], subject: 'one', content: {a: 1}, code: 101, persistent: true},
    {userId: ids[1], subject: 'two', content: {}, code: 102, senderId: ids[0]},
  ]);
  try { nk.notificationsSend([{userId: ids[0], subject: 's', code: 'x'}]); } catch (e) { return e.message; }
}
function event(ctx, logger, nk, payload) {
  nk.event('purchase', {item: 'sword'}, 1700000000, true);
  nk.event('login', {});
  try { nk.event('bad', {n: 1}); } catch (e) { return e.message; }
}
function InitModule(ctx, logger, nk, initializer) {
  initializer.registerRpc('send', send);
  initializer.registerRpc('event', event);
}
`
		if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(code), 0o600); err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		rt, err := js.Load(context.Background(), runtime.Config{Path: dir},
			runtime.Deps{Groups: app.Groups, Hooks: app.Hooks, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rt.Close)
		send, _ := app.Hooks.RPC("send")
		out, err := send(context.Background(), &hooks.Caller{}, `["`+users[0]+`","`+users[1]+`"]`)
		if err != nil || out != "nk.notificationsSend: expects notifications[0].code to be a number" {
			t.Fatalf("send: %q %v", out, err)
		}
		for i, want := range []struct {
			subject, content, sender string
			code                     int
			persistent               bool
		}{{"one", `{"a":1}`, "", 101, true}, {"two", `{}`, users[0], 102, false}} {
			list, err := inbox.FromGroups(app.Groups).List(context.Background(), users[i], 10, "")
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, n := range list.Notifications {
				if n.Subject == want.subject {
					found = true
					if n.Content != want.content || n.Code != want.code || n.SenderID != want.sender {
						t.Errorf("notification %s = %+v", want.subject, n)
					}
				}
			}
			if !found {
				t.Errorf("notification %s not stored for user %d: %+v", want.subject, i, list)
			}
		}
		event, _ := app.Hooks.RPC("event")
		out, err = event(context.Background(), &hooks.Caller{}, "")
		if err != nil || !strings.Contains(out, "expects properties to be an object of strings") {
			t.Fatalf("event: %q %v", out, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(events) != 2 || events[0].Name != "purchase" || events[0].Properties["item"] != "sword" ||
			!events[0].Timestamp.Equal(time.Unix(1700000000, 0)) || !events[0].External ||
			events[1].Name != "login" || events[1].External || time.Since(events[1].Timestamp) > time.Minute {
			t.Fatalf("events: %+v", events)
		}
	})
}

// Calls on a small pool each get their own result back (the VM's goroutine
// hands outcomes over a channel reused by the next call on that VM).
func TestParallelCallsGetTheirOwnResults(t *testing.T) {
	l := mustLoad(t, `
function echo(ctx, logger, nk, payload) { return payload; }
function InitModule(ctx, logger, nk, initializer) { initializer.registerRpc('echo', echo); }
`, runtime.Config{PoolSize: 2})
	echo := rpcOf(t, l, "echo")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				want := strings.Repeat("x", g) + "-" + string(rune('a'+i%26))
				if out, err := echo(context.Background(), &hooks.Caller{}, want); err != nil || out != want {
					t.Errorf("echo(%q) = %q, %v", want, out, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// The guarded builtins behave as the originals below the limit.
func TestGuardedBuiltinsBehave(t *testing.T) {
	l := mustLoad(t, `
class Bytes extends Uint8Array {}
function rpc(ctx, logger, nk, payload) {
  var out = [
    'ab'.repeat(3), 'x'.padStart(3, '-'), 'x'.padEnd(3), 'a,b,,c'.split(',').length, 'abc'.split('').join('+'),
    [3, 1, 2].sort().join(), [1, 2, 3].map(function(x) { return x * 2; }).join(), [1, 2, 3, 4].filter(function(x) { return x % 2; }).join(),
    [1, 2, 3].slice(1).join(), [1].concat(2, [3, 4]).join(), [1, [2, [3]]].flat(2).join(), [1, 2, 3].reverse().join(),
    new Array(3).fill(7).join(''), Array.from('abc').join(), Array.from({length: 2}).length,
    Math.max.apply(null, [1, 5, 2]), Reflect.apply(Math.min, null, [4, 2]),
    new Uint8Array(4).length, new Uint8Array([1, 2]).length, new ArrayBuffer(8).byteLength, new Float64Array(2).byteLength,
    new Uint8Array(1) instanceof Uint8Array, [] instanceof Uint8Array, new Bytes(2) instanceof Uint8Array, new Bytes(2).length,
    [].map.name, [].map.length, 'x'.repeat.name, Uint8Array.name,
    Array.prototype.slice.call({0: 'a', 1: 'b', length: 2}).join(),
    [...[1, 2], 3].join(), Math.max(...[1, 9]), new Set([1, 1, 2]).size, Array.from([5, 6].keys()).join(), [...['a'].entries()][0].join(),
    (function() { var n = 0; for (var x of [1, 2, 3]) { n += x; } return n; })(), [][Symbol.iterator] === [].values,
  ];
  return out.join('|');
}
function InitModule(ctx, logger, nk, initializer) { initializer.registerRpc('rpc', rpc); }
`, runtime.Config{})
	out, err := rpcOf(t, l, "rpc")(context.Background(), &hooks.Caller{}, "")
	want := "ababab|--x|x  |4|a+b+c|1,2,3|2,4,6|1,3|2,3|1,2,3,4|1,2,3|3,2,1|777|a,b,c|2|5|2|4|2|8|16|true|false|true|2|map|1|repeat|Uint8Array|a,b|1,2,3|9|2|0,1|0,a|6|true"
	if err != nil || out != want {
		t.Fatalf("got  %q, %v\nwant %q", out, err, want)
	}
}

// An RPC may return a String object; it answers as its string.
func TestRPCReturnsStringObject(t *testing.T) {
	l := mustLoad(t, `
function rpc(ctx, logger, nk, payload) { return new String('boxed'); }
function InitModule(ctx, logger, nk, initializer) { initializer.registerRpc('rpc', rpc); }
`, runtime.Config{})
	if out, err := rpcOf(t, l, "rpc")(context.Background(), &hooks.Caller{}, ""); err != nil || out != "boxed" {
		t.Fatalf("got %q, %v", out, err)
	}
}
