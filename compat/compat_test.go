// Package compat holds the client compatibility suite: it builds the real
// Guildhall server, starts it on PostgreSQL and on SQLite, and drives it with the
// official @heroiclabs/nakama-js client from npm (compat/nakamajs/flow.test.mjs).
//
// Requirements: node (>= 20) and npm on PATH, DATABASE_URL for PostgreSQL (make
// test provides it through scripts/with-postgres.sh). Nothing is skipped: a
// missing tool is a failure with a message saying what to install.
package compat

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/internal/testdb"
)

const (
	modulePath     = "github.com/guildhall/guildhall"
	healthTimeout  = 60 * time.Second
	nodeTimeout    = 3 * time.Minute
	stopTimeout    = 10 * time.Second
	npmTimeout     = 5 * time.Minute
	logTail        = 16 << 10
	buildTimeout   = 5 * time.Minute
	nakamaJSModule = "@heroiclabs/nakama-js"
)

func TestNakamaJS(t *testing.T) {
	node := requireTool(t, "node", "install Node.js 20 or later (Debian: apt-get install nodejs npm)")
	npm := requireTool(t, "npm", "install npm (Debian: apt-get install npm)")
	checkNodeVersion(t, node)

	root := moduleRoot(t)
	jsDir := filepath.Join(root, "compat", "nakamajs")
	ensureNodeModules(t, npm, jsDir)
	bin := buildServer(t, root)

	t.Run("postgres", func(t *testing.T) {
		url := testdb.Postgres(t)
		runFlow(t, bin, node, jsDir, map[string]string{
			"GUILDHALL_DATABASE_URL": url,
		})
	})
	t.Run("sqlite", func(t *testing.T) {
		runFlow(t, bin, node, jsDir, map[string]string{
			"GUILDHALL_DATABASE_URL": "",
			"GUILDHALL_DATA_DIR":     t.TempDir(),
		})
	})
}

// runFlow starts the server with the given extra environment, runs the node
// suite against it and stops it with SIGTERM.
func runFlow(t *testing.T, bin, node, jsDir string, env map[string]string) {
	t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	env["GUILDHALL_LISTEN"] = addr
	env["GUILDHALL_RUNTIME_PATH"] = t.TempDir()

	srv := startServer(t, bin, env)
	srv.waitHealthy(t, addr)

	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), nodeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "flow.test.mjs")
	cmd.Dir = jsDir
	cmd.Env = append(withoutEnv(os.Environ(), "GUILDHALL_", "NODE_OPTIONS"),
		"GUILDHALL_HOST="+host,
		"GUILDHALL_PORT="+port,
		"NO_COLOR=1",
	)
	setProcessGroup(cmd)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		t.Errorf("node --test flow.test.mjs did not finish within %v; its output:\n%s", nodeTimeout, out.String())
	case err != nil:
		t.Errorf("node --test flow.test.mjs failed (%v) after %v; its output:\n%s\nserver output (last %d bytes):\n%s",
			err, time.Since(start).Round(time.Millisecond), out.String(), logTail, tail(srv.output(), logTail))
	default:
		t.Logf("nakama-js flow passed in %v against %s", time.Since(start).Round(time.Millisecond), addr)
		if testing.Verbose() {
			t.Logf("node output:\n%s", out.String())
		}
	}

	srv.stop(t)
}

// server is a running guildhall process.
type server struct {
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{} // closed when the process has exited
	err    error         // Wait's result, valid after exited is closed
}

func startServer(t *testing.T, bin string, env map[string]string) *server {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir()
	// The server gets exactly our GUILDHALL_* settings: inherited ones (and a
	// DATABASE_URL it might fall back to) are dropped.
	cmd.Env = withoutEnv(os.Environ(), "GUILDHALL_", "DATABASE_URL")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s := &server{cmd: cmd, out: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout = s.out
	cmd.Stderr = s.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = cmd.Process.Kill()
			<-s.exited
		}
	})
	return s
}

func (s *server) output() string { return s.out.String() }

// waitHealthy polls GET /healthcheck until it answers 200.
func (s *server) waitHealthy(t *testing.T, addr string) {
	t.Helper()
	url := "http://" + addr + "/healthcheck"
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(healthTimeout)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			t.Fatalf("the server exited before answering %s (%v); its output:\n%s", url, s.err, s.output())
		default:
		}
		resp, err := hc.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s did not answer 200 within %v (last: %s); server output:\n%s", url, healthTimeout, last, s.output())
}

