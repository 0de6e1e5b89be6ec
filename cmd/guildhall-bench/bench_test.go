package main

// Tests of the pure parts: statistics, the mix, the response validators, JWT
// and /proc parsing, the consistency comparison. None needs a server.

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {90, 90 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0, time.Millisecond}, {99.5, 100 * time.Millisecond}} {
		if got := percentile(d, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("empty: %v", got)
	}
	one := []time.Duration{7}
	if percentile(one, 1) != 7 || percentile(one, 99) != 7 {
		t.Errorf("single sample must be every percentile")
	}
	// Small sets: p90 of 3 samples is the 3rd (ceil(2.7)).
	if got := percentile([]time.Duration{1, 2, 3}, 90); got != 3 {
		t.Errorf("p90 of 3 = %v", got)
	}
}

func TestMedian(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("odd: %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("even: %v", m)
	}
	if m := median(nil); m != 0 {
		t.Errorf("empty: %v", m)
	}
	xs := []float64{3, 1, 2}
	median(xs)
	if xs[0] != 3 {
		t.Errorf("median must not reorder its input")
	}
}

func TestMergeAndSummarize(t *testing.T) {
	a, b := newWorkerStats(), newWorkerStats()
	for i := 1; i <= 10; i++ {
		a.lat = append(a.lat, time.Duration(i)*time.Millisecond)
		a.ok++
		a.byOp["join"]++
	}
	b.lat = append(b.lat, 100*time.Millisecond)
	b.ok, b.overtime, b.byOp["leave"] = 1, 2, 1
	b.fail("leave", errors.New("boom"))
	w := mergeStats([]*workerStats{a, b}, 2*time.Second)
	if w.OK != 11 || w.Overtime != 2 || w.Errors != 1 || w.OpsPerSec != 5.5 {
		t.Fatalf("merge: %+v", w)
	}
	if w.P50ms != 6 || w.MaxMs != 100 || w.P99ms != 100 {
		t.Errorf("percentiles: p50 %v p99 %v max %v", w.P50ms, w.P99ms, w.MaxMs)
	}
	if w.ErrSamples["leave: boom"] != 1 {
		t.Errorf("error samples: %v", w.ErrSamples)
	}
	w2 := w
	w2.OpsPerSec = 1
	w3 := w
	w3.OpsPerSec = 100
	s := summarize("join_leave", []windowResult{w, w2, w3}, nil)
	if s.OpsPerSec != 5.5 || s.Errors != 3 {
		t.Errorf("summary: ops %v errors %v", s.OpsPerSec, s.Errors)
	}
	// join and leave both belong to join_leave: a single scenario has no shares.
	if s.OpShare != nil {
		t.Errorf("op share for a single scenario: %v", s.OpShare)
	}
	// A window cut short by ^C counts its errors but not its rates.
	cut := w3
	cut.Interrupted = true
	s = summarize("join_leave", []windowResult{w, w2, cut}, nil)
	if s.OpsPerSec != (5.5+1)/2 || s.Errors != 3 {
		t.Errorf("interrupted window: ops %v errors %v", s.OpsPerSec, s.Errors)
	}
}

func TestErrorSamplesBounded(t *testing.T) {
	s := newWorkerStats()
	for i := 0; i < 100; i++ {
		s.fail("op", errors.New(strings.Repeat("x", i)))
	}
	if len(s.errs) != maxErrSamples+1 || s.errors != 100 {
		t.Errorf("%d distinct samples, %d errors", len(s.errs), s.errors)
	}
}

func TestPickWeightedExact(t *testing.T) {
	weights := []int{3, 0, 5, 2}
	cum := cumulative(weights)
	counts := make([]int, len(weights))
	for r := 0; r < cum[len(cum)-1]; r++ {
		counts[pickWeighted(cum, r)]++
	}
	for i := range weights {
		if counts[i] != weights[i] {
			t.Errorf("index %d picked %d times, want %d", i, counts[i], weights[i])
		}
	}
}

