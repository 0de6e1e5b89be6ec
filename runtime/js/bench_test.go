package js_test

import (
	"context"
	"testing"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/runtime"
)

// BenchmarkBeforeHook is the cost of one JavaScript before hook on the call
// path (pool, ctx and payload objects, the call, the result back), without
// the database.
func BenchmarkBeforeHook(b *testing.B) {
	l := mustLoad(b, `
function hook(ctx, logger, nk, data) {
  var roles = {"u1": ["bouncer"]};
  if ((roles[ctx.userId] || []).indexOf('bouncer') < 0) { return null; }
  return data;
}
function InitModule(ctx, logger, nk, initializer) { initializer.registerBeforeKickGroupUsers(hook); }
`, runtime.Config{})
	c := &hooks.Caller{UserID: "u1", Username: "alice", Vars: map[string]string{"k": "v"}, SessionExp: 1}
	req := &groups.GroupUsersRequest{GroupID: "4f9c6a1e-7e36-4a0e-9b0e-3d1f2f6a8b10", UserIDs: []string{"0b8f1c7a-2d3e-4f5a-8b9c-0d1e2f3a4b5c"}}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := kick(ctx, l.reg, c, req); err != nil {
			b.Fatal(err)
		}
	}
}
