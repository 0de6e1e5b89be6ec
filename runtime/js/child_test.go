package js_test

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

// attackModule is a module whose RPC "attack" runs the script named by its
// payload; "ok" is an ordinary call.
const attackModule = `
var attacks = {
  regexp: function() { return String(/^(a+)+(?=b)/.test('a'.repeat(34) + '!')); },
  repeat: function() { return 'x'.repeat(1e11); },
  repeatCaught: function() { try { return 'x'.repeat(1e11); } catch (e) { return 'caught'; } },
  padStart: function() { return 'x'.padStart(1e11); },
  padEnd: function() { return 'x'.padEnd(1e11, 'ab'); },
  fill: function() { return String(new Array(1e9).fill(0).length); },
  join: function() { return new Array(1e9).join('x'); },
  joinBig: function() { return new Array(2000).fill('y'.repeat(1e6)).join(''); },
  apply: function() { return String.fromCharCode.apply(null, new Array(1e9)); },
  doubling: function() { var s = 'x'; while (true) { s += s; } },
  growth: function() { var a = []; while (true) { a.push({n: a.length, s: 'v' + a.length}); } },
  split: function() { return String('x'.repeat(6e7).split('').length); },
  map: function() { return String(new Array(1e9).map(function(x) { return x; }).length); },
  mapLike: function() { return String(Array.prototype.map.call({length: 1e9}, function(x) { return x; }).length); },
  sort: function() { return String(new Array(1e9).sort().length); },
  reflectApply: function() { return Reflect.apply(String.fromCharCode, null, new Array(1e9)); },
  typedArray: function() { return String(new Float64Array(2e9).length); },
  arrayBuffer: function() { return String(new ArrayBuffer(1e11).byteLength); },
  spread: function() { return String([...new Array(1e9)].length); },
  spreadCall: function() { return String(Math.max(...new Array(1e9))); },
  set: function() { var a = []; a.length = 1e9; return String(new Set(a).size); },
  stringifySparse: function() { return JSON.stringify(new Array(1e9)); },
  stringifyDeep: function() { var o = {}; var c = o; for (var i = 0; i < 100000; i++) { c.a = {}; c = c.a; } return JSON.stringify(o); },
  cyclicLog: function(logger) { var o = {}; o.self = o; logger.withField('o', o).info('hi %v', o); return 'logged'; },
  cyclicThrow: function() { var e = {code: 3, message: 'cyclic'}; e.self = e; throw e; },
};
function attack(ctx, logger, nk, payload) { return attacks[payload](logger); }
function parse(ctx, logger, nk, payload) { return String(JSON.parse(payload).length); }
function ok(ctx, logger, nk, payload) { return 'ok'; }
function InitModule(ctx, logger, nk, initializer) {
  initializer.registerRpc('attack', attack);
  initializer.registerRpc('parse', parse);
  initializer.registerRpc('ok', ok);
}
`

type rpcAnswer struct {
	status int
	Code   int    `json:"code"`
	Msg    string `json:"message"`
	Body   string
	took   time.Duration
}

func callRPC(t *testing.T, srv *childserver.Server, id, body string) rpcAnswer {
	t.Helper()
	start := time.Now()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Post(
		srv.URL+"/v2/rpc/"+id+"?unwrap&http_key=defaulthttpkey", "application/json", strings.NewReader(body))
	if err != nil {
		// Errorf, not Fatalf: this runs on the test's own goroutines too.
		t.Errorf("rpc %s: %v\n%s", id, err, childserver.Tail(srv.Output(), 8<<10))
		return rpcAnswer{took: time.Since(start)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := rpcAnswer{status: resp.StatusCode, Body: string(b), took: time.Since(start)}
	_ = json.Unmarshal(b, &a)
	return a
}

func startAttackServer(t *testing.T, env map[string]string) *childserver.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("child process test")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(attackModule), 0o600); err != nil {
		t.Fatal(err)
	}
	e := map[string]string{"GUILDHALL_RUNTIME_PATH": dir}
	for k, v := range env {
		e[k] = v
	}
	// The address space is capped so a huge allocation fails at once (and
	// kills an unguarded process) instead of eating the machine's memory.
	srv := childserver.Start(t, childserver.Options{Env: e, Prefix: []string{"prlimit", "--as=8589934592"}})
	t.Cleanup(func() { srv.Stop(t) })
	return srv
}

