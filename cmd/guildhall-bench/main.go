// Command guildhall-bench is a closed-loop HTTP load generator for servers
// speaking Nakama's group and authentication REST API (Guildhall, or Nakama
// itself, so both are measured with the same tool and the same scenarios).
//
// It sets up its fixtures (users, groups, memberships) outside the timed
// windows, runs each scenario for -runs windows of -d with -c workers and
// reports the median throughput and latencies, every response validated;
// then it reads back every group it changed and checks the server's counters
// and memberships. Progress goes to stderr, results to stdout. The exit code
// is 0 only when no op failed and the check found nothing: 1 otherwise, 2 on
// usage or fixture-setup failure.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type config struct {
	url        string
	serverKey  string
	conc       int
	duration   time.Duration
	runs       int
	warmup     time.Duration
	scenarios  []string
	pids       []int
	pidPattern string
	jsonOut    bool
	prefix     string
	label      string
	timeout    time.Duration
	gzip       bool
	check      bool
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	cfg := &config{}
	fs := flag.NewFlagSet("guildhall-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var scenarios, pids string
	fs.StringVar(&cfg.url, "url", "http://127.0.0.1:7350", "server base URL")
	fs.StringVar(&cfg.serverKey, "server-key", "defaultkey", "server key for authenticate and session refresh (Basic auth)")
	fs.IntVar(&cfg.conc, "c", 32, "concurrency: workers, each one user with its own session")
	fs.DurationVar(&cfg.duration, "d", 10*time.Second, "duration of one measured window")
	fs.IntVar(&cfg.runs, "runs", 3, "measured windows per scenario; the median is reported")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "unmeasured warm-up before each scenario's windows (0 = none)")
	fs.StringVar(&scenarios, "scenarios", "all", "comma list of scenarios: "+strings.Join(scenarioOrder, ","))
	fs.StringVar(&pids, "pid", "", "comma list of local PIDs whose CPU time (/proc/<pid>/stat) is sampled per window")
	fs.StringVar(&cfg.pidPattern, "pid-pattern", "", "also sample every process whose command line contains this text (e.g. postgres)")
	fs.BoolVar(&cfg.jsonOut, "json", false, "print the results as JSON instead of a table")
	fs.StringVar(&bouncerHTTPKey, "bouncer-http-key", "", "Guildhall only: give each kick_add owner the \"bouncer\" role in its group's metadata through /v2/server/group with this http key, for measuring a bouncer before-hook on kick")
	fs.StringVar(&cfg.prefix, "prefix", "", "fixture name prefix, letters/digits/-/. (default: random, so runs never collide)")
	fs.StringVar(&cfg.label, "label", "", "free text printed in the header")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.BoolVar(&cfg.gzip, "gzip", true, "send Accept-Encoding: gzip like browsers and Go clients do")
	fs.BoolVar(&cfg.check, "check", true, "read back the touched groups after the scenarios and check their consistency")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if cfg.conc < 1 || cfg.runs < 1 || cfg.duration <= 0 || cfg.warmup < 0 || cfg.timeout <= 0 {
		return nil, fmt.Errorf("-c and -runs must be >= 1, -d and -timeout > 0, -warmup >= 0")
	}
	if cfg.conc > 9999 {
		return nil, fmt.Errorf("-c is at most 9999 (fixture names use 4 digits)")
	}
	if cfg.prefix == "" {
		cfg.prefix = "gb" + randomHex(4)
	}
	if err := validPrefix(cfg.prefix); err != nil {
		return nil, err
	}
	all := allScenarios()
	if scenarios == "all" || scenarios == "" {
		cfg.scenarios = scenarioOrder
	} else {
		for _, s := range strings.Split(scenarios, ",") {
			s = strings.TrimSpace(s)
			if all[s] == nil {
				return nil, fmt.Errorf("unknown scenario %q (known: %s)", s, strings.Join(scenarioOrder, ","))
			}
			if !slices.Contains(cfg.scenarios, s) {
				cfg.scenarios = append(cfg.scenarios, s)
			}
		}
	}
	for _, p := range strings.Split(pids, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pid, err := strconv.Atoi(p)
		if err != nil || pid < 1 {
			return nil, fmt.Errorf("-pid: bad pid %q", p)
		}
		cfg.pids = append(cfg.pids, pid)
	}
	return cfg, nil
}