// The mix's percentages are shares of HTTP requests: drawing units by the
// computed weights must give exactly those shares of requests.
func TestMixOpShares(t *testing.T) {
	all := allScenarios()
	pcts := make([]int, len(mixTable))
	ops := make([]int, len(mixTable))
	sum := 0
	for i, e := range mixTable {
		pcts[i], ops[i] = e.pct, all[e.scenario].ops
		sum += e.pct
	}
	if sum != 100 {
		t.Fatalf("mix percentages add up to %d", sum)
	}
	cum := cumulative(unitWeights(pcts, ops))
	reqs := make([]int, len(mixTable))
	total := 0
	for r := 0; r < cum[len(cum)-1]; r++ {
		i := pickWeighted(cum, r)
		reqs[i] += ops[i]
		total += ops[i]
	}
	for i, e := range mixTable {
		if got := 100 * reqs[i] / total; got != e.pct || 100*reqs[i]%total != 0 {
			t.Errorf("%s: %d/%d requests, want %d%%", e.scenario, reqs[i], total, e.pct)
		}
	}
	if all["mixed"].needs != needList|needJoinLeave|needMembers|needPromote|needKick {
		t.Errorf("mixed needs every fixture: %b", all["mixed"].needs)
	}
	for _, name := range scenarioOrder {
		if all[name] == nil {
			t.Errorf("scenario %s missing from the table", name)
		}
	}
}

const (
	uuidA = "0b3c9e43-51c5-4fb4-9a4e-0e3f1e6f6a11"
	uuidB = "7d1f5a20-a9e2-44a6-8c2b-3f8a9d1c2e33"
)

func TestValidateCreate(t *testing.T) {
	ok := `{"id":"` + uuidA + `","creator_id":"` + uuidB + `","name":"g1","open":true,"edge_count":1,"max_count":100,"metadata":"{}"}`
	if _, err := validateCreate(200, []byte(ok), "g1", uuidB, true); err != nil {
		t.Errorf("valid create rejected: %v", err)
	}
	bad := map[string]struct {
		status int
		body   string
	}{
		"conflict":      {409, `{"code":6,"message":"Group name is in use."}`},
		"wrong name":    {200, strings.Replace(ok, `"g1"`, `"g2"`, 1)},
		"no open":       {200, strings.Replace(ok, `"open":true,`, ``, 1)},
		"closed":        {200, strings.Replace(ok, `"open":true`, `"open":false`, 1)},
		"bad id":        {200, strings.Replace(ok, uuidA, "42", 1)},
		"wrong creator": {200, strings.Replace(ok, uuidB, uuidA, 1)},
		"not JSON":      {200, `<html>`},
		"array":         {200, `[]`},
	}
	for name, c := range bad {
		if _, err := validateCreate(c.status, []byte(c.body), "g1", uuidB, true); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	_, err := validateCreate(409, []byte(bad["conflict"].body), "g1", "", true)
	if err == nil || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "Group name is in use.") {
		t.Errorf("error text should carry status and message: %v", err)
	}
}

func TestValidateEmpty(t *testing.T) {
	for _, body := range []string{`{}`, ` { } `, "{}\n"} {
		if err := validateEmpty(200, []byte(body)); err != nil {
			t.Errorf("%q rejected: %v", body, err)
		}
	}
	for _, c := range []struct {
		status int
		body   string
	}{{200, `{"x":1}`}, {200, ``}, {200, `null`}, {400, `{"code":3,"message":"Group is full."}`}, {404, `{}`}} {
		if err := validateEmpty(c.status, []byte(c.body)); err == nil {
			t.Errorf("%d %q accepted", c.status, c.body)
		}
	}
}

func group(id, name string) string {
	return `{"id":"` + id + `","name":"` + name + `","open":true}`
}

func TestValidateGroupList(t *testing.T) {
	page := `{"groups":[` + group(uuidA, "Pre-1") + `,` + group(uuidB, "pre-2") + `],"cursor":"abc"}`
	l, err := validateGroupList(200, []byte(page), 2, "PRE-", true)
	if err != nil || l.Cursor != "abc" {
		t.Fatalf("valid page rejected: %v", err)
	}
	if _, err := validateGroupList(200, []byte(page), 3, "", false); err == nil {
		t.Errorf("wrong count accepted")
	}
	if _, err := validateGroupList(200, []byte(page), 2, "other", false); err == nil {
		t.Errorf("wrong prefix accepted")
	}
	noCursor := strings.Replace(page, `,"cursor":"abc"`, ``, 1)
	if _, err := validateGroupList(200, []byte(noCursor), 2, "", true); err == nil {
		t.Errorf("missing cursor accepted")
	}
	if _, err := validateGroupList(200, []byte(noCursor), 2, "", false); err != nil {
		t.Errorf("last page rejected: %v", err)
	}
	// An empty list is literally {} on the wire.
	if _, err := validateGroupList(200, []byte(`{}`), 0, "", false); err != nil {
		t.Errorf("empty list rejected: %v", err)
	}
	noOpen := `{"groups":[{"id":"` + uuidA + `","name":"pre-1"}]}`
	if _, err := validateGroupList(200, []byte(noOpen), 1, "", false); err == nil {
		t.Errorf("group without open accepted")
	}
}

