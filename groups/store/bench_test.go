package store_test

// Benchmarks of the groups service on both databases (see docs/performance.md):
//
//	./scripts/with-postgres.sh go test -run '^$' -bench . -benchmem ./groups/store/
//	./scripts/with-postgres.sh go test -run '^$' -bench 'ListByNamePrefix/.*1M' ./groups/store/
//
// BenchmarkGroups measures one operation (or one pair that leaves the data as
// it found it) per iteration, on one goroutine: the service, the store and the
// database, without HTTP. BenchmarkListByNamePrefix fills PostgreSQL's groups
// table straight from SQL (generate_series) and lists by name prefix, first
// page and cursor page at 10k, 100k and 1M groups; the 1M size takes about a
// minute to load, so it only runs when the -bench pattern names it ("1M").

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

var benchSeq atomic.Int64

func benchActor(id string) groups.Actor { return groups.UserActor(id, "") }

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// benchGroups inserts groups named <prefix>NNNNN straight into the table, in
// one transaction, owned (no member row) by owner.
func benchGroups(b *testing.B, db *store.DB, owner, prefix string, n int) {
	b.Helper()
	now := time.Now().UnixMicro()
	tx := db.Write.Begin()
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s%05d", prefix, i)
		must(b, tx.Exec(`INSERT INTO groups (id, creator_id, name, name_key, description, avatar_url, lang_tag,
			metadata, open, edge_count, max_count, create_time, update_time)
			VALUES (?, ?, ?, ?, '', '', 'en', '{}', ?, 0, 100, ?, ?)`,
			uuid.NewString(), owner, name, strings.ToLower(name), i%2 == 0, now+int64(i), now+int64(i)).Error)
	}
	must(b, tx.Commit().Error)
}

func BenchmarkGroups(b *testing.B) {
	b.Run(testdb.DialectPostgres, func(b *testing.B) { benchGroupOps(b, testdb.DialectPostgres, testdb.Postgres(b)) })
	b.Run(testdb.DialectSQLite, func(b *testing.B) { benchGroupOps(b, testdb.DialectSQLite, testdb.SQLite(b)) })
}

func benchGroupOps(b *testing.B, dialect, url string) {
	bg := context.Background()
	db := testapp.OpenDB(b, dialect, url)
	svc := groups.NewService(store.NewGroups(db))
	u := testapp.CreateUsers(b, db, 60)
	owner, joiner, target := u[0], u[1], u[2]
	create := func(name string, open bool) groups.Group {
		g, err := svc.CreateGroup(bg, benchActor(owner), groups.CreateGroupRequest{Name: name, Open: &open, MaxCount: 100})
		must(b, err)
		return g
	}
	run := benchSeq.Add(1)
	openG := create(fmt.Sprintf("bench-open-%d", run), true)
	closedG := create(fmt.Sprintf("bench-closed-%d", run), false)
	pdG := create(fmt.Sprintf("bench-pd-%d", run), true)
	must(b, svc.JoinGroup(bg, benchActor(target), groups.JoinGroupRequest{GroupID: pdG.ID}))
	membersG := create(fmt.Sprintf("bench-members-%d", run), true)
	for _, id := range u[3:52] { // owner + 49 = 50 members
		must(b, svc.JoinGroup(bg, benchActor(id), groups.JoinGroupRequest{GroupID: membersG.ID}))
	}
	for i := 0; i < 20; i++ { // the joiner is in 20 more groups
		g := create(fmt.Sprintf("bench-mine-%d-%02d", run, i), true)
		must(b, svc.JoinGroup(bg, benchActor(joiner), groups.JoinGroupRequest{GroupID: g.ID}))
	}
	// 5,000 groups, 100 of them matching the prefix, as guildhall-bench's list.
	benchGroups(b, db, owner, fmt.Sprintf("bench-f-%d-", run), 4900)
	benchGroups(b, db, owner, fmt.Sprintf("bench-m-%d-", run), 100)
	prefix := fmt.Sprintf("bench-m-%d-%%", run)

	b.Run("create", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			create(fmt.Sprintf("bench-create-%d-%d", run, benchSeq.Add(1)), true)
		}
	})
	b.Run("join+leave", func(b *testing.B) {
		req := groups.GroupRequest{GroupID: openG.ID}
		for i := 0; i < b.N; i++ {
			must(b, svc.JoinGroup(bg, benchActor(joiner), groups.JoinGroupRequest{GroupID: req.GroupID}))
			must(b, svc.LeaveGroup(bg, benchActor(joiner), req))
		}
	})
	// A join request notifies the admins; by default at most once per window
	// (the upsert of the notice time rides in the batch that reads the admins).
	joinRequest := func(svc *groups.Service) func(b *testing.B) {
		return func(b *testing.B) {
			req := groups.GroupRequest{GroupID: closedG.ID}
			for i := 0; i < b.N; i++ {
				must(b, svc.JoinGroup(bg, benchActor(joiner), groups.JoinGroupRequest{GroupID: req.GroupID}))
				must(b, svc.LeaveGroup(bg, benchActor(joiner), req))
			}
		}
	}
	b.Run("join_request+leave", joinRequest(svc))
	b.Run("join_request+leave_unthrottled", joinRequest(groups.NewService(store.NewGroups(db), groups.WithJoinRequestNotifyWindow(0))))
	b.Run("add+kick", func(b *testing.B) {
		req := groups.GroupUsersRequest{GroupID: closedG.ID, UserIDs: []string{target}}
		for i := 0; i < b.N; i++ {
			must(b, svc.AddUsers(bg, benchActor(owner), req))
			must(b, svc.KickUsers(bg, benchActor(owner), req))
		}
	})
	b.Run("promote+demote", func(b *testing.B) {
		req := groups.GroupUsersRequest{GroupID: pdG.ID, UserIDs: []string{target}}
		for i := 0; i < b.N; i++ {
			must(b, svc.PromoteUsers(bg, benchActor(owner), req))
			must(b, svc.DemoteUsers(bg, benchActor(owner), req))
		}
	})
	b.Run("list_group_users_50", func(b *testing.B) {
		req := groups.ListGroupUsersRequest{GroupID: membersG.ID, Limit: 100}
		for i := 0; i < b.N; i++ {
			l, err := svc.ListGroupUsers(bg, req)
			must(b, err)
			if len(l.GroupUsers) != 50 {
				b.Fatalf("%d members", len(l.GroupUsers))
			}
		}
	})
	b.Run("list_user_groups_20", func(b *testing.B) {
		req := groups.ListUserGroupsRequest{UserID: joiner, Limit: 100}
		for i := 0; i < b.N; i++ {
			l, err := svc.ListUserGroups(bg, req)
			must(b, err)
			if len(l.UserGroups) != 20 {
				b.Fatalf("%d groups", len(l.UserGroups))
			}
		}
	})
	benchListings(b, svc, prefix)
}

