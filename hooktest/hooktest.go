// Package hooktest runs module tests: *.test.js and *_test.lua files that
// drive a real, in-process Guildhall (server.New on a temporary embedded
// SQLite database, the modules loaded as serve loads them) through its HTTP
// handlers, so every hook and RPC runs as it would for a client. It is the
// engine of `guildhall hooks test`.
//
// A test file registers tests with test(name, fn); each fn gets a t object:
// t.user(name) (a client acting as that user), t.server (the server-to-server
// API with the http key), and assertions (equal, ok, fail, refused) that
// report the file:line of the failing assertion. Each test gets a fresh
// database and freshly loaded modules.
package hooktest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/guildhall/guildhall/runtime"
	"github.com/guildhall/guildhall/server"
)

// Options configure a run.
type Options struct {
	// Path is a directory searched (recursively, node_modules and hidden
	// directories skipped) for test files, or one test file.
	Path string
	// RuntimePath is the runtime path the tests run against, loaded as serve
	// loads it, unless a test file names its own modules (modules(…)).
	// Empty: Path when it is a directory, else the test file's directory.
	RuntimePath string
	// Run, when set, selects the tests whose name it matches.
	Run *regexp.Regexp
	// Verbose prints every test's log and a line as each test starts.
	Verbose bool
	// Timeout bounds one test function; 0 is DefaultTimeout.
	Timeout time.Duration
	// Config is the server configuration the test servers start from (the
	// runtime settings, keys); its database settings are replaced by a
	// temporary SQLite database per test file.
	Config server.Config
	Out    io.Writer
}

// DefaultTimeout bounds one test function.
const DefaultTimeout = 30 * time.Second

// Summary counts the tests run.
type Summary struct {
	Passed, Failed int
}

// test is one registered test of a file.
type test struct {
	name string
	fn   any // the engine's function value
}

// result is one test's outcome.
type result struct {
	failures []string // "file:line: message"
	logs     []string
}

func (r *result) failf(where, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if where != "" {
		msg = where + ": " + msg
	}
	r.failures = append(r.failures, msg)
}

// errStop ends a test after a failure that makes going on pointless (a
// refusal that did not happen: the test would use the missing error).
var errStop = errors.New("test stopped")

// engine is one language's test file runner.
type engine interface {
	// load runs the test file's top level, collecting its tests and the
	// modules it names (relative to the file; none: its directory).
	load(ctx context.Context) (tests []test, modules []string, err error)
	// run calls one test function with a fresh t.
	run(ctx context.Context, tc test, env *env, res *result)
	close()
}

// Find lists the test files under path (or path itself if it is one), sorted.
func Find(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		if !runtime.IsTestFile(filepath.Base(path)) {
			return nil, fmt.Errorf("%s is not a test file (name.test.js or name_test.lua)", path)
		}
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if runtime.IsTestFile(d.Name()) {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

// Run runs every test file under o.Path and reports like go test: one line
// per test, failures with the script's file:line, a summary line. The error
// is for a run that could not happen (no such path); failed tests are
// counted in the Summary.
func Run(ctx context.Context, o Options) (Summary, error) {
	var sum Summary
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	files, err := Find(o.Path)
	if err != nil {
		return sum, err
	}
	if st, err := os.Stat(o.Path); o.RuntimePath == "" && err == nil && st.IsDir() {
		o.RuntimePath = o.Path
	}
	if len(files) == 0 {
		fmt.Fprintf(o.Out, "no test files (*.test.js, *_test.lua) in %s\n", o.Path)
	}
	for _, f := range files {
		p, fl := runFile(ctx, o, f)
		sum.Passed += p
		sum.Failed += fl
	}
	fmt.Fprintf(o.Out, "%d passed, %d failed\n", sum.Passed, sum.Failed)
	return sum, nil
}

// runFile runs one test file's tests on a server of its own.
func runFile(ctx context.Context, o Options, file string) (passed, failed int) {
	start := time.Now()
	code, err := os.ReadFile(file)
	var eng engine
	if err == nil {
		if strings.HasSuffix(file, ".js") {
			eng = newJSEngine(file, string(code))
		} else {
			eng = newLuaEngine(file, string(code))
		}
		defer eng.close()
	}
	var tests []test
	var modules []string
	if err == nil {
		tests, modules, err = eng.load(ctx)
	}
	if err != nil {
		fmt.Fprintf(o.Out, "--- FAIL: %s\n    %v\nFAIL\t%s\t%.2fs\n", file, err, file, time.Since(start).Seconds())
		return 0, 1
	}
	var selected []test
	for _, tc := range tests {
		if o.Run == nil || o.Run.MatchString(tc.name) {
			selected = append(selected, tc)
		}
	}
	if len(selected) == 0 {
		return 0, 0
	}
	logs := &logBuffer{}
	for _, tc := range selected {
		if o.Verbose {
			fmt.Fprintf(o.Out, "=== RUN   %s\n", tc.name)
		}
		res := &result{}
		t0 := time.Now()
		// Each test gets a fresh database and freshly loaded modules.
		e, err := startEnv(ctx, o, file, modules, logs)
		if err != nil {
			res.failures = append(res.failures, err.Error())
		} else {
			tctx, cancel := context.WithTimeout(ctx, o.Timeout)
			eng.run(tctx, tc, e, res)
			cancel()
			e.close()
		}
		d := time.Since(t0)
		res.logs = append(logs.take(), res.logs...)
		status := "PASS"
		if len(res.failures) > 0 {
			status = "FAIL"
			failed++
		} else {
			passed++
		}
		fmt.Fprintf(o.Out, "--- %s: %s (%.2fs)\n", status, tc.name, d.Seconds())
		for _, f := range res.failures {
			fmt.Fprintf(o.Out, "    %s\n", f)
		}
		if o.Verbose || len(res.failures) > 0 {
			for _, l := range res.logs {
				fmt.Fprintf(o.Out, "        %s\n", l)
			}
		}
	}
	verdict := "ok  "
	if failed > 0 {
		verdict = "FAIL"
	}
	fmt.Fprintf(o.Out, "%s\t%s\t%.2fs\n", verdict, file, time.Since(start).Seconds())
	return passed, failed
}

// logBuffer collects the server's log lines (the modules' logger calls among
// them) so they print under the test that caused them.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
	part  strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.part.Write(p)
	s := b.part.String()
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			break
		}
		b.lines = append(b.lines, s[:i])
		s = s[i+1:]
	}
	b.part.Reset()
	b.part.WriteString(s)
	return len(p), nil
}

func (b *logBuffer) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.lines
	b.lines = nil
	return out
}

// newLog is the test server's logger: info and above (debug with -v) into
// the buffer, without timestamps.
func newLog(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
}
