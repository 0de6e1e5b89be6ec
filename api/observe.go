package api

import (
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/metrics"
)

// observer measures and logs each answered request: the request series of
// its route pattern (never its raw path) and the access-log line.
type observer struct {
	log       *slog.Logger
	accessLog bool
	metrics   *metrics.Metrics
	// routes holds each route's pattern and series, keyed by the
	// *fiber.Route the router hands the request (stable once the app is
	// built), so a request finds them with one pointer-keyed map read.
	// Written once by resolveRoutes before the app serves; read-only after.
	routes    map[*fiber.Route]observedRoute
	table     []tableRoute              // the same routes, to match a path against
	unmatched map[string]*metrics.Route // series of unmatched requests by method
}

// tableRoute is a route as matchRoute compares it with a path.
type tableRoute struct {
	method string
	segs   []string // lower-cased; ":name" matches any non-empty segment
	route  observedRoute
}

type observedRoute struct {
	pattern string
	series  *metrics.Route // nil without metrics
}

// resolveRoutes resolves every route once. Middleware (app.Use) entries are
// told apart from routes by method and path, so a middleware's prefix must not
// be a route's path (it panics then: the request series would be wrong).
func (o *observer) resolveRoutes(app *fiber.App) {
	real := map[[2]string]int{}
	for _, r := range app.GetRoutes(true) { // true: without middleware
		real[[2]string{r.Method, r.Path}]++
	}
	o.routes = map[*fiber.Route]observedRoute{}
	for _, stack := range app.Stack() {
		for _, r := range stack {
			k := [2]string{r.Method, r.Path}
			if real[k] == 0 {
				continue
			}
			if real[k]--; real[k] < 0 {
				panic("api: middleware prefix " + r.Path + " is also a route's path")
			}
			or := observedRoute{pattern: r.Path}
			if o.metrics != nil {
				or.series = o.metrics.Route(r.Method, r.Path)
			}
			o.routes[r] = or
			o.table = append(o.table, tableRoute{method: r.Method,
				segs: strings.Split(strings.ToLower(strings.Trim(r.Path, "/")), "/"), route: or})
		}
	}
	if o.metrics != nil {
		o.unmatched = map[string]*metrics.Route{}
		for _, m := range app.Config().RequestMethods {
			o.unmatched[m] = o.metrics.Route(m, metrics.Unmatched)
		}
	}
}

// observe is the outermost middleware. It writes a failed request's error
// answer itself (Fiber would only after the last middleware returned), so the
// status it records is the one the client gets.
func (o *observer) observe(c *fiber.Ctx) error {
	start := time.Now()
	if err := c.Next(); err != nil {
		if err := c.App().ErrorHandler(c, err); err != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	d := time.Since(start)
	status := c.Response().StatusCode()
	route, matched := o.routes[c.Route()]
	if !matched && status != fiber.StatusNotFound {
		// Answered by a middleware before routing (401 without a session,
		// 429 over a rate limit): label it with the route it was meant for.
		route, matched = o.matchRoute(c.Method(), c.Path())
	}
	if o.metrics != nil {
		series := route.series
		if !matched {
			if series = o.unmatched[c.Method()]; series == nil {
				series = o.unmatched[fiber.MethodGet] // a method Fiber does not route never gets here
			}
		}
		series.Observe(status, d)
	}
	if o.accessLog {
		if !matched {
			route.pattern = metrics.Unmatched
		}
		o.logAccess(c, route.pattern, status, d)
	}
	return nil
}

// logAccess writes the request's access-log line (info): method, route
// pattern, path, status, duration and the session's user id. The request id
// comes with the request's context (LogHandler).
func (o *observer) logAccess(c *fiber.Ctx, pattern string, status int, d time.Duration) {
	ctx := c.UserContext()
	if !o.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	attrs := make([]slog.Attr, 0, 6)
	attrs = append(attrs,
		slog.String("method", c.Method()),
		slog.String("route", pattern),
		slog.String("path", c.Path()),
		slog.Int("status", status),
		slog.Float64("duration_ms", math.Round(float64(d.Microseconds()))/1000),
	)
	if claims, ok := c.Locals(claimsKey).(accounts.Claims); ok && claims.UserID != "" {
		attrs = append(attrs, slog.String("user_id", claims.UserID))
	}
	o.log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
}

// matchRoute finds the route a path is for, as the router would (case does
// not matter, a trailing slash neither; a literal segment beats a parameter).
// It only runs for requests a middleware answered, so a linear scan does.
func (o *observer) matchRoute(method, path string) (observedRoute, bool) {
	segs := strings.Split(strings.ToLower(strings.Trim(path, "/")), "/")
	best, bestScore := observedRoute{}, -1
	for _, r := range o.table {
		if r.method != method || len(r.segs) != len(segs) {
			continue
		}
		score := 0
		for i, p := range r.segs {
			switch {
			case strings.HasPrefix(p, ":") && segs[i] != "":
			case p == segs[i]:
				score++
			default:
				score = -1
			}
			if score < 0 {
				break
			}
		}
		if score > bestScore {
			best, bestScore = r.route, score
		}
	}
	return best, bestScore >= 0
}
