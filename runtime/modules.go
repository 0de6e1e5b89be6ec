package runtime

import (
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

// FindModules reads the runtime path: index.js for JavaScript and every *.lua
// file below it (sorted by module name, the order Lua modules run in). A missing
// directory holds no modules.
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
		case strings.HasSuffix(rel, ".lua"):
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