func TestValidateGroupUsers(t *testing.T) {
	body := `{"group_users":[{"user":{"id":"` + uuidA + `"},"state":0},{"user":{"id":"` + uuidB + `"},"state":2}]}`
	l, err := validateGroupUsers(200, []byte(body), 2)
	if err != nil {
		t.Fatalf("valid list rejected: %v", err)
	}
	if l.GroupUsers[1].state() != 2 {
		t.Errorf("state not read")
	}
	if _, err := validateGroupUsers(200, []byte(body), 50); err == nil {
		t.Errorf("wrong count accepted")
	}
	if _, err := validateGroupUsers(200, []byte(body), -1); err != nil {
		t.Errorf("count skipped with -1: %v", err)
	}
	// An absent state reads as 0, as nakama-js does.
	noState := `{"group_users":[{"user":{"id":"` + uuidA + `"}}]}`
	if l, err := validateGroupUsers(200, []byte(noState), 1); err != nil || l.GroupUsers[0].state() != 0 {
		t.Errorf("absent state: %v", err)
	}
	for _, b := range []string{`{"group_users":[{"state":2}]}`, `{"group_users":[{"user":{"id":"` + uuidA + `"},"state":4}]}`} {
		if _, err := validateGroupUsers(200, []byte(b), 1); err == nil {
			t.Errorf("%s accepted", b)
		}
	}
}

func jwt(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(payload)) + ".sig"
}

func TestAuthAndClaims(t *testing.T) {
	tok := jwt(`{"tid":"x","uid":"` + uuidA + `","usn":"bob","exp":1700000060,"iat":1700000000}`)
	body := `{"created":true,"token":"` + tok + `","refresh_token":"` + tok + `"}`
	r, err := validateAuth(200, []byte(body))
	if err != nil || !r.Created {
		t.Fatalf("valid auth rejected: %v", err)
	}
	c, err := parseJWTClaims(r.Token)
	if err != nil || c.UID != uuidA || c.Exp != 1700000060 {
		t.Errorf("claims %+v, %v", c, err)
	}
	if _, err := validateAuth(200, []byte(`{"token":"abc","refresh_token":"`+tok+`"}`)); err == nil {
		t.Errorf("non-JWT token accepted")
	}
	if _, err := validateAuth(401, []byte(`{"code":16,"message":"Server key invalid"}`)); err == nil {
		t.Errorf("401 accepted")
	}
	if _, err := parseJWTClaims("a.b"); err == nil {
		t.Errorf("two-part token parsed")
	}
	// Padded payloads (some JWT libraries) are tolerated.
	padded := strings.Replace(tok, ".sig", "", 1)
	parts := strings.Split(padded, ".")
	if _, err := parseJWTClaims(parts[0] + "." + parts[1] + "==.sig"); err != nil {
		t.Errorf("padded payload: %v", err)
	}
}

func TestIsUUID(t *testing.T) {
	for s, want := range map[string]bool{
		uuidA: true, strings.ToUpper(uuidA): true, "": false,
		"0b3c9e4351c54fb49a4e0e3f1e6f6a11":     false,
		"0b3c9e43-51c5-4fb4-9a4e-0e3f1e6f6a1g": false,
		"0b3c9e43-51c5-4fb4-9a4e_0e3f1e6f6a11": false,
	} {
		if isUUID(s) != want {
			t.Errorf("isUUID(%q) != %v", s, want)
		}
	}
}

func TestParseStat(t *testing.T) {
	// The command name may contain spaces and parentheses.
	line := "1234 (post gres) (x)) S 77 1234 1234 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 1 0 100 1000 10 18446744073709551615"
	ticks, ppid, err := parseStat(line)
	if err != nil || ticks != 281 || ppid != 77 {
		t.Errorf("got %d ticks ppid %d err %v", ticks, ppid, err)
	}
	if _, _, err := parseStat("garbage"); err == nil {
		t.Errorf("garbage parsed")
	}
	if ticksToMs(281) != 2810 {
		t.Errorf("ticksToMs")
	}
}

