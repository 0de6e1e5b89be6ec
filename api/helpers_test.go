package api_test

// The black-box harness: every test starts the real Fiber app (testapp) on a
// fresh PostgreSQL and a fresh SQLite database (testdb.Each), registers a
// counting Go hook before and after on every hook point, and drives the server
// with net/http through scenario tables (DESIGN, "Examples to follow" #12).
//
// Invariants checked on every request, whatever the row says:
//   - the body is a JSON object with a JSON content type;
//   - an error body is exactly {"code","message"} with the code that maps to
//     the HTTP status, and a 401 carries WWW-Authenticate = message;
//   - nothing is ever answered 500 unless a row asks for it (none does);
//   - a refused call (status >= 400) writes nothing: every table is compared
//     before and after the request;
//   - a successful body follows the wire conventions (times RFC 3339 whole
//     seconds with Z, metadata a JSON object in a string, open present on
//     every group, state present on every membership row);
//   - the hook events fired are exactly the row's `fired` list.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/api"
	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/server"
)

// ---------------------------------------------------------------------------
// Route coverage: every route of the route table must be exercised by some
// test with a success and with a refusal. Checked after the whole package ran
// (skipped when -run selects a subset).

var coverage = struct {
	sync.Mutex
	seen map[string]map[string]bool // "METHOD /pattern" → {"ok","refused"}
}{seen: map[string]map[string]bool{}}

