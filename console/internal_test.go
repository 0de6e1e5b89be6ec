package console

import (
	"strings"
	"testing"
	"time"
)

func TestCheckJSONPosition(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`{"a": 1}`, ""},
		{`{"a": x}`, "line 1, column 7"},
		{"{\n  \"a\": 1,\n}", "line 3, column 1"},
		{`{"a": 1`, "line 1, column 7"},
		{"", "line 1, column 1"},
		{`{"é": ü}`, "line 1, column 7"}, // columns count characters, not bytes
	} {
		err := checkJSON(tc.text)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.text, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: %v, want %s", tc.text, err, tc.want)
		}
	}
}

type fixedCounters struct{ req, errs uint64 }

func (c *fixedCounters) RequestTotals() (uint64, uint64) { return c.req, c.errs }

func TestRates(t *testing.T) {
	c := &fixedCounters{}
	r := rateSampler{counters: c}
	start := time.Unix(1000, 0)
	c.req, c.errs = 100, 10
	got := r.rates(start.Add(10*time.Second), start) // since start: 10/s
	if got.PerSecond != 10 || got.ErrorRate != 0.1 {
		t.Fatalf("since start: %+v", got)
	}
	c.req, c.errs = 700, 10
	got = r.rates(start.Add(70*time.Second), start) // against the sample at 10 s: 600 in 60 s
	if got.PerSecond != 10 || got.ErrorRate != 0 || got.Window != time.Minute {
		t.Fatalf("window: %+v", got)
	}
	got = (&rateSampler{}).rates(start, start)
	if got.Available {
		t.Fatal("rates without counters")
	}
}

func TestLoginLimiterForgetsIdleIPs(t *testing.T) {
	l := newIPLimiter(time.Second, 2)
	now := time.Unix(0, 0)
	l.now = func() time.Time { return now }
	for i := 0; i < 2; i++ {
		if ok, _ := l.allow("a"); !ok {
			t.Fatal("refused within the burst")
		}
	}
	if ok, wait := l.allow("a"); ok || wait <= 0 {
		t.Fatalf("third attempt: %v %v", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Fatal("another IP refused")
	}
	now = now.Add(time.Second)
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("not refilled after a second")
	}
}

func TestPagePath(t *testing.T) {
	for p, want := range map[string]bool{
		"/console": true, "/console/groups?q=a": true, "//evil": false, "/consolex": false,
		"https://evil/console": false, "/console/../v2": false, "/console\\evil": false,
	} {
		if pagePath(p) != want {
			t.Errorf("pagePath(%q) = %v", p, !want)
		}
	}
}
