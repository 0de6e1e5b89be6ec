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
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/internal/childserver"
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

	root, err := childserver.ModuleRoot()
	if err != nil {
		t.Fatalf("finding the module root: %v", err)
	}
	jsDir := filepath.Join(root, "compat", "nakamajs")
	ensureNodeModules(t, npm, jsDir)

	t.Run("postgres", func(t *testing.T) {
		url := testdb.Postgres(t)
		runFlow(t, node, jsDir, map[string]string{
			"GUILDHALL_DATABASE_URL": url,
		})
	})
	t.Run("sqlite", func(t *testing.T) {
		runFlow(t, node, jsDir, map[string]string{
			"GUILDHALL_DATABASE_URL": "",
			"GUILDHALL_DATA_DIR":     t.TempDir(),
		})
	})
}

// runFlow starts the server with the given extra environment, runs the node
// suite against it and stops it with SIGTERM.
func runFlow(t *testing.T, node, jsDir string, env map[string]string) {
	t.Helper()
	srv := childserver.Start(t, childserver.Options{Env: env})

	host, port, _ := net.SplitHostPort(srv.Addr)
	ctx, cancel := context.WithTimeout(context.Background(), nodeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append(websocketFlag(node), "--test", "--test-reporter=spec", "flow.test.mjs")...)
	cmd.Dir = jsDir
	cmd.Env = append(childserver.WithoutEnv(os.Environ(), "GUILDHALL_", "NODE_OPTIONS"),
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
			err, time.Since(start).Round(time.Millisecond), out.String(), logTail, childserver.Tail(srv.Output(), logTail))
	default:
		t.Logf("nakama-js flow passed in %v against %s", time.Since(start).Round(time.Millisecond), srv.Addr)
		if testing.Verbose() {
			t.Logf("node output:\n%s", out.String())
		}
	}

	srv.Stop(t)
}

// websocketFlag turns on Node's global WebSocket, which nakama-js's socket
// uses, where it is still behind a flag (Node 20, 21).
func websocketFlag(node string) []string {
	out, err := exec.Command(node, "-p", "typeof WebSocket").Output()
	if err == nil && strings.TrimSpace(string(out)) == "function" {
		return nil
	}
	return []string{"--experimental-websocket"}
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
