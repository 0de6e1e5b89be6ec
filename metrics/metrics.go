// Package metrics is Guildhall's Prometheus instrumentation: the series the
// API, the script runtimes and the database pools report into, on a registry
// of the server's own (never the global one, so several servers in one process
// do not collide), served by Handler on a listener apart from the API.
//
// Hot paths get pre-resolved series: a route's histogram is looked up once
// when the route table is built, a script registration's three outcomes when
// it is registered, so a request pays a few atomic adds, not a label lookup.
package metrics

import (
	"database/sql"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/guildhall/guildhall/errs"
)

// Namespace prefixes every Guildhall series.
const Namespace = "guildhall"

// Unmatched is the route label of a request no route served (404, 405, a
// CORS preflight): raw paths never become labels.
const Unmatched = "unmatched"

// Outcomes of a script call.
const (
	OutcomeOK      = "ok"
	OutcomeError   = "error"
	OutcomeTimeout = "timeout"
)

// Latency buckets, in seconds: requests and script calls are sub-millisecond
// to seconds (the default request deadline is 10 s).
var (
	latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	waitBuckets    = []float64{.00001, .0001, .0005, .001, .005, .01, .05, .1, .5, 1}
)

// Metrics is one server's series.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec   // route, method, status
	latency  *prometheus.HistogramVec // route, method
	calls    *prometheus.HistogramVec // kind, point, language, outcome
	poolWait *prometheus.HistogramVec // language
	pools    *poolCollector
	totals   totals
}

// New makes the series and registers them, with Go's runtime and process
// collectors, on a fresh registry.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time from a request's arrival to its answer, by route pattern and method.",
			Buckets: latencyBuckets,
		}, []string{"route", "method"}),
		calls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "script", Name: "call_duration_seconds",
			Help: "Script hook and RPC calls (kind before, after or rpc; point is the operation or RPC id) " +
				"by language and outcome (ok, error, timeout), with their duration including the wait for a VM.",
			Buckets: latencyBuckets,
		}, []string{"kind", "point", "language", "outcome"}),
		poolWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "vm_pool", Name: "wait_seconds",
			Help:    "Time a script call waited for a VM of its language's pool.",
			Buckets: waitBuckets,
		}, []string{"language"}),
		pools: &poolCollector{pools: map[string]pool{}},
	}
	m.reg.MustRegister(m.requests, m.latency, m.calls, m.poolWait, m.pools,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry the series are on, for tests and for studios
// adding their own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in Prometheus' exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// WatchDB reports a database/sql pool's statistics (open, in use, idle
// connections, waits and their duration, closes) as go_sql_* series labelled
// db_name=name, read at scrape time.
func (m *Metrics) WatchDB(name string, db *sql.DB) {
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// totals are every route's answers and server errors (5xx) together: the
// admin console's requests per second and error rate.
type totals struct{ requests, errors atomic.Uint64 }

// RequestTotals is the number of answered requests and of 5xx answers since
// start.
func (m *Metrics) RequestTotals() (requests, errors uint64) {
	return m.totals.requests.Load(), m.totals.errors.Load()
}

// Route is one route's series, resolved once.
type Route struct {
	totals   *totals
	latency  prometheus.Observer
	requests *prometheus.CounterVec
	route    string
	method   string
	statuses sync.Map // int status → prometheus.Counter
}

// Route resolves the series of a route pattern ("/v2/group/:group_id") and
// method; call it once per route when the route table is built. An empty
// pattern is Unmatched.
func (m *Metrics) Route(method, pattern string) *Route {
	if pattern == "" {
		pattern = Unmatched
	}
	return &Route{
		totals:   &m.totals,
		latency:  m.latency.WithLabelValues(pattern, method),
		requests: m.requests,
		route:    pattern,
		method:   method,
	}
}

// Observe counts one answered request.
func (r *Route) Observe(status int, d time.Duration) {
	r.totals.requests.Add(1)
	if status >= 500 {
		r.totals.errors.Add(1)
	}
	r.latency.Observe(d.Seconds())
	c, ok := r.statuses.Load(status)
	if !ok {
		// First request with this status on this route: resolve its counter
		// (a route sees a handful of statuses, so the map stays small).
		c, _ = r.statuses.LoadOrStore(status, r.requests.WithLabelValues(r.route, r.method, strconv.Itoa(status)))
	}
	c.(prometheus.Counter).Inc()
}

// Call resolves the series of one script registration — kind "before",
// "after" or "rpc", point the operation ("KickGroupUsers") or RPC id,
// language "javascript" or "lua" — and returns the function that records one
// call: its duration and the error it ended with (a code 4 error is a
// timeout).
func (m *Metrics) Call(kind, point, language string) func(time.Duration, error) {
	ok := m.calls.WithLabelValues(kind, point, language, OutcomeOK)
	failed := m.calls.WithLabelValues(kind, point, language, OutcomeError)
	timeout := m.calls.WithLabelValues(kind, point, language, OutcomeTimeout)
	return func(d time.Duration, err error) {
		switch {
		case err == nil:
			ok.Observe(d.Seconds())
		case isTimeout(err):
			timeout.Observe(d.Seconds())
		default:
			failed.Observe(d.Seconds())
		}
	}
}

func isTimeout(err error) bool {
	e, ok := errs.AsError(err)
	return ok && e.Code == errs.CodeDeadlineExceeded
}

// Pool reports a language's VM pool — its size, and inUse (read at scrape
// time) — and returns the function that records how long a call waited for
// a VM. Reporting a language again replaces its pool.
func (m *Metrics) Pool(language string, size int, inUse func() int) func(time.Duration) {
	m.pools.set(language, pool{size: size, inUse: inUse})
	wait := m.poolWait.WithLabelValues(language)
	return func(d time.Duration) { wait.Observe(d.Seconds()) }
}

type pool struct {
	size  int
	inUse func() int
}

// poolCollector reads the pools' gauges when scraped.
type poolCollector struct {
	mu    sync.Mutex
	pools map[string]pool
}

var (
	poolSizeDesc = prometheus.NewDesc(Namespace+"_vm_pool_size", "Script VMs a language's pool may hold.",
		[]string{"language"}, nil)
	poolInUseDesc = prometheus.NewDesc(Namespace+"_vm_pool_in_use", "Script VMs of a language's pool running a call.",
		[]string{"language"}, nil)
)

func (p *poolCollector) set(language string, v pool) {
	p.mu.Lock()
	p.pools[language] = v
	p.mu.Unlock()
}

func (p *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolSizeDesc
	ch <- poolInUseDesc
}

func (p *poolCollector) Collect(ch chan<- prometheus.Metric) {
	p.mu.Lock()
	langs := make([]string, 0, len(p.pools))
	for l := range p.pools {
		langs = append(langs, l)
	}
	pools := make([]pool, len(langs))
	sort.Strings(langs)
	for i, l := range langs {
		pools[i] = p.pools[l]
	}
	p.mu.Unlock()
	for i, l := range langs {
		ch <- prometheus.MustNewConstMetric(poolSizeDesc, prometheus.GaugeValue, float64(pools[i].size), l)
		ch <- prometheus.MustNewConstMetric(poolInUseDesc, prometheus.GaugeValue, float64(pools[i].inUse()), l)
	}
}
