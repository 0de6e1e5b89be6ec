package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/api"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/childserver"
	"github.com/guildhall/guildhall/internal/syncbuf"
)

// opsServer is a server built by New on a fresh SQLite database, with
// scripts from modules (a map of file name → source; nil loads none), the
// rate limits off, and edit applied to its configuration.
func opsServer(t *testing.T, modules map[string]string, log *slog.Logger, edit func(*Config)) *Server {
	t.Helper()
	c := DefaultConfig()
	c.DataDir = t.TempDir()
	c.RuntimePath = t.TempDir()
	c.RateLimitAuthRate, c.RateLimitGroupRate = 0, 0
	for name, src := range modules {
		if err := os.WriteFile(filepath.Join(c.RuntimePath, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if edit != nil {
		edit(&c)
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv, err := New(context.Background(), c, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.DB.Close() })
	closeScripts, err := srv.LoadScripts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeScripts)
	return srv
}

// serve runs the server's app on a loopback port until the test ends.
func serve(t *testing.T, srv *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app := srv.App()
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	return "http://" + ln.Addr().String()
}

type answer struct {
	status int
	header http.Header
	body   string
}

func call(t *testing.T, method, url, body string, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, string(b)}
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

type testUser struct{ Token, UserID string }

func session(t *testing.T, srv *Server, device string) testUser {
	t.Helper()
	s, err := srv.Accounts.AuthenticateDevice(context.Background(), accounts.AuthRequest{ID: device})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := srv.Accounts.VerifySession(context.Background(), s.Token)
	if err != nil {
		t.Fatal(err)
	}
	return testUser{Token: s.Token, UserID: claims.UserID}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// scrape reads the server's /metrics text through its handler.
func scrape(t *testing.T, srv *Server) string {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", MetricsPath, nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// sample is the value of the series whose name and labels (in the order the
// exposition writes them, sorted by name) are exactly series; -1 if absent.
func sample(text, series string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				return -1
			}
			return v
		}
	}
	return -1
}

const opsJS = `
function InitModule(ctx, logger, nk, initializer) {
  initializer.registerBeforeJoinGroup(beforeJoin);
  initializer.registerRpc("js_spin", jsSpin);
  initializer.registerRpc("js_log", jsLog);
}
function beforeJoin(ctx, logger, nk, req) { logger.info("js before join"); return req; }
function jsSpin(ctx, logger, nk, payload) { for (;;) {} }
function jsLog(ctx, logger, nk, payload) { logger.info("js rpc line"); return "ok"; }
`

const opsLua = `
local nk = require("nakama")
nk.register_rpc(function(context, payload)
  nk.logger_info("lua rpc line")
  error({ "lua says no", 3 })
end, "lua_fail")
`

// TestMetricsSeries: after requests, /metrics has the request counter and
// latency histogram under route patterns (never a raw path or an id), the
// unmatched label for a 404, script calls by kind, point, language and
// outcome (ok, error, timeout), the VM pools and the database pools.
func TestMetricsSeries(t *testing.T) {
	srv := opsServer(t, map[string]string{"index.js": opsJS, "fail.lua": opsLua}, nil, func(c *Config) {
		c.RuntimeCallTimeout = 100 * time.Millisecond
	})
	base := serve(t, srv)
	alice := session(t, srv, "metrics-device-alice")
	bob := session(t, srv, "metrics-device-bob00")

	r := call(t, "POST", base+"/v2/group", `{"name":"metered","open":true}`, bearer(alice.Token))
	if r.status != 200 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var g struct{ ID string }
	if err := json.Unmarshal([]byte(r.body), &g); err != nil {
		t.Fatal(err)
	}
	for range 2 { // joins, then joins again (a no-op)
		if r := call(t, "POST", base+"/v2/group/"+g.ID+"/join", "", bearer(bob.Token)); r.status != 200 {
			t.Fatalf("join: %d %s", r.status, r.body)
		}
	}
	if r := call(t, "DELETE", base+"/v2/group/"+g.ID, "", bearer(bob.Token)); r.status != 400 {
		t.Fatalf("delete by a member: %d %s", r.status, r.body)
	}
	call(t, "GET", base+"/v2/no/such/"+g.ID, "", bearer(bob.Token))
	// Refused before routing (no session): still labelled with its route.
	if r := call(t, "POST", base+"/V2/Group/"+g.ID+"/join/", "", nil); r.status != 401 {
		t.Fatalf("join without a session: %d %s", r.status, r.body)
	}
	httpKey := map[string]string{"Authorization": "Basic " + b64(srv.Config.HTTPKey+":")}
	if r := call(t, "POST", base+"/v2/rpc/js_spin?unwrap=true", "x", httpKey); r.status != 504 {
		t.Fatalf("js_spin: %d %s, want the timeout's 504", r.status, r.body)
	}
	if r := call(t, "POST", base+"/v2/rpc/lua_fail?unwrap=true", "x", httpKey); r.status != 400 {
		t.Fatalf("lua_fail: %d %s", r.status, r.body)
	}

	text := scrape(t, srv)
	for series, want := range map[string]float64{
		`guildhall_http_requests_total{method="POST",route="/v2/group",status="200"}`:                                      1,
		`guildhall_http_requests_total{method="POST",route="/v2/rpc/:id",status="504"}`:                                    1,
		`guildhall_http_requests_total{method="POST",route="/v2/rpc/:id",status="400"}`:                                    1,
		`guildhall_http_requests_total{method="GET",route="unmatched",status="404"}`:                                       1,
		`guildhall_http_request_duration_seconds_count{method="POST",route="/v2/group/:group_id/join"}`:                    3,
		`guildhall_script_call_duration_seconds_count{kind="before",language="javascript",outcome="ok",point="JoinGroup"}`: 2,
		`guildhall_script_call_duration_seconds_count{kind="rpc",language="javascript",outcome="timeout",point="js_spin"}`: 1,
		`guildhall_script_call_duration_seconds_count{kind="rpc",language="lua",outcome="error",point="lua_fail"}`:         1,
		`guildhall_vm_pool_size{language="javascript"}`:                                                                    float64(srv.Config.RuntimePoolSize),
		`guildhall_vm_pool_size{language="lua"}`:                                                                           float64(srv.Config.RuntimePoolSize),
		`guildhall_vm_pool_in_use{language="lua"}`:                                                                         0,
	} {
		if got := sample(text, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	for _, series := range []string{
		`guildhall_vm_pool_wait_seconds_count{language="javascript"}`,
		`guildhall_vm_pool_wait_seconds_count{language="lua"}`,
		`go_sql_open_connections{db_name="write"}`,
		`go_sql_open_connections{db_name="read"}`,
		`go_sql_max_open_connections{db_name="write"}`,
	} {
		if got := sample(text, series); got < 0 {
			t.Errorf("no series %s", series)
		} else if strings.Contains(series, "wait") && got < 1 {
			t.Errorf("%s = %v, want the calls' waits", series, got)
		}
	}
	if strings.Contains(text, g.ID) || strings.Contains(text, "/v2/no/such") {
		t.Errorf("a raw path or id became a label:\n%s", grep(text, "guildhall_http"))
	}
}

func grep(text, s string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestRequestIDs: a valid X-Request-Id (1–128 printable ASCII characters) is
// the request's id, echoed in the answer and on every log line of the request
// — the access line, and the lines JavaScript and Lua scripts write with their
// logger; anything else gets a fresh 16-hex-digit id.
func TestRequestIDs(t *testing.T) {
	var sink syncbuf.Buffer
	log := slog.New(slog.NewJSONHandler(&sink, nil))
	srv := opsServer(t, map[string]string{"index.js": opsJS, "fail.lua": opsLua}, log, nil)
	var seen string // written by the RPC, read after its answer
	srv.Hooks.RegisterRPC("go_id", func(ctx context.Context, _ *hooks.Caller, _ string) (string, error) {
		seen = api.RequestID(ctx)
		return "", nil
	})
	base := serve(t, srv)
	httpKey := map[string]string{"Authorization": "Basic " + b64(srv.Config.HTTPKey+":")}
	with := func(id string) map[string]string {
		h := map[string]string{"Authorization": httpKey["Authorization"]}
		if id != "" {
			h["X-Request-Id"] = id
		}
		return h
	}
	long := strings.Repeat("x", 128)
	for _, tc := range []struct{ sent, want string }{
		{"trace-js-1 with spaces ~!", "trace-js-1 with spaces ~!"},
		{long, long},
		{long + "y", ""},  // too long
		{"caf\u00e9", ""}, // not ASCII
		{"", ""},          // none
		{"tab\there", ""}, // a control character
	} {
		r := call(t, "POST", base+"/v2/rpc/js_log?unwrap=true", "x", with(tc.sent))
		if r.status != 200 {
			t.Fatalf("js_log: %d %s", r.status, r.body)
		}
		got := r.header.Get("X-Request-Id")
		if tc.want != "" && got != tc.want {
			t.Errorf("sent %q: echoed %q", tc.sent, got)
		}
		if tc.want == "" && !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(got) {
			t.Errorf("sent %q: echoed %q, want a fresh 16-hex-digit id", tc.sent, got)
		}
	}
	if r := call(t, "POST", base+"/v2/rpc/go_id", `""`, with("trace-go-1")); r.status != 200 || seen != "trace-go-1" {
		t.Fatalf("api.RequestID in a Go RPC: %q (%d %s)", seen, r.status, r.body)
	}
	if api.RequestID(context.Background()) != "" {
		t.Fatal("a context outside a request has a request id")
	}
	if r := call(t, "POST", base+"/v2/rpc/lua_fail?unwrap=true", "x", with("trace-lua-1")); r.status != 400 {
		t.Fatalf("lua_fail: %d %s", r.status, r.body)
	}
	lines, err := sink.JSONLines()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, l := range lines {
		msg, _ := l["msg"].(string)
		id, _ := l["request_id"].(string)
		switch {
		case msg == "js rpc line" && found["js"] == "":
			found["js"] = id
		case msg == "lua rpc line":
			found["lua"] = id
		case msg == "request" && l["route"] == "/v2/rpc/:id" && found["access"] == "":
			found["access"] = id
		}
	}
	if found["js"] != "trace-js-1 with spaces ~!" || found["access"] != "trace-js-1 with spaces ~!" || found["lua"] != "trace-lua-1" {
		t.Fatalf("script logger and access lines carry %v, want the ids sent:\n%s", found, sink.String())
	}
}

// TestAccessLog: one info line per request with method, route pattern, path,
// status, duration, the session's user id and the request id; none with
// AccessLog off.
func TestAccessLog(t *testing.T) {
	for _, on := range []bool{true, false} {
		var sink syncbuf.Buffer
		log := slog.New(slog.NewJSONHandler(&sink, nil))
		srv := opsServer(t, nil, log, func(c *Config) { c.AccessLog = on })
		base := serve(t, srv)
		alice := session(t, srv, "access-device-alice")
		h := bearer(alice.Token)
		h["X-Request-Id"] = "access-1"
		if r := call(t, "POST", base+"/v2/group", `{"name":"logged"}`, h); r.status != 200 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		if r := call(t, "DELETE", base+"/v2/group/"+"0195b6d6-0000-7000-8000-000000000000", "", bearer(alice.Token)); r.status != 400 {
			t.Fatalf("delete unknown: %d %s", r.status, r.body)
		}
		call(t, "GET", base+"/nowhere", "", nil)
		lines, err := sink.JSONLines()
		if err != nil {
			t.Fatal(err)
		}
		var access []map[string]any
		for _, l := range lines {
			if l["msg"] == "request" {
				access = append(access, l)
			}
		}
		if !on {
			if len(access) != 0 {
				t.Fatalf("access log off, yet: %v", access)
			}
			continue
		}
		if len(access) != 3 {
			t.Fatalf("want 3 access lines, got %d:\n%s", len(access), sink.String())
		}
		want := []map[string]any{
			{"level": "INFO", "method": "POST", "route": "/v2/group", "path": "/v2/group", "status": 200.0,
				"user_id": alice.UserID, "request_id": "access-1"},
			{"method": "DELETE", "route": "/v2/group/:group_id", "user_id": alice.UserID},
			{"method": "GET", "route": "unmatched", "path": "/nowhere", "status": 404.0},
		}
		for i, w := range want {
			for k, v := range w {
				if access[i][k] != v {
					t.Errorf("line %d: %s = %v, want %v (%v)", i, k, access[i][k], v, access[i])
				}
			}
			if d, ok := access[i]["duration_ms"].(float64); !ok || d < 0 {
				t.Errorf("line %d: duration_ms %v", i, access[i]["duration_ms"])
			}
		}
		if _, ok := access[2]["user_id"]; ok {
			t.Errorf("an unauthenticated request logged a user id: %v", access[2])
		}
	}
}

// TestMetricsListener: the real binary serves /metrics on its own listener
// (the API port does not), with request, script and pool series after calls;
// a metrics address already in use stops the server at start, naming it.
func TestMetricsListener(t *testing.T) {
	t.Parallel()
	modules := t.TempDir()
	if err := os.WriteFile(filepath.Join(modules, "index.js"), []byte(opsJS), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := childserver.Start(t, childserver.Options{Env: map[string]string{
		"GUILDHALL_RUNTIME_PATH": modules, "GUILDHALL_HTTP_KEY": "metrics-http-key",
	}})
	key := map[string]string{"Authorization": "Basic " + b64("metrics-http-key:")}
	if r := call(t, "POST", srv.URL+"/v2/rpc/js_log?unwrap=true", "x", key); r.status != 200 {
		t.Fatalf("rpc: %d %s", r.status, r.body)
	}
	if r := call(t, "GET", srv.URL+"/metrics", "", nil); r.status != 404 {
		t.Fatalf("the API port answers /metrics: %d", r.status)
	}
	r := call(t, "GET", srv.MetricsURL, "", nil)
	if r.status != 200 {
		t.Fatalf("GET %s: %d %s", srv.MetricsURL, r.status, r.body)
	}
	for series, want := range map[string]float64{
		`guildhall_http_requests_total{method="POST",route="/v2/rpc/:id",status="200"}`:                              1,
		`guildhall_script_call_duration_seconds_count{kind="rpc",language="javascript",outcome="ok",point="js_log"}`: 1,
		`guildhall_vm_pool_size{language="javascript"}`:                                                              16,
	} {
		if got := sample(r.body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if !strings.Contains(r.body, `go_sql_open_connections{db_name="write"}`) {
		t.Errorf("no database pool series:\n%s", grep(r.body, "go_sql"))
	}
	srv.Stop(t)

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	refused := childserver.Start(t, childserver.Options{NoWait: true,
		Env: map[string]string{"GUILDHALL_METRICS_LISTEN": busy.Addr().String()}})
	if done, _ := refused.WaitExit(30 * time.Second); !done {
		t.Fatal("the server started though its metrics address is taken")
	}
	if out := refused.Output(); !strings.Contains(out, "metrics: listen on "+busy.Addr().String()) {
		t.Fatalf("the exit does not name the metrics address:\n%s", out)
	}
}

// TestOpsConfigValidate: New refuses a trusted proxy that is neither an IP
// nor a CIDR network, and negative rate-limit settings, naming the setting.
func TestOpsConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		setting string
		edit    func(*Config)
	}{
		{"http.trusted_proxies", func(c *Config) { c.HTTPTrustedProxies = []string{"10.0.0.0/8", "proxy.local"} }},
		{"http.trusted_proxies", func(c *Config) { c.HTTPTrustedProxies = []string{"10.0.0.0/33"} }},
		{"ratelimit.auth_rate", func(c *Config) { c.RateLimitAuthRate = -1 }},
		{"ratelimit.group_burst", func(c *Config) { c.RateLimitGroupBurst = -5 }},
	} {
		c := DefaultConfig()
		tc.edit(&c)
		err := c.Validate()
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Setting != tc.setting {
			t.Errorf("%s: got %v, want a ConfigError on it", tc.setting, err)
		}
	}
	c := DefaultConfig()
	c.HTTPTrustedProxies = []string{"10.0.0.0/8", " 192.0.2.7 ", "2001:db8::/32", "::ffff:198.51.100.1"}
	c.RateLimitAuthRate, c.RateLimitGroupRate = 0, 0.5
	if err := c.Validate(); err != nil {
		t.Fatalf("valid settings refused: %v", err)
	}
}
