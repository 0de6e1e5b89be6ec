package main

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/hooks"
)

// TestReadmeConfigTable: README.md's Configuration table lists every flag, with
// its environment variable and its default exactly as the command defines them
// (from server.DefaultConfig), and no flag that does not exist.
func TestReadmeConfigTable(t *testing.T) {
	text, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := readmeConfigRows(t, string(text))
	if len(rows) < 10 {
		t.Fatalf("found only %d rows in README.md's Configuration table", len(rows))
	}
	// Defaults as the code has them, not as this environment overrides them.
	for _, e := range os.Environ() {
		if k, _, _ := strings.Cut(e, "="); strings.HasPrefix(k, "GUILDHALL_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	_, fs, err := newFlagSet("guildhall")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, r := range rows {
		documented[r.flag] = true
		f := fs.Lookup(r.flag)
		if f == nil {
			t.Errorf("README row --%s: no such flag", r.flag)
			continue
		}
		if r.env != envName(r.flag) {
			t.Errorf("README row --%s: env %s, the command reads %s", r.flag, r.env, envName(r.flag))
		}
		if !sameDefault(t, f, r.def) {
			t.Errorf("README row --%s: default %q, the command's is %q", r.flag, r.def, f.DefValue)
		}
	}
	fs.VisitAll(func(f *flag.Flag) {
		if !documented[f.Name] {
			t.Errorf("flag --%s (default %q) has no row in README.md's Configuration table", f.Name, f.DefValue)
		}
	})
}

type readmeRow struct{ flag, env, def string }

var (
	readmeRowRe = regexp.MustCompile("^\\| `--([a-z0-9._-]+)` \\| `([A-Z0-9_]+)` \\| ([^|]+) \\|")
	// A default cell: `value`, or the word empty, maybe followed by a
	// parenthetical remark such as (unlimited).
	readmeDefaultRe = regexp.MustCompile("^(?:`([^`]*)`|(empty))(?: \\([^)]*\\))?$")
)

// readmeConfigRows reads the table under "## Configuration".
func readmeConfigRows(t *testing.T, text string) []readmeRow {
	t.Helper()
	_, section, ok := strings.Cut(text, "\n## Configuration\n")
	if !ok {
		t.Fatal("README.md has no ## Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var rows []readmeRow
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `--") {
			continue
		}
		m := readmeRowRe.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("README row not understood: %s", line)
			continue
		}
		d := readmeDefaultRe.FindStringSubmatch(strings.TrimSpace(m[3]))
		if d == nil {
			t.Errorf("README row --%s: default cell %q is neither `value` nor empty", m[1], m[3])
			continue
		}
		rows = append(rows, readmeRow{flag: m[1], env: m[2], def: d[1]})
	}
	return rows
}

// sameDefault compares a documented default with a flag's, durations and sizes
// by value (README's 60s is the flag's 1m0s).
func sameDefault(t *testing.T, f *flag.Flag, doc string) bool {
	t.Helper()
	switch f.Value.(type) {
	case *durationValue:
		want, err := time.ParseDuration(f.DefValue)
		if err != nil {
			t.Fatalf("--%s: %v", f.Name, err)
		}
		got, err := parseDuration(doc)
		return err == nil && got == want
	case *sizeValue:
		got, err := parseSize(doc)
		return err == nil && f.DefValue == sizeValueString(got)
	}
	return doc == f.DefValue
}

func sizeValueString(n int64) string {
	v := sizeValue(n)
	return v.String()
}

// TestReadmeHookNames: README.md's and modules/README.md's lists of hook
// names name every row of the operation table, so a new operation is
// documented where scripters look.
func TestReadmeHookNames(t *testing.T) {
	for file, start := range map[string]string{"../../README.md": "**Hook names**", "../../modules/README.md": "`<Op>` is one of"} {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		_, list, ok := strings.Cut(string(text), start)
		if !ok {
			t.Fatalf("%s: no %q paragraph", file, start)
		}
		list, _, _ = strings.Cut(list, "\n\n")
		names := map[string]bool{}
		for _, w := range regexp.MustCompile(`[A-Z][A-Za-z]+`).FindAllString(list, -1) {
			names[w] = true
		}
		for _, name := range hooks.OpNames() {
			if !names[name] {
				t.Errorf("%s: hook %s is not in the list after %q", file, name, start)
			}
		}
	}
}