// routeTable lists the app's routes (method and Fiber pattern), HEAD excluded.
func routeTable() []string {
	app := api.New(api.Config{ServerKey: "k", HTTPKey: "k", Runtime: func() any { return nil }}, nil, nil, nil)
	var out []string
	seen := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		if r.Method == http.MethodHead {
			continue
		}
		k := r.Method + " " + r.Path
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

var routes = routeTable()

// routeOf finds the pattern a request path matches, preferring literal segments.
func routeOf(method, path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	best, bestScore := "", -1
	for _, r := range routes {
		m, pattern, _ := strings.Cut(r, " ")
		if m != method {
			continue
		}
		ps := strings.Split(strings.Trim(pattern, "/"), "/")
		if len(ps) != len(segs) {
			continue
		}
		score := 0
		ok := true
		for i := range ps {
			switch {
			case strings.HasPrefix(ps[i], ":"):
				ok = ok && segs[i] != ""
			case ps[i] == segs[i]:
				score++
			default:
				ok = false
			}
		}
		if ok && score > bestScore {
			best, bestScore = r, score
		}
	}
	return best
}

func recordCoverage(method, path string, status int) {
	r := routeOf(method, path)
	if r == "" {
		return
	}
	coverage.Lock()
	defer coverage.Unlock()
	if coverage.seen[r] == nil {
		coverage.seen[r] = map[string]bool{}
	}
	switch {
	case status >= 200 && status < 300:
		coverage.seen[r]["ok"] = true
	case status >= 400 && status < 500:
		coverage.seen[r]["refused"] = true
	}
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && flag.Lookup("test.skip").Value.String() == "" {
		var missing []string
		for _, r := range routes {
			for _, kind := range []string{"ok", "refused"} {
				if (r == "GET /healthcheck" || r == "GET /readyz" || r == "GET /openapi.json") && kind == "refused" {
					continue // takes no credential and no input
				}
				if !coverage.seen[r][kind] {
					missing = append(missing, r+" ("+kind+")")
				}
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: routes not exercised by any test:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

// ---------------------------------------------------------------------------
// Hook log: a counting before and after hook on every point of the registry.

type hookLog struct {
	mu     sync.Mutex
	events []string
	reject map[string]bool // point name → the before hook refuses (returns nil)
}

func (h *hookLog) add(ev string) {
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
}

func (h *hookLog) rejects(name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.reject[name]
}

func (h *hookLog) setReject(name string) {
	h.mu.Lock()
	h.reject = map[string]bool{}
	if name != "" {
		h.reject[name] = true
	}
	h.mu.Unlock()
}

// take returns and clears the events recorded so far.
func (h *hookLog) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ev := h.events
	h.events = nil
	return ev
}

// watchAll registers a counting before and after hook on every hook point of
// the registry, found by reflection so that a point added later is watched
// too. The before hook passes the request on unchanged, or refuses the call
// (returns a nil request) while its point is in h.reject.
func watchAll(t testing.TB, r *hooks.Registry, h *hookLog) {
	t.Helper()
	// Every row of the operation table, so a new operation is watched (and
	// its trace asserted by the scenario tables) without an edit here.
	for _, o := range hooks.Ops() {
		name := o.Info().Name
		o.BeforeAny(r, func(_ context.Context, _ *hooks.Caller, req any) (any, error) {
			h.add("before:" + name)
			if h.rejects(name) {
				return nil, nil
			}
			return req, nil
		})
		o.AfterAny(r, func(context.Context, *hooks.Caller, any, any) error {
			h.add("after:" + name)
			return nil
		})
	}
	hooked := 0
	for _, p := range r.Points() {
		if p.Before == 0 || p.After == 0 {
			t.Fatalf("hook point %s was not registered", p.Name)
		}
		hooked++
	}
	if hooked < 18 {
		t.Fatalf("found only %d hook points in the registry", hooked)
	}
}

// registerRPCs adds the Go RPC functions the RPC scenarios call.
func registerRPCs(r *hooks.Registry) {
	r.RegisterRPC("Echo", func(_ context.Context, _ *hooks.Caller, payload string) (string, error) {
		return payload, nil
	})
	r.RegisterRPC("whoami", func(_ context.Context, c *hooks.Caller, _ string) (string, error) {
		if c.HTTPKey {
			return "system", nil
		}
		return c.UserID, nil
	})
	r.RegisterRPC("query", func(_ context.Context, c *hooks.Caller, _ string) (string, error) {
		b, err := json.Marshal(c.Query)
		return string(b), err
	})
	r.RegisterRPC("refuse", func(context.Context, *hooks.Caller, string) (string, error) {
		return "", errs.Errorf(errs.CodePermissionDenied, "Not for you.")
	})
	r.RegisterRPC("crash", func(context.Context, *hooks.Caller, string) (string, error) {
		return "", errors.New("internal detail that must not leak")
	})
}

// both is the hook trace of a call that ran: before, then after.
func both(point string) []string { return []string{"before:" + point, "after:" + point} }

// unchecked marks a row whose hook trace is not asserted: Nakama would run a
// hook there that Guildhall does not (no GetAccount, SessionLogout,
// ListNotifications or DeleteNotifications points; listing limit and state
// ranges are checked before the before hook instead of after it).
var unchecked = []string{"(unchecked)"}

// refused is the hook trace of a call the service (or a before hook) refused.
func refused(point string) []string { return []string{"before:" + point} }

// ---------------------------------------------------------------------------
// The environment of one test on one database.

type user struct {
	name, id, device, token, refresh string
}

type env struct {
	t     *testing.T
	app   *testapp.App
	hooks *hookLog
	users map[string]*user
	ids   map[string]string // placeholder name → value
}

// each runs fn on a fresh app per database.
// Tests do not run in parallel: store.DB.Migrate sets goose's package-level
// dialect, base FS and logger, so two migrations at once race.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		fn(t, start(t, dialect, url))
	})
}

func start(t *testing.T, dialect, url string) *env {
	t.Helper()
	return startWith(t, dialect, url, nil)
}

// startWith is start on a server whose configuration mod changes.
func startWith(t *testing.T, dialect, url string, mod func(*server.Config)) *env {
	t.Helper()
	app := testapp.NewWith(t, dialect, url, mod)
	h := &hookLog{reject: map[string]bool{}}
	watchAll(t, app.Hooks, h)
	registerRPCs(app.Hooks)
	app.Start(t)
	e := &env{t: t, app: app, hooks: h, users: map[string]*user{}, ids: map[string]string{
		"unknown": uuid.NewString(), // well-formed, never used for anything
	}}
	e.waitReady()
	return e
}

func (e *env) waitReady() { testapp.WaitReady(e.t, e.app.URL) }

// users authenticates each named user by device (username = name) and records
// their ids and tokens as placeholders {name}, {token:name}, {refresh:name}.
func (e *env) addUsers(names ...string) {
	e.t.Helper()
	for _, n := range names {
		dev := "device-" + n + "-" + uuid.NewString()[:8]
		r := e.do("POST", "/v2/account/authenticate/device?username="+n, serverKey, `{"id":"`+dev+`"}`)
		if r.status != 200 {
			e.t.Fatalf("authenticate %s: %d %s", n, r.status, r.raw)
		}
		u := &user{name: n, device: dev, token: r.str("token"), refresh: r.str("refresh_token")}
		u.id, _ = claims(e.t, u.token)["uid"].(string)
		e.users[n] = u
		e.ids[n] = u.id
		e.ids["token:"+n] = u.token
		e.ids["refresh:"+n] = u.refresh
		e.ids["device:"+n] = dev
	}
}

// group creates a group through the client API as owner and records its id as
// placeholder {key}. body is the create body.
func (e *env) group(key, owner, body string) string {
	e.t.Helper()
	r := e.do("POST", "/v2/group", as(owner), body)
	if r.status != 200 {
		e.t.Fatalf("create group %s: %d %s", key, r.status, r.raw)
	}
	e.ids[key] = r.str("id")
	e.hooks.take()
	return e.ids[key]
}

// must runs a call that has to succeed (setup steps).
func (e *env) must(method, path string, a auth, body string) resp {
	e.t.Helper()
	r := e.do(method, e.expand(path), a, e.expand(body))
	if r.status != 200 {
		e.t.Fatalf("%s %s: %d %s", method, path, r.status, r.raw)
	}
	e.hooks.take()
	return r
}

func (e *env) expand(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := e.ids[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

var placeholder = regexp.MustCompile(`\{[a-z0-9:_-]+\}`)

// ---------------------------------------------------------------------------
// Credentials.

type authKind int

const (
	authNone authKind = iota
	authBearer
	authBasic
	authHTTPKeyQuery
	authRaw
)

type auth struct {
	kind authKind
	arg  string
}

var (
	noAuth       = auth{}
	serverKey    = auth{kind: authBasic, arg: testapp.ServerKey}
	httpKey      = auth{kind: authHTTPKeyQuery, arg: testapp.HTTPKey}
	httpKeyBasic = auth{kind: authBasic, arg: testapp.HTTPKey}
)

// as is the bearer session of a named user.
func as(name string) auth { return auth{kind: authBearer, arg: name} }

// basic is Basic auth with user part key and an empty password.
func basic(key string) auth { return auth{kind: authBasic, arg: key} }

// header sends the Authorization header verbatim (placeholders expanded);
// lines separated by \n become repeated headers.
func header(h string) auth { return auth{kind: authRaw, arg: h} }

// keyQuery sends ?http_key=key.
func keyQuery(key string) auth { return auth{kind: authHTTPKeyQuery, arg: key} }

// ---------------------------------------------------------------------------
// HTTP.

type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any // nil when the body is not a JSON object
}

func (r resp) str(path string) string {
	v, _ := lookup(r.body, path)
	s, _ := v.(string)
	return s
}

func (e *env) do(method, path string, a auth, body string) resp {
	e.t.Helper()
	return e.doWith(method, path, a, body, nil)
}

// doWith sends a request with extra headers (a header set to "" is removed).
func (e *env) doWith(method, path string, a auth, body string, headers map[string]string) resp {
	e.t.Helper()
	url := e.app.URL + path
	if a.kind == authHTTPKeyQuery {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		url += sep + "http_key=" + a.arg
	}
	req := testapp.NewRequest(e.t, method, url, body)
	switch a.kind {
	case authBearer:
		u, ok := e.users[a.arg]
		if !ok {
			e.t.Fatalf("unknown user %q", a.arg)
		}
		req.Header.Set("Authorization", "Bearer "+u.token)
	case authBasic:
		req.SetBasicAuth(a.arg, "")
	case authRaw:
		for _, h := range strings.Split(e.expand(a.arg), "\n") {
			req.Header.Add("Authorization", h)
		}
	}
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res := testapp.Send(e.t, req)
	r := resp{status: res.Status, header: res.Header, raw: res.Raw, body: res.Body}
	recordCoverage(method, strings.SplitN(path, "?", 2)[0], r.status)
	validateResponse(e.t, req, r.status, r.header, r.raw)
	return r
}

// ---------------------------------------------------------------------------
// Scenario tables.

// match checks a value; it returns "" when v is acceptable, else what it wanted.
type match func(v any) string

// matchIn is a match that needs the environment (to expand placeholders).
type matchIn func(e *env, v any) string

// fields maps dotted paths ("groups.0.name", "group_users.#" for a length) to
// expected values: string (placeholders expanded), int, bool, or a match.
type fields map[string]any

type scenario struct {
	name   string
	method string
	path   string // placeholders expanded
	auth   auth
	body   string // placeholders expanded
	header map[string]string
	status int
	want   fields
	absent []string // dotted paths that must not be present
	exact  string   // when set, the body must be exactly this
	fired  []string // the exact hook trace; nil means no hook ran
	reject string   // the before hook of this point refuses during this row
	save   string   // record the response's "id" as this placeholder
	check  func(t *testing.T, e *env, r resp)
}

// fail is the expected error body of a refusal.
func fail(code errs.Code, msg string) fields { return fields{"code": int(code), "message": msg} }

func (e *env) run(rows []scenario) {
	e.t.Helper()
	for _, s := range rows {
		e.t.Run(s.name, func(t *testing.T) { e.runOne(t, s) })
	}
}

func (e *env) runOne(t *testing.T, s scenario) {
	t.Helper()
	path, body := e.expand(s.path), e.expand(s.body)
	before := e.snapshot(t)
	e.hooks.take()
	e.hooks.setReject(s.reject)
	r := e.doWith(s.method, path, s.auth, body, s.header)
	e.hooks.setReject("")
	fired := e.hooks.take()

	if r.status != s.status {
		t.Errorf("%s %s: status %d, want %d; body %s", s.method, path, r.status, s.status, r.raw)
	}
	e.checkShape(t, r, s.status, path)
	if s.exact != "" && string(r.raw) != s.exact {
		t.Errorf("body %s, want exactly %s", r.raw, s.exact)
	}
	e.checkFields(t, r, s.want, s.absent)
	if !slices.Equal(s.fired, unchecked) && !slices.Equal(fired, s.fired) {
		t.Errorf("hooks fired %q, want %q", fired, s.fired)
	}
	e.checkInvariants(t)
	if r.status >= 400 {
		if after := e.snapshot(t); after != before {
			t.Errorf("a refused call changed the database:\n%s", diffLines(before, after))
		}
	}
	if s.save != "" {
		e.ids[s.save] = r.str("id")
	}
	if s.check != nil && !t.Failed() {
		s.check(t, e, r)
	}
}

func (e *env) checkFields(t *testing.T, r resp, want fields, absent []string) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		got, ok := lookup(r.body, k)
		if !ok {
			t.Errorf("%s: absent, want %v; body %s", k, want[k], r.raw)
			continue
		}
		if msg := e.compare(got, want[k]); msg != "" {
			t.Errorf("%s = %#v, want %s; body %s", k, got, msg, r.raw)
		}
	}
	for _, k := range absent {
		if v, ok := lookup(r.body, k); ok {
			t.Errorf("%s present (%#v), want it omitted; body %s", k, v, r.raw)
		}
	}
}

