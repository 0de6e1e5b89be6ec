package api_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/api"
	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/runtime"
)

// startWith is start with a setup step between building the app and serving
// it (hooks and scripts are registered before the server takes requests).
func startWithApp(t *testing.T, dialect, dbURL string, setup func(app *testapp.App)) *env {
	t.Helper()
	app := testapp.New(t, dialect, dbURL)
	setup(app)
	app.Start(t)
	e := &env{t: t, app: app, hooks: &hookLog{reject: map[string]bool{}}, users: map[string]*user{},
		ids: map[string]string{"unknown": uuid.NewString()}}
	e.waitReady()
	return e
}

// auditEntry is one entry of GET /v2/server/audit as the test reads it.
type auditEntry struct {
	op, actor, group, outcome, requestID, reason, time string
	targets                                            []string
}

// describe is "op actor→targets outcome" with user names for ids.
func (e *env) describe(a auditEntry) string {
	var ts []string
	for _, id := range a.targets {
		ts = append(ts, e.nameOf(id))
	}
	return fmt.Sprintf("%s %s→%s %s", a.op, e.nameOf(a.actor), strings.Join(ts, ","), a.outcome)
}

// audit lists the log with query q (without the leading "?"), checking the
// answer's shape, and returns its entries and cursor.
func (e *env) audit(t *testing.T, q string) ([]auditEntry, string) {
	t.Helper()
	r := e.do("GET", "/v2/server/audit?"+e.expand(q), httpKey, "")
	if r.status != 200 {
		t.Fatalf("audit ?%s: %d %s", q, r.status, r.raw)
	}
	list, ok := r.body["entries"].([]any)
	if !ok {
		t.Fatalf("audit ?%s: no entries array in %s", q, r.raw)
	}
	var out []auditEntry
	for _, it := range list {
		m := it.(map[string]any)
		str := func(k string) string { s, _ := m[k].(string); return s }
		a := auditEntry{op: str("op"), actor: str("actor_id"), group: str("group_id"), outcome: str("outcome"),
			requestID: str("request_id"), reason: str("reason"), time: str("create_time")}
		if n, err := strconv.ParseInt(str("id"), 10, 64); err != nil || n <= 0 {
			t.Errorf("entry id %q: %v", str("id"), err)
		}
		if _, err := time.Parse(time.RFC3339Nano, a.time); err != nil {
			t.Errorf("entry create_time %q: %v", a.time, err)
		}
		ts, ok := m["target_ids"].([]any)
		if !ok {
			t.Errorf("entry without a target_ids array: %v", m)
		}
		for _, id := range ts {
			a.targets = append(a.targets, id.(string))
		}
		out = append(out, a)
	}
	cursor, _ := r.body["cursor"].(string)
	return out, cursor
}

func (e *env) auditOps(t *testing.T, q string) []string {
	t.Helper()
	es, _ := e.audit(t, q)
	var out []string
	for _, a := range es {
		out = append(out, e.describe(a))
	}
	return out
}

