package store_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// BenchmarkAuditCost runs the write operations of the bench scenarios on one
// PostgreSQL database through two services, one with the audit log off and
// one with it on, side by side: compare each pair's allocs/op and
// cpu-µs/op (this process's CPU time per op, PostgreSQL's not counted: on a
// shared machine a steadier measure of the server's own cost than ns/op).
//
//	go test ./groups/store -run '^$' -bench AuditCost -count 5
func BenchmarkAuditCost(b *testing.B) {
	bg := context.Background()
	db := testapp.OpenDB(b, testdb.DialectPostgres, testdb.Postgres(b))
	off := groups.NewService(store.NewGroups(db))
	onStore := store.NewGroups(db)
	onStore.EnableAudit(func(context.Context) string { return "0123456789abcdef" })
	on := groups.NewService(onStore)
	u := testapp.CreateUsers(b, db, 3)
	owner, target := benchActor(u[0]), u[1]
	run := benchSeq.Add(1)
	g, err := off.CreateGroup(bg, owner, groups.CreateGroupRequest{Name: fmt.Sprintf("audit-cost-%d", run)})
	must(b, err)
	must(b, off.AddUsers(bg, owner, groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{u[2]}}))
	for _, svc := range []struct {
		name string
		s    *groups.Service
	}{{"off", off}, {"on", on}, {"off", off}, {"on", on}} {
		b.Run("create/"+svc.name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for i := 0; i < b.N; i++ {
				_, err := svc.s.CreateGroup(bg, owner, groups.CreateGroupRequest{
					Name: fmt.Sprintf("audit-cost-%d-%d", run, benchSeq.Add(1)), Open: ptr(true)})
				must(b, err)
			}
		})
		b.Run("add+kick/"+svc.name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			req := groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{target}}
			for i := 0; i < b.N; i++ {
				must(b, svc.s.AddUsers(bg, owner, req))
				must(b, svc.s.KickUsers(bg, owner, req))
			}
		})
		b.Run("promote+demote/"+svc.name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			req := groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{u[2]}}
			for i := 0; i < b.N; i++ {
				must(b, svc.s.PromoteUsers(bg, owner, req))
				must(b, svc.s.DemoteUsers(bg, owner, req))
			}
		})
	}
}

// reportCPU starts measuring the process's CPU time; the function it returns
// reports it per op.
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		b.ReportMetric(float64((cpu()-start).Microseconds())/float64(b.N), "cpu-µs/op")
	}
}