// benchListings runs the group listings of guildhall-bench's list and
// list_page; prefix matches 100 groups.
func benchListings(b *testing.B, svc *groups.Service, prefix string) {
	bg := context.Background()
	page := func(b *testing.B, req groups.ListGroupsRequest) groups.GroupList {
		l, err := svc.ListGroups(bg, req)
		must(b, err)
		if len(l.Groups) != req.Limit || l.Cursor == "" {
			b.Fatalf("%d groups, cursor %q", len(l.Groups), l.Cursor)
		}
		return l
	}
	b.Run("list_by_name_prefix", func(b *testing.B) {
		req := groups.ListGroupsRequest{Name: prefix, Limit: 20}
		for i := 0; i < b.N; i++ {
			page(b, req)
		}
	})
	b.Run("list_first_page", func(b *testing.B) {
		req := groups.ListGroupsRequest{Limit: 20}
		for i := 0; i < b.N; i++ {
			page(b, req)
		}
	})
	b.Run("list_cursor_page", func(b *testing.B) {
		// The fourth page after the first, as list_page's last request.
		req := groups.ListGroupsRequest{Limit: 20}
		for p := 0; p < 4; p++ {
			req.Cursor = page(b, req).Cursor
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			page(b, req)
		}
	})
	b.Run("list_by_name_prefix_cursor_page", func(b *testing.B) {
		req := groups.ListGroupsRequest{Name: prefix, Limit: 20}
		req.Cursor = page(b, req).Cursor
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			page(b, req)
		}
	})
}

// BenchmarkListByNamePrefix lists groups at 10k, 100k and 1M groups on
// PostgreSQL (the table filled by SQL, name_key = lower(name)), 100 of them
// matching the prefix. The size should not matter: an index serves each
// listing's filter and order (docs/performance.md has the plans).
func BenchmarkListByNamePrefix(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"10k", 10_000}, {"100k", 100_000}, {"1M", 1_000_000}} {
		b.Run(size.name, func(b *testing.B) {
			if size.n >= 1_000_000 && !benchNamed("1M") {
				b.Skip("loads 1M groups (about a minute): run with -bench naming 1M, e.g. -bench 'ListByNamePrefix/1M'")
			}
			db := testapp.OpenDB(b, testdb.DialectPostgres, testdb.Postgres(b))
			svc := groups.NewService(store.NewGroups(db))
			owner := testapp.CreateUsers(b, db, 1)[0]
			// Names spread over the key space (md5), plus 100 "match-NNN".
			must(b, db.Write.Exec(`INSERT INTO groups (id, creator_id, name, name_key, lang_tag, metadata, open,
				edge_count, max_count, create_time, update_time)
				SELECT gen_random_uuid(), ?, n, lower(n), CASE WHEN i % 3 = 0 THEN 'fr' ELSE 'en' END, '{}',
				       i % 2 = 0, i % 50, 100, t + i, t + i
				FROM (SELECT i, CASE WHEN i <= 100 THEN 'Match-' || lpad(i::text, 3, '0') ELSE 'g' || md5(i::text) END AS n,
				             (extract(epoch FROM now()) * 1000000)::bigint - 10000000 AS t
				      FROM generate_series(1, ?) AS i) s`, owner, size.n).Error)
			must(b, db.Write.Exec("ANALYZE groups").Error)
			benchListings(b, svc, "match-%")
		})
	}
}

// benchNamed reports whether the -test.bench pattern mentions s.
func benchNamed(s string) bool {
	f := flag.Lookup("test.bench")
	return f != nil && strings.Contains(f.Value.String(), s)
}