func TestCPUDelta(t *testing.T) {
	before := cpuSnapshot{1: 100, 2: 50, 3: 10}
	after := cpuSnapshot{1: 130, 2: 5, 4: 7} // 2 is a reused pid, 3 exited, 4 is new
	if d := cpuDelta(before, after); d != 30+5+7 {
		t.Errorf("delta %d", d)
	}
}

func TestCompareMembers(t *testing.T) {
	want := map[string]int{"owner": 0, "m": 2}
	if p := compareMembers(want, map[string]int{"owner": 0, "m": 2}, 2); len(p) != 0 {
		t.Errorf("at rest reported: %v", p)
	}
	p := compareMembers(want, map[string]int{"owner": 0, "m": 1, "x": 3}, 5)
	joined := strings.Join(p, "\n")
	for _, s := range []string{"edge_count 5 but 2 members", "user m in state 1, want 2", "unexpected user x in state 3"} {
		if !strings.Contains(joined, s) {
			t.Errorf("missing %q in %v", s, p)
		}
	}
	p = compareMembers(map[string]int{"owner": 0}, map[string]int{}, 1)
	if len(p) != 2 || !strings.Contains(p[1], "user owner missing") {
		t.Errorf("missing owner: %v", p)
	}
}

func TestValidPrefix(t *testing.T) {
	for p, ok := range map[string]bool{"gb1a2b": true, "a.b-C9": true, "": false, "a_b": false, "a%": false, " a": false, strings.Repeat("a", 65): false} {
		if (validPrefix(p) == nil) != ok {
			t.Errorf("validPrefix(%q) ok=%v", p, !ok)
		}
	}
}

func TestParseFlags(t *testing.T) {
	var sb strings.Builder
	cfg, err := parseFlags([]string{"-scenarios", "list, mixed,list", "-pid", "1,2", "-c", "4"}, &sb)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.scenarios, ",") != "list,mixed" || len(cfg.pids) != 2 || cfg.conc != 4 || validPrefix(cfg.prefix) != nil {
		t.Errorf("cfg %+v", cfg)
	}
	for _, args := range [][]string{{"-scenarios", "nope"}, {"-pid", "x"}, {"-c", "0"}, {"-prefix", "a_b"}} {
		if _, err := parseFlags(args, &sb); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestSessionRenewalTiming(t *testing.T) {
	now := time.Unix(1700000000, 0)
	// Nakama's default 60 s life: renew at 45 s of age.
	if got := renewTime(now, tokenLife(jwtClaims{Iat: 100, Exp: 160}, nil)); got != now.Add(45*time.Second) {
		t.Errorf("60 s life: renew at %v", got.Sub(now))
	}
	// A short life renews at 3/4 of it, not on every request.
	if got := renewTime(now, tokenLife(jwtClaims{Iat: 100, Exp: 108}, nil)); got != now.Add(6*time.Second) {
		t.Errorf("8 s life: renew at %v", got.Sub(now))
	}
	// A long life keeps the fixed margin.
	if got := renewTime(now, time.Hour); got != now.Add(time.Hour-refreshMargin) {
		t.Errorf("1 h life: renew at %v", got.Sub(now))
	}
	for _, c := range []jwtClaims{{}, {Iat: 100, Exp: 100}, {Exp: 160}} {
		if l := tokenLife(c, nil); l != 60*time.Second {
			t.Errorf("claims %+v: life %v, want the 60 s default", c, l)
		}
	}
	if l := tokenLife(jwtClaims{Iat: 1, Exp: 2}, errors.New("x")); l != 60*time.Second {
		t.Errorf("unparsable token: life %v", l)
	}
}

func TestSentStamp(t *testing.T) {
	frame := []byte(`{"channel_message":{"channel_id":"3.x..","content":"{\"sent\":1733440000123456789,\"seq\":3}","code":0}}`)
	if got := sentStamp(frame); got != 1733440000123456789 {
		t.Errorf("sentStamp = %d", got)
	}
	if got := sentStamp([]byte(`{"cid":"m1","channel_message_ack":{"channel_id":"3.x.."}}`)); got != 0 {
		t.Errorf("an ack: %d, want 0", got)
	}
}
