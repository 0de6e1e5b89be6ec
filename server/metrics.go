package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/metrics"
)

// MetricsPath is where the metrics listener serves Prometheus' text.
const MetricsPath = "/metrics"

// watchDB reports the database pools: "write" always, "read" when it is a
// pool of its own (SQLite's read-only connections), "replica" with a read
// replica.
func watchDB(m *metrics.Metrics, db *store.DB) error {
	w, err := db.Write.DB()
	if err != nil {
		return err
	}
	m.WatchDB("write", w)
	if db.Replica != nil {
		m.WatchDB("replica", db.Replica)
	}
	if db.Read != db.Write {
		r, err := db.Read.DB()
		if err != nil {
			return err
		}
		if r != w {
			m.WatchDB("read", r)
		}
	}
	return nil
}

// serveMetrics listens on addr (a failure is Run's error: an operator who
// asked for metrics wants to know) and serves /metrics there, apart from the
// API port, until stop is called.
func serveMetrics(addr string, m *metrics.Metrics, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+MetricsPath, m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener", "error", err)
		}
	}()
	log.Info("metrics listening", "addr", ln.Addr().String(), "path", MetricsPath)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
