package runtime

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Module is one script file.
type Module struct {
	Name string // Lua: relative path with '/' as '.' and no extension; JS: file name
	Path string
	Code string
}

// JSEntrypoint is the one JavaScript file Nakama's layout loads.
const JSEntrypoint = "index.js"

// IsTestFile reports whether a file name is a module test (name.test.js,
// name_test.lua), which `guildhall hooks test` runs and serve never loads.
func IsTestFile(name string) bool {
	return strings.HasSuffix(name, ".test.js") || strings.HasSuffix(name, "_test.lua")
}

// Modules reads the configured modules: Files when set, else the runtime path.
func (c Config) Modules() (js *Module, lua []Module, err error) {
	if len(c.Files) > 0 {
		return ModuleFiles(c.Files)
	}
	return FindModules(c.Path)
}

// ModuleFiles reads named module files: the one *.js file is the JavaScript
// module whatever its name (as if copied in as index.js), each *.lua file a Lua
// module named by its base name.
func ModuleFiles(paths []string) (js *Module, lua []Module, err error) {
	for _, path := range paths {
		code, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, err
		}
		base := filepath.Base(path)
		switch {
		case strings.HasSuffix(base, ".js"):
			if js != nil {
				return nil, nil, fmt.Errorf("%s: only one JavaScript module can be loaded (already %s)", path, js.Path)
			}
			js = &Module{Name: base, Path: path, Code: string(code)}
		case strings.HasSuffix(base, ".lua"):
			lua = append(lua, Module{Name: strings.TrimSuffix(base, ".lua"), Path: path, Code: string(code)})
		default:
			return nil, nil, fmt.Errorf("%s: not a module (want a .js or .lua file)", path)
		}
	}
	sort.Slice(lua, func(i, j int) bool { return lua[i].Name < lua[j].Name })
	return js, lua, nil
}

// FindModules reads the runtime path: index.js for JavaScript and every *.lua
// file below it (sorted by module name, the order Lua modules run in), test
// files (IsTestFile) excepted. A missing directory holds no modules.
func FindModules(dir string) (js *Module, lua []Module, err error) {
	if dir == "" {
		return nil, nil, nil
	}
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		return nil, nil, nil
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case rel == JSEntrypoint:
			code, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			js = &Module{Name: rel, Path: path, Code: string(code)}
		case strings.HasSuffix(rel, ".lua") && !IsTestFile(rel):
			code, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			name := strings.ReplaceAll(strings.TrimSuffix(rel, ".lua"), "/", ".")
			lua = append(lua, Module{Name: name, Path: path, Code: string(code)})
		}
		return nil
	})
	sort.Slice(lua, func(i, j int) bool { return lua[i].Name < lua[j].Name })
	return js, lua, err
}
