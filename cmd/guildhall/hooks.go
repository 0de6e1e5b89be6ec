package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/guildhall/guildhall/hooktest"
	"github.com/guildhall/guildhall/server"
)

// errTestsFailed ends `guildhall hooks test` with status 1 after the
// summary, without another message.
var errTestsFailed = errors.New("tests failed")

const hooksUsage = `usage: guildhall hooks test [-run REGEX] [-v] [-timeout D] [serve flags] [PATH]
       guildhall hooks list [-json] [-url http://node:7350] [serve flags]`

// hooksCommand runs `guildhall hooks test|list`.
func hooksCommand(args []string) error {
	if len(args) == 0 {
		return errors.New(hooksUsage)
	}
	switch args[0] {
	case "test":
		return hooksTest(args[1:])
	case "list":
		return hooksList(args[1:])
	}
	return fmt.Errorf("unknown hooks command %q\n%s", args[0], hooksUsage)
}

// hooksTest runs the module tests under PATH (default --runtime.path).
func hooksTest(args []string) error {
	o, fs, err := newFlagSet("guildhall hooks test")
	if err != nil {
		return err
	}
	run := fs.String("run", "", "run only the tests whose name matches this regular expression")
	verbose := fs.Bool("v", false, "print every test's log, not only failing ones'")
	timeout := fs.Duration("timeout", hooktest.DefaultTimeout, "deadline of one test function")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Config.RuntimeEnv, err = parseEnv(o.Env); err != nil {
		return err
	}
	opts := hooktest.Options{Path: o.RuntimePath, Verbose: *verbose, Timeout: *timeout, Config: o.Config, Out: os.Stdout}
	if fs.NArg() > 1 {
		return errors.New(hooksUsage)
	}
	if fs.NArg() == 1 {
		opts.Path = fs.Arg(0)
	}
	// The tests run against --runtime.path when it is set, else against the
	// PATH given (a runtime path with its tests).
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "runtime.path" })
	if _, ok := os.LookupEnv(envName("runtime.path")); explicit || ok || fs.NArg() == 0 {
		opts.RuntimePath = o.RuntimePath
	}
	if *run != "" {
		if opts.Run, err = regexp.Compile(*run); err != nil {
			return fmt.Errorf("-run: %v", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sum, err := hooktest.Run(ctx, opts)
	if err != nil {
		return err
	}
	if sum.Failed > 0 {
		return errTestsFailed
	}
	return nil
}

// hooksList prints the hooks and RPCs the modules of --runtime.path
// register (loaded on a temporary SQLite database, as serve loads them), or
// with --url those a running node has live (GET /v2/server/runtime).
func hooksList(args []string) error {
	o, fs, err := newFlagSet("guildhall hooks list")
	if err != nil {
		return err
	}
	node := fs.String("url", "", "ask a running node (http://host:port, with --http.key) instead of loading --runtime.path")
	asJSON := fs.Bool("json", false, "print GET /v2/server/runtime's JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New(hooksUsage)
	}
	if o.Config.RuntimeEnv, err = parseEnv(o.Env); err != nil {
		return err
	}
	var info server.RuntimeInfo
	if *node != "" {
		info, err = remoteRuntime(*node, o.HTTPKey)
	} else {
		info, err = localRuntime(o)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	fmt.Printf("generation %d, runtime path %s\n", info.Generation, info.RuntimePath)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tLANGUAGE\tFILE\tFUNCTION")
	for _, r := range info.Registrations {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Kind, r.Name, r.Language, r.File, r.Function)
	}
	return tw.Flush()
}

// localRuntime loads the modules as serve would, on a throwaway database.
func localRuntime(o *options) (server.RuntimeInfo, error) {
	dir, err := os.MkdirTemp("", "guildhall-hooks-list-")
	if err != nil {
		return server.RuntimeInfo{}, err
	}
	defer os.RemoveAll(dir)
	cfg := o.Config
	cfg.DatabaseURL, cfg.DataDir, cfg.Migrate = "", dir, true
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return server.RuntimeInfo{}, explainConfig(err)
	}
	defer srv.DB.Close()
	unload, err := srv.LoadScripts(ctx)
	if err != nil {
		return server.RuntimeInfo{}, err
	}
	defer unload()
	return srv.Runtime(), nil
}

// remoteRuntime asks a running node.
func remoteRuntime(base, httpKey string) (server.RuntimeInfo, error) {
	var info server.RuntimeInfo
	req, err := http.NewRequest("GET", strings.TrimSuffix(base, "/")+"/v2/server/runtime", nil)
	if err != nil {
		return info, err
	}
	req.SetBasicAuth(httpKey, "")
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		return info, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return info, err
	}
	if res.StatusCode != http.StatusOK {
		return info, fmt.Errorf("GET /v2/server/runtime: %s: %s", res.Status, body)
	}
	return info, json.Unmarshal(body, &info)
}
