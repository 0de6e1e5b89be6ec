// Package layout holds the test that keeps the dependency arrows of the
// project's layout (README "Layout") true.
package layout

import (
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/guildhall/guildhall"

// Import path prefixes the arrows below refer to.
const (
	fiber    = "github.com/gofiber/"
	fasthttp = "github.com/valyala/fasthttp"
	goja     = "github.com/dop251/goja"
	lua      = "github.com/yuin/gopher-lua"
)

// forbidden lists, per package of the module, import paths (prefixes) it must
// not depend on, directly or indirectly.
var forbidden = map[string][]string{
	// The coded error: standard library only (see stdlibOnly), nothing of Guildhall.
	"errs": {module + "/"},
	// The request codec reads struct tags: standard library only.
	"codec": {module + "/"},
	"groups": {
		fiber, "gorm.io/", goja, lua,
		"net/http", fasthttp, "github.com/jackc/", "github.com/glebarez/",
		module + "/api", module + "/hooks", module + "/runtime", module + "/accounts", module + "/groups/store",
		module + "/inbox", module + "/audit",
	},
	// The inbox is a domain package too: standard library and groups.
	"inbox": {
		fiber, "gorm.io/", goja, lua,
		"net/http", fasthttp, "github.com/jackc/", "github.com/glebarez/",
		module + "/api", module + "/hooks", module + "/runtime", module + "/accounts", module + "/groups/store",
	},
	// The audit log is a domain package like the inbox: standard library and groups.
	"audit": {
		fiber, "gorm.io/", goja, lua,
		"net/http", fasthttp, "github.com/jackc/", "github.com/glebarez/",
		module + "/api", module + "/hooks", module + "/runtime", module + "/accounts", module + "/groups/store",
		module + "/inbox",
	},
	// Idempotency keys: the protocol only, over a Store port; nothing of HTTP,
	// SQL or the group domain.
	"idempotency": {
		fiber, "gorm.io/", goja, lua,
		"net/http", fasthttp, "github.com/jackc/", "github.com/glebarez/",
		module + "/api", module + "/hooks", module + "/runtime", module + "/accounts", module + "/groups",
		module + "/inbox", module + "/audit", module + "/server",
	},
	// The stores speak SQL only: no HTTP, no scripts, nothing above them.
	"groups/store": {
		fiber, "net/http", fasthttp, goja, lua,
		module + "/api", module + "/hooks", module + "/runtime", module + "/accounts", module + "/server",
	},
	// accounts shares only the coded error with groups, not groups itself.
	"accounts": {
		fiber, goja, lua,
		module + "/groups", module + "/inbox", module + "/api", module + "/hooks", module + "/runtime",
	},
	"hooks": {
		fiber, goja, lua,
		module + "/api", module + "/runtime", module + "/groups/store",
	},
	// The shared script plumbing knows neither engine.
	"runtime": {fiber, goja, lua, module + "/api", module + "/groups/store", module + "/runtime/", module + "/metrics"},
	// Each engine stands alone: JS never reaches Lua, nor Lua JS.
	"runtime/js":  {fiber, lua, module + "/api", module + "/groups/store", module + "/runtime/lua"},
	"runtime/lua": {fiber, goja, module + "/api", module + "/groups/store", module + "/runtime/js"},
	// The cases both engines' tests share are plain data: nothing of Guildhall.
	"runtime/runtimetest": {module + "/"},
	"api":                 {goja, lua, module + "/runtime", module + "/groups/store"},
	"migrations":          {module + "/"},
	// The Prometheus series: the coded error (to tell timeouts) and nothing
	// else of Guildhall; the API and the runtimes report into it, the script
	// runtimes through an interface of their own (runtime.Metrics).
	"metrics": {
		fiber, fasthttp, goja, lua,
		module + "/api", module + "/groups", module + "/hooks", module + "/runtime", module + "/accounts",
		module + "/inbox", module + "/server",
	},
	// The admin console drives the services: no SQL of its own, no scripts, not the API.
	"console": {goja, lua, module + "/api", module + "/runtime", module + "/groups/store"},
	// server assembles everything, but never the binaries built on it.
	"server": {module + "/cmd/"},
	// The module test runner sits on server like a binary, but is a library
	// of cmd/guildhall: never the other way round, never the test helpers.
	"hooktest": {module + "/cmd/", module + "/internal/"},
	// The channels are a domain package like the inbox: groups, never above.
	"chat": {
		fiber, "gorm.io/", goja, lua,
		"net/http", fasthttp, "github.com/jackc/", "github.com/glebarez/",
		module + "/api", module + "/hooks", module + "/runtime", module + "/accounts", module + "/groups/store",
		module + "/inbox", module + "/realtime",
	},
	// The hub knows no transport, SQL or scripts; realtime/ws is its one
	// Fiber adapter.
	"realtime": {
		fiber, fasthttp, "github.com/fasthttp/", "net/http", "gorm.io/", goja, lua, "github.com/jackc/", "github.com/glebarez/",
		module + "/api", module + "/hooks", module + "/runtime", module + "/groups/store", module + "/server",
		module + "/realtime/",
	},
	// The bus speaks PostgreSQL (pgx) and the hub, nothing of HTTP or scripts.
	"realtime/pgbus": {fiber, fasthttp, goja, lua, "gorm.io/", module + "/api", module + "/runtime", module + "/groups/store", module + "/server"},
	"realtime/ws":    {goja, lua, "gorm.io/", module + "/api", module + "/runtime", module + "/groups/store", module + "/server"},
}

// stdlibOnly lists packages that may import nothing outside the standard library.
var stdlibOnly = []string{"errs", "codec"}

// exempt lists the packages (prefixes) without arrows: binaries, examples and
// test helpers sit on top and may import anything.
var exempt = []string{"cmd/", "examples", "compat", "internal/"}

// deps returns, for every package of the module, its transitive imports.
func deps(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	all := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(f[0], module), "/")
		all[pkg] = f[1:]
	}
	return all
}

