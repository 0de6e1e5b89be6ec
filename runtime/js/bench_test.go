package js_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/runtime"
	"github.com/guildhall/guildhall/runtime/js"
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
	cpu := processCPU()
	for range b.N {
		if _, err := kick(ctx, l.reg, c, req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkBeforeKickBouncer is one call of examples/bouncer.js's before
// hook on kick with a real store (the group read through nk.groupsGetId,
// its metadata.roles checked), per dialect; "read" is the same store read
// made from Go alone, the part of the hook no runtime work can remove.
func BenchmarkBeforeKickBouncer(b *testing.B) {
	code, err := os.ReadFile(filepath.Join("..", "..", "examples", "bouncer.js"))
	if err != nil {
		b.Fatal(err)
	}
	for _, dialect := range []string{testdb.DialectSQLite, testdb.DialectPostgres} {
		b.Run(dialect, func(b *testing.B) {
			url := ""
			if dialect == testdb.DialectPostgres {
				url = testdb.Postgres(b)
			} else {
				url = testdb.SQLite(b)
			}
			app := testapp.New(b, dialect, url)
			u := testapp.CreateUsers(b, app.DB, 2)
			ctx := context.Background()
			meta, _ := json.Marshal(map[string]any{"roles": map[string]any{u[0]: []string{"bouncer"}}})
			g, err := app.Groups.CreateGroup(ctx, groups.SystemActor(), groups.CreateGroupRequest{
				OwnerID: u[0], Name: "bench bouncer", Description: "a group", Metadata: string(meta)})
			if err != nil {
				b.Fatal(err)
			}
			dir := b.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "index.js"), code, 0o600); err != nil {
				b.Fatal(err)
			}
			rt, err := js.Load(ctx, runtime.Config{Path: dir}, runtime.Deps{Groups: app.Groups, Hooks: app.Hooks,
				Log: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(rt.Close)
			c := &hooks.Caller{UserID: u[0], Username: "owner", Vars: map[string]string{}, SessionExp: 1}
			req := &groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{u[1]}}
			b.Run("hook", func(b *testing.B) {
				b.ReportAllocs()
				cpu := processCPU()
				for b.Loop() {
					if got, err := kick(ctx, app.Hooks, c, req); err != nil || got == nil {
						b.Fatalf("kick = %v, %v", got, err)
					}
				}
				b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
			})
			// 32 callers at once, as under the bench's load: the VMs and
			// the scheduler stay busy, so CPU per call is not dominated by
			// waking idle threads as one caller's is.
			b.Run("hook_c32", func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(16)
				cpu := processCPU()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if got, err := kick(ctx, app.Hooks, c, req); err != nil || got == nil {
							b.Errorf("kick = %v, %v", got, err)
							return
						}
					}
				})
				b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
			})
			b.Run("read", func(b *testing.B) {
				b.ReportAllocs()
				cpu := processCPU()
				for b.Loop() {
					if gs, err := app.Groups.GetGroups(ctx, []string{g.ID}); err != nil || len(gs) != 1 {
						b.Fatalf("GetGroups = %v, %v", gs, err)
					}
				}
				b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
			})
		})
	}
}

// processCPU is the CPU time (user + system, ns) this process has used: a
// benchmark's figure that a paused or busy machine does not inflate the way
// it does wall time (the PostgreSQL server's own CPU is not in it).
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
