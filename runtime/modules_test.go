package runtime

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFindModulesSkipsTests: module tests beside the modules are never
// loaded as modules, and ModuleFiles loads named files, any .js as the
// JavaScript module.
func TestFindModulesSkipsTests(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"index.js", "index.test.js", "a.lua", "a_test.lua", "sub/b.lua", "sub/b_test.lua"} {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("-- "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	js, lua, err := FindModules(dir)
	if err != nil {
		t.Fatal(err)
	}
	if js == nil || js.Name != "index.js" || len(lua) != 2 || lua[0].Name != "a" || lua[1].Name != "sub.b" {
		t.Fatalf("got js %+v, lua %+v", js, lua)
	}
	js, lua, err = Config{Files: []string{filepath.Join(dir, "a.lua"), filepath.Join(dir, "index.test.js")}}.Modules()
	if err != nil || js == nil || js.Name != "index.test.js" || len(lua) != 1 || lua[0].Name != "a" {
		t.Fatalf("Files: got js %+v, lua %+v, %v", js, lua, err)
	}
	if _, _, err := ModuleFiles([]string{filepath.Join(dir, "index.js"), filepath.Join(dir, "index.test.js")}); err == nil {
		t.Fatal("two JavaScript modules loaded")
	}
}