// TestAuditWhoKickedWhom: every committed client operation leaves one entry
// with its actor, targets and request id (the one the request's hooks and
// log lines see); refused operations and no-ops leave none.
func TestAuditWhoKickedWhom(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		var mu sync.Mutex
		var kickIDs []string
		e := startWithApp(t, dialect, dbURL, func(app *testapp.App) {
			hooks.KickGroupUsers.Before(app.Hooks, func(ctx context.Context, _ *hooks.Caller, r *groups.GroupUsersRequest) (*groups.GroupUsersRequest, error) {
				mu.Lock()
				kickIDs = append(kickIDs, api.RequestID(ctx))
				mu.Unlock()
				return r, nil
			})
		})
		e.addUsers("alice", "bob", "carol")
		e.group("g", "alice", `{"name":"audited","open":true}`)
		e.must("POST", "/v2/group/{g}/join", as("bob"), "")
		e.must("POST", "/v2/group/{g}/join", as("carol"), "")
		e.must("POST", "/v2/group/{g}/join", as("carol"), "") // already a member: nothing changed
		// Refused: a member may not kick.
		if r := e.do("POST", e.expand("/v2/group/{g}/kick?user_ids={alice}"), as("carol"), ""); r.status != 404 {
			t.Fatalf("member's kick: %d %s", r.status, r.raw)
		}
		e.must("POST", "/v2/group/{g}/kick?user_ids={bob}", as("alice"), "")

		es, cursor := e.audit(t, "group_id={g}")
		var got []string
		for _, a := range es {
			got = append(got, e.describe(a))
			if a.group != e.ids["g"] {
				t.Errorf("entry of group %s in the listing of %s", a.group, e.ids["g"])
			}
		}
		wantStrings(t, "entries", got,
			"kick_group_users alice→bob ok", "join_group carol→ ok", "join_group bob→ ok", "create_group alice→ ok")
		if cursor != "" {
			t.Errorf("one page has a cursor %q", cursor)
		}
		if len(kickIDs) != 2 || kickIDs[1] == "" || kickIDs[0] == kickIDs[1] {
			t.Fatalf("request ids seen by the kick hook: %q", kickIDs)
		}
		if es[0].requestID != kickIDs[1] {
			t.Errorf("kick entry's request id %q, the kick request's is %q", es[0].requestID, kickIDs[1])
		}
		for _, a := range es[1:] {
			if a.requestID == "" || a.requestID == es[0].requestID {
				t.Errorf("%s: request id %q", e.describe(a), a.requestID)
			}
		}
		// Listed for the kicked user too, newest first.
		wantStrings(t, "bob's entries", e.auditOps(t, "user_id={bob}"), "kick_group_users alice→bob ok", "join_group bob→ ok")
	})
}

// TestAuditServerReason: server API mutations are the system's, with the
// reason given as a query parameter or body field; a bad reason is a 400
// that changes nothing.
func TestAuditServerReason(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob")
		r := e.must("POST", "/v2/server/group", httpKey, `{"user_id":"{alice}","name":"srv","open":true,"reason":"seeded"}`)
		e.ids["g"] = r.str("id")
		e.must("POST", "/v2/group/{g}/join", as("bob"), "")
		e.must("POST", "/v2/server/group/{g}/ban?user_ids={bob}&reason="+url.QueryEscape("cheating, twice"), httpKey, "")
		e.must("PUT", "/v2/server/group/{g}", httpKey, `{"description":"d","reason":"tidy"}`)
		long := strings.Repeat("x", 513)
		before := e.snapshot(t)
		for _, c := range []struct{ method, path, body string }{
			{"POST", "/v2/server/group/{g}/unban?user_ids={bob}&reason=" + long, ""},
			{"PUT", "/v2/server/group/{g}", `{"description":"e","reason":"` + long + `"}`},
			{"DELETE", "/v2/server/group/{g}?reason=" + url.QueryEscape("bad\x00"), ""},
		} {
			r := e.do(c.method, e.expand(c.path), httpKey, e.expand(c.body))
			if r.status != 400 || r.body["code"] != float64(errs.CodeInvalidArgument) {
				t.Errorf("%s %s: %d %s, want 400 code 3", c.method, c.path, r.status, r.raw)
			}
		}
		if d := diffLines(before, e.snapshot(t)); d != "" {
			t.Errorf("refused calls changed the database:\n%s", d)
		}
		es, _ := e.audit(t, "group_id={g}")
		var got []string
		for _, a := range es {
			got = append(got, e.describe(a)+" reason="+a.reason)
		}
		wantStrings(t, "entries", got,
			"update_group system→ ok reason=tidy",
			"ban_group_users system→bob ok reason=cheating, twice",
			"join_group bob→ ok reason=",
			"create_group system→alice ok reason=seeded")
		wantStrings(t, "system's entries", e.auditOps(t, "user_id=system&op=ban_group_users"), "ban_group_users system→bob ok")
	})
}