// compare returns "" when got matches want, else a description of want.
func (e *env) compare(got, want any) string {
	switch w := want.(type) {
	case match:
		return w(got)
	case matchIn:
		return w(e, got)
	case string:
		w = e.expand(w)
		if got != w {
			return strconv.Quote(w)
		}
	case int:
		if f, ok := got.(float64); !ok || f != float64(w) {
			return strconv.Itoa(w)
		}
	case bool:
		if got != w {
			return strconv.FormatBool(w)
		}
	default:
		panic(fmt.Sprintf("unsupported expectation %T", want))
	}
	return ""
}

// lookup follows a dotted path; a final "#" gives the length of an array.
func lookup(v any, path string) (any, bool) {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[p]; !ok {
				return nil, false
			}
		case []any:
			if p == "#" {
				return float64(len(x)), true
			}
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// Matchers.

var present match = func(v any) string { return "" }

var isUUID match = func(v any) string {
	s, _ := v.(string)
	if _, err := uuid.Parse(s); err != nil || strings.ToLower(s) != s {
		return "a lower-case UUID"
	}
	return ""
}

var timestampRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)

var isTime match = func(v any) string {
	s, _ := v.(string)
	if !timestampRE.MatchString(s) {
		return "an RFC 3339 time with whole seconds and Z"
	}
	return ""
}

