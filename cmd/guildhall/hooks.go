package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"syscall"

	"github.com/guildhall/guildhall/hooktest"
)

// errTestsFailed ends `guildhall hooks test` with status 1 after the
// summary, without another message.
var errTestsFailed = errors.New("tests failed")

const hooksUsage = `usage: guildhall hooks test [-run REGEX] [-v] [-timeout D] [serve flags] [PATH]
       guildhall hooks list [serve flags]`

// hooks runs `guildhall hooks test|list`.
func hooks(args []string) error {
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

func hooksList(args []string) error { return errors.New("not yet") }
