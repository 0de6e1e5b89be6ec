package examples_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/internal/childserver"
)

// TestTypeScriptBouncer builds examples/typescript with npm and npx tsc (the
// typescript package from npm, pinned in package-lock.json) into one
// build/index.js plus its compiled module test, and runs that test with
// `guildhall hooks test`: the compiled module loads unchanged and the typed
// bouncer holds. npm is required, as for the compat suite (Node 20).
func TestTypeScriptBouncer(t *testing.T) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatal("npm not found: install Node.js 20 and npm (Debian: apt-get install nodejs npm)")
	}
	npx, err := exec.LookPath("npx")
	if err != nil {
		t.Fatal("npx not found: install npm (Debian: apt-get install npm)")
	}
	dir, err := filepath.Abs("typescript")
	if err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "typescript", "package.json")); err != nil {
		run(npm, "ci", "--ignore-scripts")
	}
	if err := os.RemoveAll(filepath.Join(dir, "build")); err != nil {
		t.Fatal(err)
	}
	run(npx, "--no-install", "tsc", "-p", "tsconfig.json")
	run(npx, "--no-install", "tsc", "-p", "tsconfig.test.json")

	index, err := os.ReadFile(filepath.Join(dir, "build", "index.js"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(index), "\nfunction InitModule(ctx, logger, nk, initializer) {") {
		t.Fatalf("build/index.js has no top-level InitModule:\n%s", index)
	}

	cmd := exec.Command(childserver.Binary(t), "hooks", "test", filepath.Join(dir, "build"))
	cmd.Env = childserver.WithoutEnv(os.Environ(), "GUILDHALL_")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("guildhall hooks test: %v\n%s", err, out)
	}
	for _, want := range []string{
		"--- PASS: a bouncer may kick (",
		"--- PASS: a superadmin without the role may not kick (",
		"--- PASS: the role does not replace the kick rules (",
		"3 passed, 0 failed\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