var isJWT match = func(v any) string {
	s, _ := v.(string)
	if len(strings.Split(s, ".")) != 3 {
		return "a JWT"
	}
	return ""
}

func hasPrefix(p string) match {
	return func(v any) string {
		if s, _ := v.(string); !strings.HasPrefix(s, p) {
			return "a string starting with " + strconv.Quote(p)
		}
		return ""
	}
}

// ---------------------------------------------------------------------------
// Shape checks applied to every response.

// grpcStatus is grpc-gateway's code → HTTP table (reference §1).
var grpcStatus = map[int]int{
	1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400,
	10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401,
}

func (e *env) checkShape(t *testing.T, r resp, want int, path string) {
	t.Helper()
	if r.status == 500 && want != 500 {
		t.Errorf("answered 500: %s", r.raw)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if r.body == nil {
		t.Errorf("body is not a JSON object: %q", r.raw)
		return
	}
	if r.status >= 400 {
		code, _ := r.body["code"].(float64)
		msg, _ := r.body["message"].(string)
		keys := 2
		if strings.HasPrefix(path, "/v2/rpc/") {
			// The RPC endpoint's own shape: "error" beside code and message.
			keys = 3
			if _, ok := r.body["error"]; !ok {
				t.Errorf("RPC error body %s has no error key", r.raw)
			}
		}
		if len(r.body) != keys || msg == "" || grpcStatus[int(code)] != r.status {
			t.Errorf("error body %s is not {code,message} with a code mapping to %d", r.raw, r.status)
		}
		if r.status == 401 && r.header.Get("WWW-Authenticate") != msg {
			t.Errorf("WWW-Authenticate %q, want %q", r.header.Get("WWW-Authenticate"), msg)
		}
		return
	}
	if r.status == 200 {
		checkWire(t, "", r.body)
	}
}

// checkWire walks a successful body for the conventions of reference §0.
func checkWire(t *testing.T, path string, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		_, isGroup := x["creator_id"]
		if _, isAttribute := x["only_creator_can_edit"]; isAttribute {
			isGroup = false // a group attribute (issue 11) has a creator_id too
		}
		if isGroup {
			if _, ok := x["open"].(bool); !ok {
				t.Errorf("%s: group without a boolean open", path)
			}
		}
		if strings.HasSuffix(path, "group_users") || strings.HasSuffix(path, "user_groups") {
			if _, ok := x["state"].(float64); !ok {
				t.Errorf("%s: membership row without a numeric state", path)
			}
		}
		for k, val := range x {
			p := strings.TrimPrefix(path+"."+k, ".")
			switch {
			case strings.HasSuffix(k, "_time"):
				if msg := isTime(val); msg != "" {
					t.Errorf("%s = %v, want %s", p, val, msg)
				}
			case k == "metadata" || k == "wallet" || k == "content":
				s, ok := val.(string)
				var obj map[string]any
				if !ok || json.Unmarshal([]byte(s), &obj) != nil || obj == nil {
					t.Errorf("%s = %#v, want JSON object text in a string", p, val)
				}
			case k == "id" || k == "creator_id":
				if msg := isUUID(val); msg != "" && !strings.HasPrefix(p, "devices") {
					t.Errorf("%s = %v, want %s", p, val, msg)
				}
			}
			checkWire(t, p, val)
		}
	case []any:
		if len(x) == 0 {
			t.Errorf("%s: empty array on the wire (zero values must be omitted)", path)
		}
		for _, val := range x {
			checkWire(t, path, val)
		}
	}
}

