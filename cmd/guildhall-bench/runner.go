package main

// runner.go: the closed loop. Each worker is one simulated client with its
// own user and session; it sends a request, waits for the answer, validates
// it, and sends the next, so throughput is what the server sustains at a
// given concurrency rather than what the generator offers.

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"net/url"
	"sync"
	"time"
)

type worker struct {
	id  int
	cl  *client
	fx  *fixtures
	rng *rand.Rand // per worker: a shared source would be a lock on the hot path

	sess *session
	uid  string
	seq  int // create-name counter, kept across windows

	// Prebuilt paths of the worker's own promote_demote and kick_add groups.
	promotePath, demotePath, addPath, kickPath string

	deadline time.Time
	st       *workerStats
}

// op runs one timed, validated HTTP request. A session renewal, when due,
// happens before the clock starts and is counted apart. It reports success
// so a unit can stop when later requests depend on this one.
func (w *worker) op(name string, fn func(hdr string) error) bool {
	hdr, renewed, err := w.cl.auth(w.sess, 0)
	if renewed {
		w.st.renewals++
	}
	if err != nil {
		w.st.fail("session renewal", err)
		return false
	}
	start := time.Now()
	err = fn(hdr)
	end := time.Now()
	if err != nil {
		w.st.fail(name, err)
		return false
	}
	if end.After(w.deadline) {
		// Finishing a unit past the deadline: not part of the window's
		// throughput or latencies, but its server CPU is, so it is kept.
		w.st.overtime++
		return true
	}
	w.st.ok++
	w.st.byOp[name]++
	w.st.lat = append(w.st.lat, end.Sub(start))
	return true
}

type bench struct {
	cfg     *config
	cl      *client
	fx      *fixtures
	cpu     *cpuSampler // nil when no -pid/-pid-pattern
	workers []*worker
}

func newBench(cfg *config, cl *client, fx *fixtures, cpu *cpuSampler) *bench {
	b := &bench{cfg: cfg, cl: cl, fx: fx, cpu: cpu}
	for i, s := range fx.clients {
		w := &worker{
			id: i, cl: cl, fx: fx, sess: s, uid: s.uid(),
			rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i))),
		}
		if fx.promote != nil {
			p := fx.promote[i]
			q := "?user_ids=" + url.QueryEscape(p.target)
			w.promotePath, w.demotePath = p.g.path+"/promote"+q, p.g.path+"/demote"+q
		}
		if fx.kick != nil {
			p := fx.kick[i]
			q := "?user_ids=" + url.QueryEscape(p.target)
			w.addPath, w.kickPath = p.g.path+"/add"+q, p.g.path+"/kick"+q
		}
		b.workers = append(b.workers, w)
	}
	return b
}

// renewSessions renews, outside the timed window, every worker session that
// would come due for renewal during the next window, so renewals rarely land
// inside a measurement. (Windows longer than ~3/4 of the token life still
// renew inside, counted as session_renewals.)
func (b *bench) renewSessions(window time.Duration) error {
	return parallel(len(b.workers), setupWidth, func(i int) error {
		_, _, err := b.cl.auth(b.workers[i].sess, window)
		return err
	})
}

// window runs all workers for dur and merges what they saw. Workers check
// the deadline before each unit, and a unit started in time is finished so
// the fixtures stay at rest between windows and at the final check.
func (b *bench) window(ctx context.Context, scn *scenario, dur time.Duration) windowResult {
	if err := b.renewSessions(dur); err != nil {
		log.Printf("renewing sessions before the window: %v", err) // the ops will count the failures
	}
	var before cpuSnapshot
	if b.cpu != nil {
		before = b.cpu.sample()
	}
	selfBefore := selfTicks()
	start := time.Now()
	deadline := start.Add(dur)
	stats := make([]*workerStats, len(b.workers))
	var wg sync.WaitGroup
	for i, w := range b.workers {
		stats[i] = newWorkerStats()
		w.st, w.deadline = stats[i], deadline
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				scn.unit(w)
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	r := mergeStats(stats, min(wall, dur))
	r.Interrupted = ctx.Err() != nil
	if wall > 0 {
		r.SelfCPUPct = 100 * ticksToMs(selfTicks()-selfBefore) / float64(wall.Milliseconds()+1)
	}
	if b.cpu != nil {
		cpuMs := ticksToMs(cpuDelta(before, b.cpu.sample()))
		r.CPUms = &cpuMs
		// Divide by every successful op the CPU was spent on, including the
		// few that finished their unit after the deadline.
		if done := r.OK + r.Overtime; done > 0 {
			per := cpuMs / float64(done)
			r.CPUmsPerOp = &per
		}
	}
	return r
}

// runScenario runs the warm-up and the measured windows of one scenario.
func (b *bench) runScenario(ctx context.Context, scn *scenario) scenarioResult {
	var warm *windowResult
	if b.cfg.warmup > 0 {
		w := b.window(ctx, scn, b.cfg.warmup)
		warm = &w
		log.Printf("%-15s warm-up  %9.1f ops/s  errors %d", scn.name, w.OpsPerSec, w.Errors)
	}
	var windows []windowResult
	for run := 1; run <= b.cfg.runs && ctx.Err() == nil; run++ {
		w := b.window(ctx, scn, b.cfg.duration)
		windows = append(windows, w)
		cpu := ""
		if w.CPUmsPerOp != nil {
			cpu = fmt.Sprintf("  cpu %.3f ms/op", *w.CPUmsPerOp)
		}
		if w.Interrupted {
			log.Printf("%-15s run %d/%d interrupted: left out of the medians", scn.name, run, b.cfg.runs)
			continue
		}
		log.Printf("%-15s run %d/%d %9.1f ops/s  p50 %.2f  p90 %.2f  p99 %.2f ms  errors %d%s  bench cpu %.0f%%",
			scn.name, run, b.cfg.runs, w.OpsPerSec, w.P50ms, w.P90ms, w.P99ms, w.Errors, cpu, w.SelfCPUPct)
	}
	return summarize(scn.name, windows, warm)
}
