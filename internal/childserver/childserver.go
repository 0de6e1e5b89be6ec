// Package childserver runs the real guildhall binary as a child process for
// tests that must prove the process survives (crash reproductions, resource
// limits) or that need a whole server: build once per test binary, start with
// an environment, wait for /healthcheck, assert it is still alive, stop.
package childserver

import (
	"context"
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

	"github.com/guildhall/guildhall/internal/syncbuf"
)

const (
	modulePath    = "github.com/guildhall/guildhall"
	buildTimeout  = 5 * time.Minute
	healthTimeout = 60 * time.Second
	stopTimeout   = 10 * time.Second
	logTail       = 16 << 10
)

var build struct {
	once sync.Once
	bin  string
	err  error
	out  []byte
}

// Binary builds ./cmd/guildhall once per test process and returns its path.
// The binary lives in a temporary directory that outlives the test (one per
// test binary run; the OS temp cleaner removes it).
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			build.err = err
			return
		}
		dir, err := os.MkdirTemp("", "guildhall-bin-")
		if err != nil {
			build.err = err
			return
		}
		build.bin = filepath.Join(dir, "guildhall")
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", build.bin, "./cmd/guildhall")
		cmd.Dir = root
		build.out, build.err = cmd.CombinedOutput()
	})
	if build.err != nil {
		t.Fatalf("go build ./cmd/guildhall: %v\n%s", build.err, build.out)
	}
	return build.bin
}

// ModuleRoot walks up from the working directory to the guildhall go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(data), "module "+modulePath+"\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

// Options describe one child server.
type Options struct {
	// Env holds GUILDHALL_* settings. GUILDHALL_LISTEN and
	// GUILDHALL_METRICS_LISTEN are chosen when unset (free loopback ports);
	// GUILDHALL_DATA_DIR and GUILDHALL_RUNTIME_PATH default to fresh temporary
	// directories; without GUILDHALL_DATABASE_URL the server uses SQLite. The
	// rate limits are off unless GUILDHALL_RATELIMIT_AUTH_RATE or
	// GUILDHALL_RATELIMIT_GROUP_RATE is set.
	Env map[string]string
	// Args are extra command-line arguments.
	Args []string
	// Prefix runs the binary through another command (e.g. "prlimit",
	// "--nofile=64:64").
	Prefix []string
	// NoWait returns without waiting for /healthcheck (for servers expected
	// to refuse to start).
	NoWait bool
}

// Server is a running guildhall process.
type Server struct {
	Addr string // host:port it listens on
	URL  string // "http://" + Addr
	// MetricsURL is the Prometheus endpoint ("http://…/metrics"); empty when
	// GUILDHALL_METRICS_LISTEN was set empty.
	MetricsURL string
	cmd        *exec.Cmd
	out        *syncbuf.Buffer
	exited     chan struct{}
	err        error
}

// Start builds (once) and starts the server, waits until /healthcheck answers
// 200 (unless NoWait), and kills it when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	bin := Binary(t)
	env := map[string]string{}
	for k, v := range o.Env {
		env[k] = v
	}
	if _, ok := env["GUILDHALL_LISTEN"]; !ok {
		env["GUILDHALL_LISTEN"] = "127.0.0.1:" + strconv.Itoa(FreePort(t))
	}
	if _, ok := env["GUILDHALL_METRICS_LISTEN"]; !ok {
		env["GUILDHALL_METRICS_LISTEN"] = "127.0.0.1:" + strconv.Itoa(FreePort(t))
	}
	for _, k := range []string{"GUILDHALL_RATELIMIT_AUTH_RATE", "GUILDHALL_RATELIMIT_GROUP_RATE"} {
		if _, ok := env[k]; !ok {
			env[k] = "0"
		}
	}
	if _, ok := env["GUILDHALL_DATA_DIR"]; !ok {
		env["GUILDHALL_DATA_DIR"] = t.TempDir()
	}
	if _, ok := env["GUILDHALL_RUNTIME_PATH"]; !ok {
		env["GUILDHALL_RUNTIME_PATH"] = t.TempDir()
	}
	if _, ok := env["GUILDHALL_DATABASE_URL"]; !ok {
		env["GUILDHALL_DATABASE_URL"] = ""
	}
	argv := append(append(append([]string{}, o.Prefix...), bin), o.Args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = t.TempDir()
	// Exactly our GUILDHALL_* settings: inherited ones (and a DATABASE_URL the
	// server might fall back to) are dropped.
	cmd.Env = WithoutEnv(os.Environ(), "GUILDHALL_", "DATABASE_URL")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s := &Server{Addr: env["GUILDHALL_LISTEN"], cmd: cmd, out: &syncbuf.Buffer{}, exited: make(chan struct{})}
	s.URL = "http://" + s.Addr
	if a := env["GUILDHALL_METRICS_LISTEN"]; a != "" {
		s.MetricsURL = "http://" + a + "/metrics"
	}
	cmd.Stdout = s.out
	cmd.Stderr = s.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", argv[0], err)
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
	if !o.NoWait {
		s.WaitHealthy(t)
	}
	return s
}