// ---------------------------------------------------------------------------
// Database snapshots: every row of every table (found in the catalogue, so a
// table added later is covered too), sorted.

func (e *env) tables(t testing.TB) []string {
	t.Helper()
	q := `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`
	if e.app.DB.Dialect == "sqlite" {
		q = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	}
	var names []string
	if err := e.app.DB.Read.Raw(q).Scan(&names).Error; err != nil {
		t.Fatalf("list tables: %v", err)
	}
	out := names[:0]
	for _, n := range names {
		if n != "goose_db_version" {
			out = append(out, n)
		}
	}
	if len(out) < 6 {
		t.Fatalf("found only tables %q", out)
	}
	sort.Strings(out)
	return out
}

func (e *env) snapshot(t testing.TB) string {
	t.Helper()
	var lines []string
	for _, table := range e.tables(t) {
		rows, err := e.app.DB.Read.Raw(`SELECT * FROM "` + table + `"`).Rows()
		if err != nil {
			t.Fatalf("snapshot %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				t.Fatalf("snapshot %s: %v", table, err)
			}
			var b strings.Builder
			b.WriteString(table + ":")
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, " %s=%v", cols[i], v)
			}
			lines = append(lines, b.String())
		}
		rows.Close()
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func diffLines(a, b string) string {
	in := map[string]int{}
	for _, l := range strings.Split(a, "\n") {
		in[l]++
	}
	var out bytes.Buffer
	for _, l := range strings.Split(b, "\n") {
		if in[l] > 0 {
			in[l]--
			continue
		}
		fmt.Fprintf(&out, "+ %s\n", l)
	}
	for l, n := range in {
		for ; n > 0; n-- {
			fmt.Fprintf(&out, "- %s\n", l)
		}
	}
	return out.String()
}

