package lua_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/runtime"
)

// BenchmarkBeforeHook isolates the cost of a Lua before hook on a kick (no
// HTTP, no kick transaction) on PostgreSQL: the bare database read the
// bouncer needs (getgroups_go), a hook that only returns its payload
// (passthrough_lua), and examples/bouncer.lua (bouncer_lua).
//
//	./scripts/with-postgres.sh go test -run '^$' -bench BeforeHook ./runtime/lua/
func BenchmarkBeforeHook(b *testing.B) {
	e := newEnv(b, testdb.DialectPostgres, testdb.Postgres(b))
	bouncer, err := os.ReadFile("../../examples/bouncer.lua")
	if err != nil {
		b.Fatal(err)
	}
	users := testapp.CreateUsers(b, e.db, 2)
	meta, _ := json.Marshal(map[string]any{"roles": map[string]any{users[0]: []string{"bouncer"}}})
	g, err := e.svc.CreateGroup(context.Background(), groups.SystemActor(), groups.CreateGroupRequest{
		OwnerID: users[0], Name: "bench", Metadata: string(meta)})
	if err != nil {
		b.Fatal(err)
	}
	caller := &hooks.Caller{UserID: users[0], Username: "owner"}
	req := &groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{users[1]}}
	noop := func(context.Context, *groups.GroupUsersRequest) (hooks.Empty, error) { return hooks.Empty{}, nil }
	// Requests carry a deadline (the API's request timeout), which changes how
	// the driver runs queries; benchmark with one too.
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()

	b.Run("getgroups_go", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if gs, err := e.svc.GetGroups(ctx, []string{g.ID}); err != nil || len(gs) != 1 {
				b.Fatal(gs, err)
			}
		}
	})
	for _, c := range []struct{ name, src string }{
		{"passthrough_lua", `local nk = require("nakama")
nk.register_req_before(function(context, payload) return payload end, "KickGroupUsers")`},
		{"bouncer_lua", string(bouncer)},
	} {
		b.Run(c.name, func(b *testing.B) {
			ce := &env{db: e.db, svc: e.svc, reg: hooks.New(quiet)}
			ce.mustLoad(b, runtime.Config{Path: modules(b, map[string]string{"m.lua": c.src})})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := hooks.Run(ctx, hooks.KickGroupUsers.Point(ce.reg), caller, req, noop); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