// TestAuditScriptsAreSystem: a mutation a script makes through nk as the
// system is logged as the system's, with the id of the request that ran the
// script.
func TestAuditScriptsAreSystem(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		dir := t.TempDir()
		src := `function auditKick(ctx, logger, nk, payload) {
  var p = JSON.parse(payload);
  nk.groupUsersKick(p.group_id, [p.user_id]);
  return '{}';
}
function InitModule(ctx, logger, nk, initializer) {
  initializer.registerRpc('audit_kick', auditKick);
}`
		if err := os.WriteFile(filepath.Join(dir, runtime.JSEntrypoint), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		e := startWithApp(t, dialect, dbURL, func(app *testapp.App) {
			app.Server.Config.RuntimePath = dir
			release, err := app.Server.LoadScripts(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(release)
		})
		e.addUsers("alice", "bob")
		e.group("g", "alice", `{"name":"scripted","open":true}`)
		e.must("POST", "/v2/group/{g}/join", as("bob"), "")
		payload := fmt.Sprintf(`"{\"group_id\":\"%s\",\"user_id\":\"%s\"}"`, e.ids["g"], e.ids["bob"])
		e.must("POST", "/v2/rpc/audit_kick", httpKey, payload)
		es, _ := e.audit(t, "group_id={g}&op=kick_group_users")
		if len(es) != 1 || e.describe(es[0]) != "kick_group_users system→bob ok" || es[0].requestID == "" {
			t.Fatalf("kick entries: %+v", es)
		}
	})
}

// TestAuditFiltersAndPaging: filters combine; pages of limit entries walk the
// whole listing newest first, once each; bad parameters are 400s.
func TestAuditFiltersAndPaging(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol")
		e.group("g1", "alice", `{"name":"one","open":true}`)
		e.group("g2", "bob", `{"name":"two","open":true}`)
		e.must("POST", "/v2/group/{g1}/join", as("bob"), "")
		e.must("POST", "/v2/group/{g1}/join", as("carol"), "")
		e.must("POST", "/v2/group/{g1}/promote?user_ids={carol}", as("alice"), "")
		mid := time.Now().UTC()
		time.Sleep(2 * time.Millisecond) // the entries after mid carry a later time
		e.must("POST", "/v2/group/{g2}/join", as("carol"), "")
		e.must("POST", "/v2/group/{g1}/leave", as("bob"), "")

		all := e.auditOps(t, "")
		wantStrings(t, "all", all, "leave_group bob→ ok", "join_group carol→ ok", "promote_group_users alice→carol ok",
			"join_group carol→ ok", "join_group bob→ ok", "create_group bob→ ok", "create_group alice→ ok")
		wantStrings(t, "carol", e.auditOps(t, "user_id={carol}"),
			"join_group carol→ ok", "promote_group_users alice→carol ok", "join_group carol→ ok")
		wantStrings(t, "joins of g1", e.auditOps(t, "group_id={g1}&op=join_group"), "join_group carol→ ok", "join_group bob→ ok")
		midQ := url.QueryEscape(mid.Format(time.RFC3339Nano))
		wantStrings(t, "after mid", e.auditOps(t, "start_time="+midQ), "leave_group bob→ ok", "join_group carol→ ok")
		wantStrings(t, "before mid, bob", e.auditOps(t, "end_time="+midQ+"&user_id={bob}"),
			"join_group bob→ ok", "create_group bob→ ok")
		wantStrings(t, "unknown user", e.auditOps(t, "user_id={unknown}"))

		var paged []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > len(all) {
				t.Fatal("paging does not end")
			}
			q := "limit=2"
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			es, next := e.audit(t, q)
			if len(es) == 0 || len(es) > 2 {
				t.Fatalf("page %d has %d entries", pages, len(es))
			}
			for _, a := range es {
				paged = append(paged, e.describe(a))
			}
			if next == "" {
				break
			}
			cursor = next
		}
		wantStrings(t, "paged", paged, all...)

		for _, q := range []string{
			"group_id=nope", "user_id=nope", "op=frobnicate", "start_time=yesterday", "end_time=2026-13-01T00:00:00Z",
			"limit=0", "limit=101", "cursor=%21%21", "cursor=e30",
		} {
			r := e.do("GET", "/v2/server/audit?"+q, httpKey, "")
			if r.status != 400 || r.body["code"] != float64(errs.CodeInvalidArgument) {
				t.Errorf("?%s: %d %s, want 400 code 3", q, r.status, r.raw)
			}
		}
		if r := e.do("GET", "/v2/server/audit", keyQuery("wrong"), ""); r.status != 401 {
			t.Errorf("wrong http key: %d %s", r.status, r.raw)
		}
		if r := e.do("GET", "/v2/server/audit", as("alice"), ""); r.status != 401 {
			t.Errorf("a session: %d %s", r.status, r.raw)
		}
	})
}