// stop sends SIGTERM and requires a clean exit within stopTimeout.
func (s *server) stop(t *testing.T) {
	t.Helper()
	select {
	case <-s.exited:
		t.Fatalf("the server exited on its own during the run (%v); its output:\n%s", s.err, s.output())
	default:
	}
	if err := terminate(s.cmd.Process); err != nil {
		t.Fatalf("sending SIGTERM to the server: %v", err)
	}
	select {
	case <-s.exited:
		if s.err != nil {
			t.Errorf("the server did not exit cleanly on SIGTERM: %v; its output:\n%s", s.err, s.output())
		}
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		t.Errorf("the server did not exit within %v of SIGTERM; its output:\n%s", stopTimeout, s.output())
	}
}

func requireTool(t *testing.T, name, hint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("the nakama-js compatibility suite needs %q on PATH and it is missing: %s", name, hint)
	}
	return p
}

func checkNodeVersion(t *testing.T, node string) {
	t.Helper()
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatalf("node --version: %v", err)
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	major, err := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	if err != nil || major < 20 {
		t.Fatalf("node %q is too old: the suite needs Node.js 20 or later", v)
	}
}

// moduleRoot walks up from the working directory (compat/ under go test) to the
// directory whose go.mod declares the guildhall module.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(data), "module "+modulePath) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod for module %s above the working directory", modulePath)
		}
		dir = parent
	}
}

// ensureNodeModules installs the pinned client when node_modules lacks it (or
// holds another version): npm ci from package-lock.json, or npm install when
// there is no lock. npm uses its cache first; install scripts are not run.
func ensureNodeModules(t *testing.T, npm, jsDir string) {
	t.Helper()
	want := pinnedVersion(t, jsDir)
	have := installedVersion(jsDir)
	if have == want {
		return
	}
	args := []string{"install"}
	if _, err := os.Stat(filepath.Join(jsDir, "package-lock.json")); err == nil {
		args = []string{"ci"}
	}
	args = append(args, "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund")
	ctx, cancel := context.WithTimeout(context.Background(), npmTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Dir = jsDir
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("npm %s in %s failed: %v\n%s", strings.Join(args, " "), jsDir, err, out)
	}
	if got := installedVersion(jsDir); got != want {
		t.Fatalf("after npm %s, node_modules has %s %q, want %q\n%s", args[0], nakamaJSModule, got, want, out)
	}
}

// pinnedVersion reads the exact version of the client that package.json pins.
func pinnedVersion(t *testing.T, jsDir string) string {
	t.Helper()
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	data, err := os.ReadFile(filepath.Join(jsDir, "package.json"))
	if err == nil {
		err = json.Unmarshal(data, &pkg)
	}
	if err != nil {
		t.Fatalf("reading %s: %v", filepath.Join(jsDir, "package.json"), err)
	}
	v := pkg.Dependencies[nakamaJSModule]
	if v == "" {
		t.Fatalf("package.json does not depend on %s", nakamaJSModule)
	}
	return v
}

func installedVersion(jsDir string) string {
	var pkg struct {
		Version string `json:"version"`
	}
	data, err := os.ReadFile(filepath.Join(jsDir, "node_modules", filepath.FromSlash(nakamaJSModule), "package.json"))
	if err != nil || json.Unmarshal(data, &pkg) != nil {
		return ""
	}
	return pkg.Version
}

// buildServer compiles ./cmd/guildhall into a temporary directory.
func buildServer(t *testing.T, root string) string {
	t.Helper()
	goTool := requireTool(t, "go", "the suite builds the server with the go command")
	bin := filepath.Join(t.TempDir(), "guildhall")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./cmd/guildhall")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build -o %s ./cmd/guildhall failed: %v\n%s", bin, err, out)
	}
	return bin
}

// freePort asks the kernel for a free TCP port on the loopback address.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// withoutEnv returns env without the variables whose names start with any of
// the prefixes.
func withoutEnv(env []string, prefixes ...string) []string {
	out := make([]string, 0, len(env))
next:
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		for _, p := range prefixes {
			if strings.HasPrefix(name, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// tail returns the last n bytes of s, starting at a line boundary.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return "…\n" + s
}

// lockedBuffer collects a process's output; safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
