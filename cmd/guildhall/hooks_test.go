package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/internal/childserver"
)

// hooksCmd runs the real binary's `hooks` command in dir and returns its
// output and exit status.
func hooksCmd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(childserver.Binary(t), append([]string{"hooks"}, args...)...)
	cmd.Env = childserver.WithoutEnv(os.Environ(), "GUILDHALL_")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	}
	t.Fatalf("run %v: %v", args, err)
	return "", 0
}

// lineOf is the 1-based line of the first line of file containing s.
func lineOf(t *testing.T, file, s string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line with %q", file, s)
	return 0
}

// TestHooksTestExamples runs the shipped examples' module tests through the
// command: every test passes, one line each, and the exit status is 0.
func TestHooksTestExamples(t *testing.T) {
	root, err := childserver.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	out, code := hooksCmd(t, "test", filepath.Join(root, "examples"))
	if code != 0 {
		t.Fatalf("exit status %d:\n%s", code, out)
	}
	passes := strings.Count(out, "--- PASS: ")
	if passes < 16 || strings.Contains(out, "--- FAIL") || !strings.Contains(out, strconv.Itoa(passes)+" passed, 0 failed\n") {
		t.Fatalf("want at least 16 passing tests, one line each, and the summary:\n%s", out)
	}
	for _, f := range []string{"bouncer.test.js", "bouncer_test.lua", "metadata_filter.test.js",
		"metadata_filter_test.lua", "resize.test.js", "resize_test.lua"} {
		if !strings.Contains(out, "ok  \t"+filepath.Join(root, "examples", f)+"\t") {
			t.Errorf("no ok line for %s:\n%s", f, out)
		}
	}
}

// TestHooksTestFailingScript breaks the bouncer's rule in both languages:
// the command exits 1 and names the script line of the failing assertion.
func TestHooksTestFailingScript(t *testing.T) {
	root, err := childserver.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copyFile := func(name, from, to string) {
		b, err := os.ReadFile(filepath.Join(root, "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if from != "" {
			if !strings.Contains(s, from) {
				t.Fatalf("%s lacks %q", name, from)
			}
			s = strings.Replace(s, from, to, 1)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFile("bouncer.js", "if (mine.indexOf('bouncer') < 0) {", "if (false) {")
	copyFile("bouncer.test.js", "", "")
	copyFile("bouncer.lua", `if has_role(roles[context.user_id], "bouncer") then`, "if true then")
	copyFile("bouncer_test.lua", "", "")

	out, code := hooksCmd(t, "test", dir)
	if code != 1 {
		t.Fatalf("exit status %d, want 1:\n%s", code, out)
	}
	js := filepath.Join(dir, "bouncer.test.js")
	lua := filepath.Join(dir, "bouncer_test.lua")
	for _, want := range []string{
		"--- FAIL: a superadmin without the role may not kick (",
		js + ":" + strconv.Itoa(lineOf(t, js, "t.refused(5, function () { s.alice.kick")) +
			": the call succeeded, want a refusal with code 5\n",
		lua + ":" + strconv.Itoa(lineOf(t, lua, "t.refused(5, function() s.alice.kick")) +
			": the call succeeded, want a refusal with code 5\n",
		"FAIL\t" + js + "\t",
		"4 passed, 2 failed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// -run selects tests by name: only the passing ones, status 0.
	out, code = hooksCmd(t, "test", "-run", "may kick$", dir)
	if code != 0 || !strings.Contains(out, "2 passed, 0 failed\n") {
		t.Fatalf("-run: exit status %d:\n%s", code, out)
	}
}

// TestHooksList prints the hooks and RPCs a runtime path registers, with
// language and file, as a table and as JSON.
func TestHooksList(t *testing.T) {
	root, err := childserver.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for from, to := range map[string]string{"bouncer.js": "index.js", "resize.lua": "resize.lua", "bouncer.lua": "bouncer.lua"} {
		b, err := os.ReadFile(filepath.Join(root, "examples", from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, to), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, code := hooksCmd(t, "list", "--runtime.path", dir)
	if code != 0 {
		t.Fatalf("exit status %d:\n%s", code, out)
	}
	bouncerLine := lineOf(t, filepath.Join(dir, "bouncer.lua"), "local function kick_group_users")
	want := []string{
		"generation 1, runtime path " + dir,
		"before  KickGroupUsers  lua         bouncer.lua:" + strconv.Itoa(bouncerLine),
		"rpc     resize_group    lua         resize.lua:",
		"before  KickGroupUsers  javascript  index.js",
		"beforeKickGroupUsers\n",
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	out, code = hooksCmd(t, "list", "-json", "--runtime.path", dir)
	if code != 0 || !strings.Contains(out, `"language": "javascript"`) || !strings.Contains(out, `"generation": 1`) {
		t.Fatalf("-json: %d\n%s", code, out)
	}
}
