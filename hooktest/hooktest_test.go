package hooktest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/server"
)

// write creates files (name → content) in a fresh directory.
func write(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, code := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func run(t *testing.T, o Options) (Summary, string) {
	t.Helper()
	var out bytes.Buffer
	o.Out = &out
	if o.Config.ServerKey == "" {
		o.Config = server.DefaultConfig()
		o.Config.RuntimePoolSize = 2
	}
	sum, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return sum, out.String()
}

func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// A module for both languages' API tests: a before hook on JoinGroup
// refusing groups named "closed …" with code 9, an RPC echoing its caller.
const jsModule = `
function beforeJoin(ctx, logger, nk, data) {
  var g = nk.groupsGetId([data.groupId])[0];
  if (g && g.name.indexOf('closed') === 0) { throw { code: 9, message: 'closed for the night' }; }
  logger.info('joining %s', g && g.name);
  return data;
}
function whoami(ctx, logger, nk, payload) { return JSON.stringify({ user: ctx.userId || null, payload: payload }); }
function InitModule(ctx, logger, nk, initializer) {
  initializer.registerBeforeJoinGroup(beforeJoin);
  initializer.registerRpc('whoami', whoami);
}
`

const luaModule = `
local nk = require("nakama")
nk.register_req_before(function(context, payload)
  local g = nk.groups_get_id({ payload.group_id })[1]
  if g and string.sub(g.name, 1, 6) == "closed" then error({ "closed for the night", 9 }) end
  nk.logger_info("joining " .. (g and g.name or "?"))
  return payload
end, "JoinGroup")
nk.register_rpc(function(context, payload)
  return nk.json_encode({ user = context.user_id or "none", payload = payload })
end, "whoami_lua")
`

// TestAPIAndLocations drives the test API in both languages: passing
// calls, refusals with codes, RPCs as a user and as the server, and failing
// assertions reported with the line of the assertion.
func TestAPIAndLocations(t *testing.T) {
	jsTest := `
test('api', function (t) {
  var alice = t.user('alice'), bob = t.user('bob');
  t.equal(alice.username, 'alice');
  t.equal(t.user('alice').id, alice.id, 'the same user twice');
  var g = alice.create({ name: 'open hall', open: true });
  bob.join(g);
  var members = alice.listGroupUsers(g).group_users.map(function (gu) { return gu.user.username; }).sort();
  t.equal(members, ['alice', 'bob']);
  var closed = alice.create({ name: 'closed hall', open: true });
  var err = t.refused(9, function () { bob.join(closed); });
  t.equal([err.code, err.status, err.message], [9, 400, 'closed for the night']);
  t.equal(JSON.parse(bob.rpc('whoami', 'hi')), { user: bob.id, payload: 'hi' });
  t.equal(JSON.parse(t.server.rpc('whoami', { a: 1 })), { user: null, payload: '{"a":1}' });
  t.server.add(closed, [bob]);
  t.equal(bob.listUserGroups().user_groups.length, 2);
  t.equal(t.server.getGroup(closed).edge_count, 2);
  t.equal(bob.call('GET', '/v2/account').user.username, 'bob');
  t.ok(true);
});
test('fails', function (t) {
  t.equal(1, 2, 'numbers');
  t.ok(false, 'falsy');
  t.fail('by hand');
  t.refused(3, function () {});
  t.fail('not reached');
});
test('uncaught', function (t) {
  t.user('carol').join('7f0e3f4e-0000-4000-8000-000000000000');
});
test('isolated', function (t) {
  t.user('alice').create({ name: 'open hall' }); // would collide without a fresh database
});
`
	luaTest := `
test("api", function(t)
  local alice, bob = t.user("alice"), t.user("bob")
  t:equal(alice.username, "alice")
  t.equal(t.user("alice").id, alice.id, "the same user twice")
  local g = alice:create({ name = "open hall", open = true })
  bob.join(g)
  local names = {}
  for _, gu in ipairs(alice.list_group_users(g).group_users) do table.insert(names, gu.user.username) end
  table.sort(names)
  t.equal(names, { "alice", "bob" })
  local closed = alice.create({ name = "closed hall", open = true })
  local err = t.refused(9, function() bob.join(closed) end)
  t.equal({ err.code, err.status, err.message }, { 9, 400, "closed for the night" })
  t.equal(t.json_decode(bob.rpc("whoami_lua", "hi")), { user = bob.id, payload = "hi" })
  t.equal(t.json_decode(t.server.rpc("whoami_lua", { a = 1 })), { user = "none", payload = '{"a":1}' })
  t.server.add(closed, { bob })
  t.equal(#bob.list_user_groups().user_groups, 2)
  t.equal(t.server.get_group(closed).edge_count, 2)
  t.equal(bob.call("GET", "/v2/account").user.username, "bob")
  t.ok(true)
end)
test("fails", function(t)
  t.equal(1, 2, "numbers")
  t.ok(false, "falsy")
  t.fail("by hand")
  t.refused(3, function() end)
  t.fail("not reached")
end)
test("uncaught", function(t)
  t.user("carol").join("7f0e3f4e-0000-4000-8000-000000000000")
end)
test("isolated", function(t)
  t.user("alice").create({ name = "open hall" })
end)
`
	dir := write(t, map[string]string{"index.js": jsModule, "hooks.lua": luaModule,
		"api.test.js": jsTest, "api_test.lua": luaTest})
	sum, out := run(t, Options{Path: dir})
	if sum.Passed != 4 || sum.Failed != 4 {
		t.Errorf("got %+v, want 4 passed, 4 failed", sum)
	}
	for _, f := range []string{"api.test.js", "api_test.lua"} {
		p := filepath.Join(dir, f)
		code := map[string]string{"api.test.js": jsTest, "api_test.lua": luaTest}[f]
		line := func(s string) string {
			for i, l := range strings.Split(code, "\n") {
				if strings.Contains(l, s) {
					return fmt.Sprintf("%s:%d: ", p, i+1)
				}
			}
			t.Fatalf("no line %q", s)
			return ""
		}
		wantLines(t, out,
			line(`t.equal(1, 2,`)+"numbers: got 1, want 2\n",
			line(`falsy`)+"falsy (got false)\n",
			line(`by hand`)+"by hand\n",
			line(`t.refused(3,`)+"the call succeeded, want a refusal with code 3\n",
			line(`7f0e3f4e`)+"uncaught error: code 5",
			"FAIL\t"+p+"\t",
		)
		if strings.Contains(out, "not reached") {
			t.Errorf("a failed refused() did not stop the test:\n%s", out)
		}
	}
	wantLines(t, out, "--- PASS: api (", "--- FAIL: fails (", "--- FAIL: uncaught (", "--- PASS: isolated (",
		"4 passed, 4 failed\n")
	// The failing tests print the module's log lines; passing ones do not.
	if strings.Count(out, "joining open hall") != 0 {
		t.Errorf("a passing test's log was printed without -v:\n%s", out)
	}
	_, out = run(t, Options{Path: dir, Verbose: true, Run: regexp.MustCompile("^api$")})
	wantLines(t, out, "=== RUN   api\n", "joining open hall", "2 passed, 0 failed\n")
}

// TestTimeoutAndLoadErrors: an endless test stops at -timeout; a module
// that does not load fails its tests with the module's file:line; a test
// file that does not parse is one failure.
func TestTimeoutAndLoadErrors(t *testing.T) {
	dir := write(t, map[string]string{
		"loop.test.js":    "modules('ok.js');\ntest('spins', function (t) { for (;;) {} });\n",
		"loop_test.lua":   "modules('ok.lua')\ntest('spins', function(t) while true do end end)\n",
		"ok.js":           "function InitModule(ctx, logger, nk, initializer) {}\n",
		"ok.lua":          "local x = 1\n",
		"bad.test.js":     "modules('bad.js');\ntest('never', function (t) {});\n",
		"bad.js":          "function InitModule(ctx, logger, nk, initializer) {\n  undefinedThing();\n}\n",
		"syntax_test.lua": "test('x', function(t)\n",
	})
	start := time.Now()
	sum, out := run(t, Options{Path: dir, Timeout: 300 * time.Millisecond})
	if time.Since(start) > 20*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	if sum.Passed != 0 || sum.Failed != 4 {
		t.Errorf("got %+v, want 4 failed", sum)
	}
	wantLines(t, out,
		filepath.Join(dir, "loop.test.js")+": test timed out",
		filepath.Join(dir, "loop_test.lua")+": test timed out",
		filepath.Join(dir, "bad.js")+": InitModule: ReferenceError: undefinedThing is not defined at InitModule (bad.js:2:",
		"--- FAIL: "+filepath.Join(dir, "syntax_test.lua"),
	)
}

// TestRuntimePathDefault: a test in a subdirectory runs against the modules
// of the PATH given (as serve loads that runtime path), or of RuntimePath
// when set.
func TestRuntimePathDefault(t *testing.T) {
	dir := write(t, map[string]string{"index.js": jsModule, "hooks.lua": luaModule})
	if err := os.Mkdir(filepath.Join(dir, "tests"), 0o755); err != nil {
		t.Fatal(err)
	}
	code := "test('both languages loaded', function (t) {\n" +
		"  t.equal(JSON.parse(t.server.rpc('whoami', 'x')).payload, 'x');\n" +
		"  t.equal(JSON.parse(t.server.rpc('whoami_lua', 'y')).payload, 'y');\n});\n"
	if err := os.WriteFile(filepath.Join(dir, "tests", "rpc.test.js"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	if sum, out := run(t, Options{Path: dir}); sum.Passed != 1 || sum.Failed != 0 {
		t.Fatalf("PATH as the runtime path: %+v\n%s", sum, out)
	}
	// The tests directory alone holds no modules: the RPCs are missing.
	if sum, out := run(t, Options{Path: filepath.Join(dir, "tests")}); sum.Failed != 1 || !strings.Contains(out, "code 5: RPC function not found") {
		t.Fatalf("tests/ as the runtime path: %+v\n%s", sum, out)
	}
	if sum, out := run(t, Options{Path: filepath.Join(dir, "tests"), RuntimePath: dir}); sum.Passed != 1 {
		t.Fatalf("RuntimePath set: %+v\n%s", sum, out)
	}
}