// report is the whole output; the text form prints the same data.
type report struct {
	Label       string           `json:"label,omitempty"`
	URL         string           `json:"url"`
	Concurrency int              `json:"concurrency"`
	DurationSec float64          `json:"duration_sec"`
	Runs        int              `json:"runs"`
	WarmupSec   float64          `json:"warmup_sec"`
	Prefix      string           `json:"prefix"`
	Gzip        bool             `json:"gzip"`
	CPUPids     []int            `json:"cpu_pids,omitempty"`
	CPUPattern  string           `json:"cpu_pid_pattern,omitempty"`
	Started     string           `json:"started"`
	Results     []scenarioResult `json:"results"`
	Check       *checkReport     `json:"check,omitempty"`
	Interrupted bool             `json:"interrupted,omitempty"`
	OK          bool             `json:"ok"`
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "sockets" { // the realtime socket's load (sockets.go)
		return runSockets(args[1:], stdout, stderr)
	}
	cfg, err := parseFlags(args, stderr)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "guildhall-bench:", err)
		return 2
	}
	log.SetOutput(stderr)
	log.SetFlags(log.Ltime)

	all := allScenarios()
	var needs need
	for _, name := range cfg.scenarios {
		needs |= all[name].needs
	}
	cpu, err := newCPUSampler(cfg.pids, cfg.pidPattern)
	if err != nil {
		fmt.Fprintln(stderr, "guildhall-bench:", err)
		return 2
	}
	// Room for every worker plus the setup/check fan-out.
	cl := newClient(cfg.url, cfg.serverKey, cfg.conc+setupWidth, cfg.timeout, cfg.gzip)

	// First ^C stops after the units in flight (the fixtures stay at rest and
	// the check still runs); a second one kills the process.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }()

	rep := &report{
		Label: cfg.label, URL: cfg.url, Concurrency: cfg.conc, DurationSec: cfg.duration.Seconds(),
		Runs: cfg.runs, WarmupSec: cfg.warmup.Seconds(), Prefix: cfg.prefix, Gzip: cfg.gzip,
		CPUPids: cfg.pids, CPUPattern: cfg.pidPattern, Started: time.Now().UTC().Format(time.RFC3339),
		Results: []scenarioResult{},
	}
	log.Printf("guildhall-bench %s: prefix %s, %d workers, scenarios %s",
		cfg.url, cfg.prefix, cfg.conc, strings.Join(cfg.scenarios, ","))

	fx, err := setupFixtures(cl, cfg.prefix, cfg.conc, needs)
	if err != nil {
		fmt.Fprintln(stderr, "guildhall-bench:", err)
		return 2
	}
	b := newBench(cfg, cl, fx, cpu)
	for _, name := range cfg.scenarios {
		if ctx.Err() != nil {
			break
		}
		rep.Results = append(rep.Results, b.runScenario(ctx, all[name]))
	}
	rep.Interrupted = ctx.Err() != nil
	if cfg.check {
		log.Printf("consistency check…")
		c := runCheck(cl, fx, needs)
		rep.Check = &c
	}

	rep.OK = !rep.Interrupted
	for _, r := range rep.Results {
		if r.Errors > 0 || r.WarmupErrors > 0 {
			rep.OK = false
		}
	}
	if rep.Check != nil && len(rep.Check.Mismatches) > 0 {
		rep.OK = false
	}
	if cfg.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		printText(stdout, rep)
	}
	if !rep.OK {
		return 1
	}
	return 0
}

func printText(out io.Writer, rep *report) {
	fmt.Fprintf(out, "guildhall-bench")
	if rep.Label != "" {
		fmt.Fprintf(out, "  %s", rep.Label)
	}
	fmt.Fprintf(out, "\n%s  c=%d  d=%gs x %d (median)  warmup=%gs  prefix=%s  gzip=%v  %s\n",
		rep.URL, rep.Concurrency, rep.DurationSec, rep.Runs, rep.WarmupSec, rep.Prefix, rep.Gzip, rep.Started)
	if len(rep.CPUPids) > 0 || rep.CPUPattern != "" {
		fmt.Fprintf(out, "server CPU: pids %v pattern %q\n", rep.CPUPids, rep.CPUPattern)
	}
	fmt.Fprintln(out)
	const row = "%-15s %10s %9s %9s %9s %8s %10s\n"
	fmt.Fprintf(out, row, "scenario", "ops/s", "p50 ms", "p90 ms", "p99 ms", "errors", "cpu ms/op")
	for _, r := range rep.Results {
		cpu := "-"
		if r.CPUmsPerOp != nil {
			cpu = fmt.Sprintf("%.3f", *r.CPUmsPerOp)
		}
		errs := strconv.Itoa(r.Errors)
		if r.WarmupErrors > 0 {
			errs += fmt.Sprintf("+%dw", r.WarmupErrors)
		}
		fmt.Fprintf(out, row, r.Scenario, fmt.Sprintf("%.1f", r.OpsPerSec), fmt.Sprintf("%.2f", r.P50ms),
			fmt.Sprintf("%.2f", r.P90ms), fmt.Sprintf("%.2f", r.P99ms), errs, cpu)
	}
	if slices.ContainsFunc(rep.Results, func(r scenarioResult) bool { return r.WarmupErrors > 0 }) {
		fmt.Fprintln(out, "(+Nw: errors during the warm-up)")
	}

	for _, r := range rep.Results {
		if r.OpShare != nil {
			fmt.Fprintf(out, "\n%s op shares (%%):", r.Scenario)
			for _, e := range mixTable {
				fmt.Fprintf(out, " %s %d", e.scenario, r.OpShare[e.scenario])
			}
			fmt.Fprintln(out)
		}
		if r.Renewals > 0 {
			fmt.Fprintf(out, "%s: %d session renewals inside windows (not counted as ops)\n", r.Scenario, r.Renewals)
		}
		if len(r.ErrSamples) > 0 {
			fmt.Fprintf(out, "\n%s errors:\n", r.Scenario)
			keys := make([]string, 0, len(r.ErrSamples))
			for k := range r.ErrSamples {
				keys = append(keys, k)
			}
			sort := func(a, b string) int { return r.ErrSamples[b] - r.ErrSamples[a] }
			slices.SortFunc(keys, sort)
			for _, k := range keys {
				fmt.Fprintf(out, "  %6d  %s\n", r.ErrSamples[k], k)
			}
		}
	}
	if rep.Check != nil {
		fmt.Fprintf(out, "\nconsistency: %d groups checked, %d mismatches\n", rep.Check.Groups, len(rep.Check.Mismatches))
		for i, m := range rep.Check.Mismatches {
			if i == 50 {
				fmt.Fprintf(out, "  … %d more (see -json)\n", len(rep.Check.Mismatches)-i)
				break
			}
			fmt.Fprintf(out, "  %-15s %s: %s\n", m.Kind, m.Group, m.Problem)
		}
	}
	if rep.Interrupted {
		fmt.Fprintln(out, "\ninterrupted")
	}
	if rep.OK {
		fmt.Fprintln(out, "\nOK")
	} else {
		fmt.Fprintln(out, "\nFAILED")
	}
}
