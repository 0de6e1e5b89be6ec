package api

import (
	"io"
	"log/slog"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/guildhall/guildhall/metrics"
)

// BenchmarkObserve measures what the observing middleware adds to a request
// (GET /healthcheck, the cheapest route, so the share is the largest it can
// be): off, metrics only, metrics and the access log (JSON to io.Discard),
// and the access log filtered out by level (as with --log.level warn).
//
//	go test -run '^$' -bench Observe -benchmem ./api/
func BenchmarkObserve(b *testing.B) {
	for _, bc := range []struct {
		name    string
		metrics bool
		access  bool
		level   slog.Level
	}{
		{"off", false, false, slog.LevelInfo},
		{"metrics", true, false, slog.LevelInfo},
		{"metrics+access", true, true, slog.LevelInfo},
		{"metrics+access_filtered", true, true, slog.LevelWarn},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := Config{ServerKey: "sk", HTTPKey: "hk", AccessLog: bc.access,
				Logger: slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: bc.level}))}
			if bc.metrics {
				cfg.Metrics = metrics.New()
			}
			h := New(cfg, nil, nil, nil).Handler()
			var ctx fasthttp.RequestCtx
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				ctx.Request.Reset()
				ctx.Response.Reset()
				ctx.Request.Header.SetMethod("GET")
				ctx.Request.SetRequestURI("/healthcheck")
				h(&ctx)
				if ctx.Response.StatusCode() != 200 {
					b.Fatal(ctx.Response.StatusCode())
				}
			}
		})
	}
}