// violations are the forbidden edges in all, one message each.
func violations(all map[string][]string, forbidden map[string][]string, stdlibOnly []string) []string {
	var bad []string
	for pkg, rules := range forbidden {
		for _, dep := range all[pkg] {
			for _, b := range rules {
				if strings.HasPrefix(dep, b) {
					bad = append(bad, pkg+" depends on "+dep+" (forbidden: "+b+")")
				}
			}
		}
	}
	for _, pkg := range stdlibOnly {
		for _, dep := range all[pkg] {
			// The go command's own rule: a standard import path has no dot in its first element.
			if first, _, _ := strings.Cut(dep, "/"); strings.Contains(first, ".") {
				bad = append(bad, pkg+" depends on "+dep+" (standard library only)")
			}
		}
	}
	sort.Strings(bad)
	return bad
}

func TestImportBoundaries(t *testing.T) {
	all := deps(t)
	for pkg := range forbidden {
		if _, ok := all[pkg]; !ok {
			t.Errorf("arrows for %s, which is not a package of the module", pkg)
		}
	}
	for _, v := range violations(all, forbidden, stdlibOnly) {
		t.Error(v)
	}
}

// TestEveryPackageHasArrows keeps the table complete: a new package must say
// what it may not import (or be exempt).
func TestEveryPackageHasArrows(t *testing.T) {
	for pkg := range deps(t) {
		if _, ok := forbidden[pkg]; ok {
			continue
		}
		covered := false
		for _, e := range exempt {
			covered = covered || strings.HasPrefix(pkg, e)
		}
		if !covered {
			t.Errorf("package %q has no entry in the layout test's forbidden table", pkg)
		}
	}
}

// TestArrowsBite checks the checker: a graph with each kind of broken arrow is reported.
func TestArrowsBite(t *testing.T) {
	broken := map[string][]string{
		"errs":         {"fmt", "github.com/google/uuid"},
		"runtime/js":   {module + "/runtime", module + "/runtime/lua"},
		"accounts":     {module + "/errs", module + "/groups"},
		"server":       {module + "/api", module + "/cmd/guildhall"},
		"api":          {module + "/groups/store"},
		"runtime":      {module + "/runtime/js"},
		"groups/store": {goja},
	}
	got := violations(broken, forbidden, stdlibOnly)
	want := []string{
		"accounts depends on " + module + "/groups (forbidden: " + module + "/groups)",
		"api depends on " + module + "/groups/store (forbidden: " + module + "/groups/store)",
		"errs depends on github.com/google/uuid (standard library only)",
		"groups/store depends on " + goja + " (forbidden: " + goja + ")",
		"runtime depends on " + module + "/runtime/js (forbidden: " + module + "/runtime/)",
		"runtime/js depends on " + module + "/runtime/lua (forbidden: " + module + "/runtime/lua)",
		"server depends on " + module + "/cmd/guildhall (forbidden: " + module + "/cmd/)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