// ---------------------------------------------------------------------------
// Reading state back.

// members returns the user names (by placeholder) and states of a group, in
// listing order, for all states 0-4.
func (e *env) members(t testing.TB, groupKey string) []string {
	t.Helper()
	var out []string
	for _, q := range []string{"", "?state=4"} {
		r := e.do("GET", "/v2/group/"+e.ids[groupKey]+"/user"+q, as(e.anyUser()), "")
		if r.status != 200 {
			t.Fatalf("list members: %d %s", r.status, r.raw)
		}
		list, _ := r.body["group_users"].([]any)
		for _, it := range list {
			id, _ := lookup(it, "user.id")
			st, _ := lookup(it, "state")
			f, _ := st.(float64)
			out = append(out, fmt.Sprintf("%s:%d", e.nameOf(id.(string)), int(f)))
		}
	}
	e.hooks.take()
	return out
}

func (e *env) anyUser() string {
	names := make([]string, 0, len(e.users))
	for n := range e.users {
		names = append(names, n)
	}
	sort.Strings(names)
	return names[0]
}

func (e *env) nameOf(id string) string {
	for n, u := range e.users {
		if u.id == id {
			return n
		}
	}
	return id
}

// getGroup reads a group through the server route.
func (e *env) getGroup(t testing.TB, key string) map[string]any {
	t.Helper()
	r := e.do("GET", "/v2/server/group/"+e.ids[key], httpKey, "")
	if r.status != 200 {
		t.Fatalf("get group %s: %d %s", key, r.status, r.raw)
	}
	return r.body
}

// checkInvariants verifies with SQL that every group's edge_count is its number
// of users in states 0-2 and that every group keeps a superadmin.
func (e *env) checkInvariants(t testing.TB) {
	t.Helper()
	if n := e.sqlInt(t, `SELECT count(*) FROM groups g
		WHERE g.edge_count <> (SELECT count(*) FROM group_members m WHERE m.group_id = g.id AND m.state <= 2)
		   OR NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.state = 0)
		   OR g.edge_count > g.max_count`); n != 0 {
		t.Errorf("%d group(s) break the edge_count / superadmin / capacity invariants", n)
	}
}

type checkFn = func(t *testing.T, e *env, r resp)

// checks runs several checks in turn.
func checks(fs ...checkFn) checkFn {
	return func(t *testing.T, e *env, r resp) {
		t.Helper()
		for _, f := range fs {
			f(t, e, r)
		}
	}
}

// membersAre checks a group's members ("name:state", listing order, bans last).
func membersAre(key string, want ...string) checkFn {
	return func(t *testing.T, e *env, _ resp) {
		t.Helper()
		wantStrings(t, key+" members", e.members(t, key), want...)
	}
}

// groupHas checks a group's fields as the server route reads them.
func groupHas(key string, want fields, absent ...string) checkFn {
	return func(t *testing.T, e *env, _ resp) {
		t.Helper()
		r := e.do("GET", "/v2/server/group/"+e.ids[key], httpKey, "")
		if r.status != 200 {
			t.Fatalf("get group %s: %d %s", key, r.status, r.raw)
		}
		e.checkFields(t, r, want, absent)
	}
}

// groupGone checks that a group no longer exists, with none of its rows.
func groupGone(key string) checkFn {
	return func(t *testing.T, e *env, _ resp) {
		t.Helper()
		if r := e.do("GET", "/v2/server/group/"+e.ids[key], httpKey, ""); r.status != 404 {
			t.Errorf("group %s still readable: %d %s", key, r.status, r.raw)
		}
		if n := e.sqlInt(t, "SELECT count(*) FROM group_members WHERE group_id = ?", e.ids[key]); n != 0 {
			t.Errorf("group %s left %d member rows", key, n)
		}
	}
}

// notified checks how many notifications of a code a user has.
func notified(name string, code, want int) checkFn {
	return func(t *testing.T, e *env, _ resp) {
		t.Helper()
		if n := e.sqlInt(t, "SELECT count(*) FROM notifications WHERE user_id = ? AND code = ?", e.ids[name], code); n != want {
			t.Errorf("%s has %d notifications with code %d, want %d", name, n, code, want)
		}
	}
}

// sqlInt runs a scalar count query.
func (e *env) sqlInt(t testing.TB, q string, args ...any) int {
	t.Helper()
	var n int64
	if err := e.app.DB.Read.Raw(q, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func wantStrings(t testing.TB, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}
