// Package layout holds the test that keeps the dependency arrows of the
// project's layout (README "Layout") true.
package layout

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/guildhall/guildhall"

// forbidden lists, per package, import paths (prefixes) it must not depend on,
// directly or indirectly.
var forbidden = map[string][]string{
	"groups": {
		"github.com/gofiber/", "gorm.io/", "github.com/dop251/goja", "github.com/yuin/gopher-lua",
		"net/http", "github.com/valyala/fasthttp", "github.com/jackc/", "github.com/glebarez/",
		module + "/api", module + "/hooks", module + "/runtime", module + "/accounts", module + "/groups/store",
		module + "/inbox",
	},
	// The inbox is a domain package too: standard library and groups.
	"inbox": {
		"github.com/gofiber/", "gorm.io/", "github.com/dop251/goja", "github.com/yuin/gopher-lua",
		"net/http", "github.com/valyala/fasthttp", "github.com/jackc/", "github.com/glebarez/",
		module + "/api", module + "/hooks", module + "/runtime", module + "/accounts", module + "/groups/store",
	},
	"hooks": {
		"github.com/gofiber/", "github.com/dop251/goja", "github.com/yuin/gopher-lua",
		module + "/api", module + "/runtime", module + "/groups/store",
	},
	"runtime": {"github.com/gofiber/", module + "/api", module + "/groups/store"},
	"api":     {"github.com/dop251/goja", "github.com/yuin/gopher-lua", module + "/runtime"},
	"accounts": {
		"github.com/gofiber/", module + "/api", module + "/hooks", module + "/runtime", module + "/groups/store",
	},
	"migrations": {module + "/"},
}

func TestImportBoundaries(t *testing.T) {
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", module+"/"+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == module+"/"+pkg {
				continue
			}
			for _, b := range bad {
				if strings.HasPrefix(dep, b) && !(pkg == "groups" && dep == module+"/groups") {
					t.Errorf("%s depends on %s (forbidden: %s)", pkg, dep, b)
				}
			}
		}
	}
}
