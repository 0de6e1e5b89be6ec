// Command guildhall runs the Guildhall groups server.
//
//	guildhall [serve] [flags]          run the server (default)
//	guildhall migrate up|down|status   manage the database schema
//	guildhall hooks test [PATH]        run module tests (*.test.js, *_test.lua)
//	guildhall hooks list               print the hooks and RPCs the modules register
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

	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/server"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) && !errors.Is(err, errTestsFailed) {
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
	if len(args) > 0 && args[0] == "hooks" {
		return hooksCommand(args[1:])
	}
	opts, err := parseConfig("guildhall serve", args)
	if err != nil {
		return err
	}
	log := newLogger(opts)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, opts.Config, log)
	if err != nil {
		return explainConfig(err)
	}
	reloadOnHangup(ctx, srv, log)
	return srv.Run(ctx)
}

func newLogger(o *options) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	h := slog.Handler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if o.LogFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})
	}
	log := slog.New(h)
	slog.SetDefault(log)
	return log
}

func migrate(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: guildhall migrate up|down|status [flags]")
	}
	action := args[0]
	opts, err := parseConfig("guildhall migrate "+action, args[1:])
	if err != nil {
		return err
	}
	log := newLogger(opts)
	db, err := store.Open(store.Options{URL: opts.DatabaseURL, DataDir: opts.DataDir, MaxConns: opts.DatabaseMaxConns})
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

// reloadOnHangup reloads the modules on every SIGHUP until ctx ends (a
// module that fails to load is logged; the live modules stay).
func reloadOnHangup(ctx context.Context, srv *server.Server, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				log.Info("SIGHUP: reloading the modules")
				_ = srv.Reload(ctx)
			}
		}
	}()
}
