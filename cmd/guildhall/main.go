// Command guildhall runs the Guildhall groups server.
//
//	guildhall [serve] [flags]          run the server (default)
//	guildhall migrate up|down|status   manage the database schema
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/api"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/hooks"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "guildhall:", err)
		}
		os.Exit(1)
	}
}

func run(args []string) error {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "serve" || args[0] == "migrate") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "migrate" {
		return migrate(args)
	}
	cfg, _, err := parseConfig("guildhall serve", args)
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, cfg, log)
}

func newLogger(cfg *config) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	log := slog.New(h)
	slog.SetDefault(log)
	return log
}

func openDB(cfg *config) (*store.DB, error) {
	return store.Open(store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxConns: cfg.DatabaseMaxConns})
}

// serve runs the server until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, cfg *config, log *slog.Logger) error {
	for _, name := range cfg.defaultSecrets() {
		log.Warn("SECURITY: "+name+" is the published default; set it before exposing this server",
			"flag", "--"+name, "env", envName(name))
	}
	db, err := openDB(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.Migrate {
		if err := db.Migrate(ctx); err != nil {
			return err
		}
	}
	acc := accounts.New(db.Write, accounts.Config{
		EncryptionKey: cfg.SessionKey, RefreshEncryptionKey: cfg.SessionRefreshKey,
		TokenExpiry: cfg.SessionExpiry, RefreshTokenExpiry: cfg.SessionRefreshExpiry,
	}, accounts.WithReadDB(db.Read))
	svc := groups.NewService(store.NewGroups(db))
	reg := hooks.New(log)
	app := api.New(api.Config{
		ServerKey: cfg.ServerKey, HTTPKey: cfg.HTTPKey, RequestTimeout: cfg.RequestTimeout, Logger: log,
	}, svc, acc, reg)

	errc := make(chan error, 1)
	go func() { errc <- app.Listen(cfg.Listen) }()
	log.Info("guildhall listening", "addr", cfg.Listen, "database", db.Dialect, "runtime_path", cfg.RuntimePath)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	if err := app.ShutdownWithTimeout(10 * time.Second); err != nil {
		return err
	}
	return nil
}

func migrate(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: guildhall migrate up|down|status [flags]")
	}
	action := args[0]
	cfg, _, err := parseConfig("guildhall migrate "+action, args[1:])
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	db, err := openDB(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	switch action {
	case "up":
		err = db.Migrate(ctx)
	case "down":
		err = db.MigrateDown(ctx)
	case "status":
		err = db.MigrationStatus(ctx, log)
	default:
		return fmt.Errorf("unknown migrate action %q: use up, down or status", action)
	}
	if err == nil && action != "status" {
		log.Info("migrate " + action + " done")
	}
	return err
}
