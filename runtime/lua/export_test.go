package lua

import glua "github.com/yuin/gopher-lua"

// SetTestGlobal makes every VM built afterwards have a global Go function
// name (to simulate a native call that ignores its context); restore undoes it.
func SetTestGlobal(name string, fn glua.LGFunction) (restore func()) {
	testGlobals = map[string]glua.LGFunction{name: fn}
	return func() { testGlobals = nil }
}