// Pid is the child's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Output is everything the process wrote so far.
func (s *Server) Output() string { return s.out.String() }

// Exited reports whether the process has ended, and Wait's error if so.
func (s *Server) Exited() (bool, error) {
	select {
	case <-s.exited:
		return true, s.err
	default:
		return false, nil
	}
}

// WaitExit waits up to d for the process to end; false if it still runs.
func (s *Server) WaitExit(d time.Duration) (bool, error) {
	select {
	case <-s.exited:
		return true, s.err
	case <-time.After(d):
		return false, nil
	}
}

// WaitHealthy polls GET /healthcheck until it answers 200.
func (s *Server) WaitHealthy(t testing.TB) {
	t.Helper()
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(healthTimeout)
	var last string
	for time.Now().Before(deadline) {
		if done, err := s.Exited(); done {
			t.Fatalf("the server exited before answering /healthcheck (%v); its output:\n%s", err, Tail(s.Output(), logTail))
		}
		resp, err := hc.Get(s.URL + "/healthcheck")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("GET %s/healthcheck did not answer 200 within %v (last: %s); output:\n%s", s.URL, healthTimeout, last, Tail(s.Output(), logTail))
}

// RequireAlive fails the test unless the process still runs and answers
// /healthcheck with 200: the check every crash reproduction ends with.
func (s *Server) RequireAlive(t testing.TB) {
	t.Helper()
	if done, err := s.Exited(); done {
		t.Fatalf("the server died (%v); its output:\n%s", err, Tail(s.Output(), logTail))
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get(s.URL + "/healthcheck")
	if err != nil {
		t.Fatalf("the server no longer answers /healthcheck: %v; its output:\n%s", err, Tail(s.Output(), logTail))
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthcheck answered %s; output:\n%s", resp.Status, Tail(s.Output(), logTail))
	}
}

// Stop sends SIGTERM and requires a clean exit within 10 s.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if done, err := s.Exited(); done {
		t.Fatalf("the server exited on its own (%v); its output:\n%s", err, Tail(s.Output(), logTail))
	}
	if err := terminate(s.cmd.Process); err != nil {
		t.Fatalf("sending SIGTERM: %v", err)
	}
	select {
	case <-s.exited:
		if s.err != nil {
			t.Errorf("the server did not exit cleanly on SIGTERM: %v; its output:\n%s", s.err, Tail(s.Output(), logTail))
		}
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		t.Errorf("the server did not exit within %v of SIGTERM; its output:\n%s", stopTimeout, Tail(s.Output(), logTail))
	}
}

// FreePort asks the kernel for a free TCP port on the loopback address.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WithoutEnv returns env without the variables whose names start with any of
// the prefixes.
func WithoutEnv(env []string, prefixes ...string) []string {
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

// Tail returns the last n bytes of s, starting at a line boundary.
func Tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return "…\n" + s
}
