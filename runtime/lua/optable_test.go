package lua_test

import (
	"fmt"
	"testing"

	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/runtime"
)

// TestEveryOperationPayloadLua loops over the operation table: a Lua
// before hook returning its payload unchanged hands the service exactly
// the client's request, and one changing every string field (snake_case
// keys) is obeyed.
func TestEveryOperationPayloadLua(t *testing.T) {
	for _, o := range hooks.Ops() {
		if o.Plan() == nil {
			continue // authentication rows have their own codec (tested in lua_test.go)
		}
		name := o.Info().Name
		t.Run(name, func(t *testing.T) {
			e := sqliteEnv(t)
			e.mustLoad(t, runtime.Config{Path: modules(t, map[string]string{"same.lua": fmt.Sprintf(
				"local nk = require('nakama')\nnk.register_req_before(function(c, p) return p end, %q)\n", name)})})
			sample := testapp.SampleRequest(o)
			got, err := testapp.RequestAfterHooks(t, e.reg, o, sample)
			if err != nil {
				t.Fatal(err)
			}
			testapp.SameRequest(t, name, got, sample)

			e = sqliteEnv(t)
			e.mustLoad(t, runtime.Config{Path: modules(t, map[string]string{"change.lua": fmt.Sprintf(`local nk = require('nakama')
nk.register_req_before(function(c, p)
  for k, v in pairs(p) do if type(v) == 'string' then p[k] = k .. '!' end end
  return p
end, %q)
`, name)})})
			got, err = testapp.RequestAfterHooks(t, e.reg, o, testapp.SampleRequest(o))
			if err != nil {
				t.Fatal(err)
			}
			want := testapp.ChangedStrings(o, testapp.SampleRequest(o), func(f string) string { return f + "!" }, false)
			testapp.SameRequest(t, name, got, want)
		})
	}
}
