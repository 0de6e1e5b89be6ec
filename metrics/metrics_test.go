package metrics

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/errs"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// TestCallOutcomes: nil is ok, a code 4 error a timeout, anything else an
// error, each on its own series.
func TestCallOutcomes(t *testing.T) {
	m := New()
	rec := m.Call("rpc", "resize", "lua")
	rec(time.Millisecond, nil)
	rec(time.Millisecond, errs.Errorf(errs.CodeDeadlineExceeded, "Lua function timed out"))
	rec(time.Millisecond, errs.Errorf(errs.CodeInvalidArgument, "no"))
	rec(time.Millisecond, errors.New("uncoded"))
	text := scrape(t, m)
	for _, want := range []string{
		`guildhall_script_call_duration_seconds_count{kind="rpc",language="lua",outcome="ok",point="resize"} 1`,
		`guildhall_script_call_duration_seconds_count{kind="rpc",language="lua",outcome="timeout",point="resize"} 1`,
		`guildhall_script_call_duration_seconds_count{kind="rpc",language="lua",outcome="error",point="resize"} 2`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("missing %s", want)
		}
	}
}

// TestRouteStatuses: one route's requests are counted per status, and an
// empty pattern is the unmatched label.
func TestRouteStatuses(t *testing.T) {
	m := New()
	r := m.Route("POST", "/v2/group/:group_id/kick")
	for _, s := range []int{200, 200, 403} {
		r.Observe(s, time.Millisecond)
	}
	m.Route("GET", "").Observe(404, time.Millisecond)
	text := scrape(t, m)
	for _, want := range []string{
		`guildhall_http_requests_total{method="POST",route="/v2/group/:group_id/kick",status="200"} 2`,
		`guildhall_http_requests_total{method="POST",route="/v2/group/:group_id/kick",status="403"} 1`,
		`guildhall_http_request_duration_seconds_count{method="POST",route="/v2/group/:group_id/kick"} 3`,
		`guildhall_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("missing %s", want)
		}
	}
}

// TestPoolReported: a pool's gauges are read at scrape time, and reporting
// a language again replaces its pool (a server that reloads its scripts).
func TestPoolReported(t *testing.T) {
	m := New()
	busy := 3
	wait := m.Pool("javascript", 8, func() int { return busy })
	wait(2 * time.Millisecond)
	busy = 5
	text := scrape(t, m)
	for _, want := range []string{
		`guildhall_vm_pool_size{language="javascript"} 8`,
		`guildhall_vm_pool_in_use{language="javascript"} 5`,
		`guildhall_vm_pool_wait_seconds_count{language="javascript"} 1`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("missing %s", want)
		}
	}
	m.Pool("javascript", 4, func() int { return 0 })
	if text := scrape(t, m); !strings.Contains(text, `guildhall_vm_pool_size{language="javascript"} 4`+"\n") {
		t.Errorf("the pool was not replaced:\n%s", text)
	}
}

// TestRequestTotals: every observed answer counts, 5xx also as an error.
func TestRequestTotals(t *testing.T) {
	m := New()
	r := m.Route("GET", "/x")
	for _, st := range []int{200, 404, 500, 503, 201} {
		r.Observe(st, time.Millisecond)
	}
	m.Route("POST", "").Observe(502, time.Millisecond)
	if req, errs := m.RequestTotals(); req != 6 || errs != 3 {
		t.Fatalf("totals %d requests, %d errors; want 6, 3", req, errs)
	}
}
