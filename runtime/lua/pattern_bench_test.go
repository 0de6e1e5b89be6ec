package lua

import (
	"testing"

	glua "github.com/yuin/gopher-lua"
)

// BenchmarkPatterns compares the bounded string functions with gopher-lua's
// own on everyday patterns.
//
//	go test -run '^$' -bench Patterns ./runtime/lua/
func BenchmarkPatterns(b *testing.B) {
	const script = `
local s = "player_1234: joined clan [Red Dragons] at 2024-01-02T10:20:30Z"
local n = 0
for i = 1, 100 do
  local id = s:match("^player_(%d+)")
  local clan = s:match("%[(.-)%]")
  local a, e = s:find("clan", 1, true)
  local t = s:gsub("%s+", "_")
  for w in s:gmatch("%a+") do n = n + 1 end
end
return n`
	for _, c := range []struct {
		name    string
		bounded bool
	}{{"gopher", false}, {"bounded", true}} {
		b.Run(c.name, func(b *testing.B) {
			L := glua.NewState()
			defer L.Close()
			if c.bounded {
				v := &vm{r: &Runtime{maxBuild: maxBuildOff}, L: L}
				v.guardLibs()
			}
			fn, err := L.LoadString(script)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				L.Push(fn)
				if err := L.PCall(0, 1, nil); err != nil {
					b.Fatal(err)
				}
				L.Pop(1)
			}
		})
	}
}
