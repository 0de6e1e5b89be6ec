package main

// stats.go: per-worker counters, merging them into one window's result, and
// the median over windows. Latencies are kept exactly (one slice per worker,
// sorted once per window): a 10 s window at tens of thousands of ops/s is a
// few MB, and exact percentiles need no bucket tuning.

import (
	"math"
	"slices"
	"sort"
	"time"
)

// maxErrSamples bounds the distinct error texts kept per worker; the counts
// of the rest go to one "other" bucket.
const maxErrSamples = 8

// workerStats is owned by one worker goroutine during a window: no locks.
type workerStats struct {
	lat      []time.Duration // successful ops that ended inside the window
	ok       int
	overtime int // successful ops that ended after the deadline (finishing a unit)
	errors   int
	renewals int // session renewals inside the window, not counted as ops
	byOp     map[string]int
	errs     map[string]int
}

func newWorkerStats() *workerStats {
	return &workerStats{lat: make([]time.Duration, 0, 4096), byOp: map[string]int{}, errs: map[string]int{}}
}

func (s *workerStats) fail(op string, err error) {
	s.errors++
	key := op + ": " + truncate(err.Error(), 200)
	if _, ok := s.errs[key]; ok || len(s.errs) < maxErrSamples {
		s.errs[key]++
		return
	}
	s.errs[op+": (other errors)"]++
}

// windowResult is one measured window (or the warm-up).
type windowResult struct {
	ElapsedSec  float64        `json:"elapsed_sec"`
	Interrupted bool           `json:"interrupted,omitempty"` // cut short by ^C: left out of the medians
	OK          int            `json:"ok"`
	Errors      int            `json:"errors"`
	Overtime    int            `json:"overtime_ok"`
	Renewals    int            `json:"session_renewals"`
	OpsPerSec   float64        `json:"ops_per_sec"`
	P50ms       float64        `json:"p50_ms"`
	P90ms       float64        `json:"p90_ms"`
	P99ms       float64        `json:"p99_ms"`
	MaxMs       float64        `json:"max_ms"`
	CPUms       *float64       `json:"server_cpu_ms,omitempty"`
	CPUmsPerOp  *float64       `json:"server_cpu_ms_per_op,omitempty"`
	SelfCPUPct  float64        `json:"bench_cpu_pct"` // the generator's own CPU, to spot a client-bound run
	ByOp        map[string]int `json:"by_op"`
	ErrSamples  map[string]int `json:"error_samples,omitempty"`
}

// mergeStats folds the workers' counters of one window into a result.
func mergeStats(ws []*workerStats, elapsed time.Duration) windowResult {
	r := windowResult{ElapsedSec: elapsed.Seconds(), ByOp: map[string]int{}, ErrSamples: map[string]int{}}
	n := 0
	for _, w := range ws {
		n += len(w.lat)
	}
	all := make([]time.Duration, 0, n)
	for _, w := range ws {
		all = append(all, w.lat...)
		r.OK += w.ok
		r.Overtime += w.overtime
		r.Errors += w.errors
		r.Renewals += w.renewals
		for k, v := range w.byOp {
			r.ByOp[k] += v
		}
		for k, v := range w.errs {
			r.ErrSamples[k] += v
		}
	}
	slices.Sort(all)
	if elapsed > 0 {
		r.OpsPerSec = float64(r.OK) / elapsed.Seconds()
	}
	r.P50ms = ms(percentile(all, 50))
	r.P90ms = ms(percentile(all, 90))
	r.P99ms = ms(percentile(all, 99))
	if len(all) > 0 {
		r.MaxMs = ms(all[len(all)-1])
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile uses the nearest-rank method on sorted data: the smallest value
// with at least p% of the samples at or below it. Empty input gives 0.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = max(1, min(rank, n))
	return sorted[rank-1]
}

// median of the values (mean of the middle two for an even count); the
// median over windows resists one window disturbed by a checkpoint or GC.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// scenarioResult is one table row plus the detail behind it.
type scenarioResult struct {
	Scenario     string         `json:"scenario"`
	OpsPerSec    float64        `json:"ops_per_sec"` // medians over the windows
	P50ms        float64        `json:"p50_ms"`
	P90ms        float64        `json:"p90_ms"`
	P99ms        float64        `json:"p99_ms"`
	CPUmsPerOp   *float64       `json:"server_cpu_ms_per_op,omitempty"`
	Errors       int            `json:"errors"` // total over the windows
	WarmupErrors int            `json:"warmup_errors"`
	Renewals     int            `json:"session_renewals"`
	OpShare      map[string]int `json:"op_share_pct,omitempty"` // rounded % of ops per scenario (mixed only)
	ErrSamples   map[string]int `json:"error_samples,omitempty"`
	Windows      []windowResult `json:"windows"`
}

// summarize takes the median of each column over the complete windows (each
// column on its own, as the reference measurements do) and totals the errors
// of all windows.
func summarize(name string, windows []windowResult, warmup *windowResult) scenarioResult {
	r := scenarioResult{Scenario: name, Windows: windows, ErrSamples: map[string]int{}}
	var ops, p50, p90, p99, cpu []float64
	byOp := map[string]int{}
	total := 0
	for _, w := range windows {
		r.Errors += w.Errors
		r.Renewals += w.Renewals
		for k, v := range w.ErrSamples {
			r.ErrSamples[k] += v
		}
		if w.Interrupted {
			continue
		}
		ops = append(ops, w.OpsPerSec)
		p50 = append(p50, w.P50ms)
		p90 = append(p90, w.P90ms)
		p99 = append(p99, w.P99ms)
		if w.CPUmsPerOp != nil {
			cpu = append(cpu, *w.CPUmsPerOp)
		}
		for k, v := range w.ByOp {
			byOp[opScenario(k)] += v
			total += v
		}
	}
	if warmup != nil {
		r.WarmupErrors = warmup.Errors
		for k, v := range warmup.ErrSamples {
			r.ErrSamples["warm-up "+k] += v
		}
	}
	r.OpsPerSec, r.P50ms, r.P90ms, r.P99ms = median(ops), median(p50), median(p90), median(p99)
	if len(cpu) > 0 {
		m := median(cpu)
		r.CPUmsPerOp = &m
	}
	if len(byOp) > 1 && total > 0 {
		r.OpShare = map[string]int{}
		for k, v := range byOp {
			r.OpShare[k] = int(math.Round(100 * float64(v) / float64(total)))
		}
	}
	return r
}