// TestScriptBombsLeaveTheServerAlive sends each attack to a real server and
// asserts a coded answer and a live process.
func TestScriptBombsLeaveTheServerAlive(t *testing.T) {
	srv := startAttackServer(t, map[string]string{
		"GUILDHALL_RUNTIME_CALL_TIMEOUT": "2s", "GUILDHALL_RUNTIME_MAX_CALL_MEMORY": "64MiB"})
	cases := []struct {
		attack string
		status int
		code   int
		msg    string
	}{
		{"repeat", 500, 13, "script exceeded its memory limit"},
		{"repeatCaught", 500, 13, "script exceeded its memory limit"},
		{"padStart", 500, 13, "script exceeded its memory limit"},
		{"padEnd", 500, 13, "script exceeded its memory limit"},
		{"fill", 500, 13, "script exceeded its memory limit"},
		{"join", 500, 13, "script exceeded its memory limit"},
		{"joinBig", 500, 13, "script exceeded its memory limit"},
		{"apply", 500, 13, "script exceeded its memory limit"},
		{"doubling", 500, 13, "script exceeded its memory limit"},
		{"growth", 500, 13, "script exceeded its memory limit"},
		{"split", 500, 13, "script exceeded its memory limit"},
		{"map", 500, 13, "script exceeded its memory limit"},
		{"mapLike", 500, 13, "script exceeded its memory limit"},
		{"sort", 500, 13, "script exceeded its memory limit"},
		{"reflectApply", 500, 13, "script exceeded its memory limit"},
		{"typedArray", 500, 13, "script exceeded its memory limit"},
		{"arrayBuffer", 500, 13, "script exceeded its memory limit"},
		{"spread", 500, 13, "script exceeded its memory limit"},
		{"spreadCall", 500, 13, "script exceeded its memory limit"},
		{"set", 500, 13, "script exceeded its memory limit"},
		{"stringifySparse", 500, 13, "script exceeded its memory limit"},
		{"stringifyDeep", 500, 13, "RangeError: JSON.stringify: value is nested too deeply"},
		{"cyclicLog", 200, 0, ""},
		{"cyclicThrow", 400, 3, "cyclic"},
	}
	for _, tc := range cases {
		t.Run(tc.attack, func(t *testing.T) {
			a := callRPC(t, srv, "attack", tc.attack)
			t.Logf("%s: %d %s (%v)", tc.attack, a.status, a.Body[:min(len(a.Body), 200)], a.took)
			srv.RequireAlive(t)
			if a.status != tc.status || a.Code != tc.code || !strings.HasPrefix(a.Msg, tc.msg) {
				t.Errorf("%s: %d %s, want %d code %d %q", tc.attack, a.status, a.Body, tc.status, tc.code, tc.msg)
			}
		})
	}
	deep := strings.Repeat("[", 1e5) + strings.Repeat("]", 1e5)
	a := callRPC(t, srv, "parse", deep)
	if a.status != 500 || a.Code != 13 || !strings.Contains(a.Msg, "JSON.parse: input is nested too deeply") {
		t.Errorf("deep JSON.parse: %d %s", a.status, a.Body)
	}
	if a := callRPC(t, srv, "parse", "[[1],[2]]"); a.status != 200 || a.Body != "2" {
		t.Errorf("JSON.parse: %d %s", a.status, a.Body)
	}
	srv.RequireAlive(t)
}

// TestStuckCallsDoNotDrainThePool sends six calls stuck in a backtracking
// regexp to a pool of four; they answer 504 at their deadline and an ordinary
// call right after is served by a replacement VM.
func TestStuckCallsDoNotDrainThePool(t *testing.T) {
	srv := startAttackServer(t, map[string]string{
		"GUILDHALL_RUNTIME_POOL_SIZE": "4", "GUILDHALL_RUNTIME_CALL_TIMEOUT": "500ms"})
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			a := callRPC(t, srv, "attack", "regexp")
			if a.status != 504 || a.Code != 4 || a.took > 3*time.Second {
				t.Errorf("regexp: %d %s after %v", a.status, a.Body, a.took)
			}
		})
	}
	wg.Wait()
	a := callRPC(t, srv, "ok", "")
	if a.status != 200 || a.Body != "ok" || a.took > time.Second {
		t.Fatalf("ordinary call after 6 stuck ones: %d %s after %v", a.status, a.Body, a.took)
	}
	srv.RequireAlive(t)
}
