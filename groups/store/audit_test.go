package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/audit"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

type requestIDKey struct{}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// auditEnv is a store with the audit log on, and a clock the test moves.
type auditEnv struct {
	db    *store.DB
	st    *store.Groups
	svc   *groups.Service
	log   *audit.Service
	clock atomic.Pointer[time.Time]
}

func newAuditEnv(t *testing.T, dialect, url string) *auditEnv {
	e := &auditEnv{db: testapp.OpenDB(t, dialect, url)}
	e.st = store.NewGroups(e.db)
	e.st.EnableAudit(requestID)
	now := time.Now().UTC()
	e.clock.Store(&now)
	e.svc = groups.NewService(e.st, groups.WithClock(func() time.Time { return *e.clock.Load() }))
	e.log = audit.New(e.st)
	return e
}

func (e *auditEnv) count(t *testing.T, table string) int {
	t.Helper()
	var n int64
	if err := e.db.Read.Raw("SELECT count(*) FROM " + table).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestAuditRolledBack: an entry is written in the operation's transaction,
// so an operation that fails at its commit (a constraint), or whose function
// fails after recording events, leaves none; one that commits leaves one,
// with the request id of its context.
func TestAuditRolledBack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := newAuditEnv(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 2)
		rctx := context.WithValue(context.Background(), requestIDKey{}, "req-1")
		g, err := e.svc.CreateGroup(rctx, groups.UserActor(u[0], ""), groups.CreateGroupRequest{Name: "kept", Open: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		// Refused at COMMIT by a constraint, after the event was recorded:
		// the owner does not exist (foreign key), the name is taken (unique).
		if _, err := e.svc.CreateGroup(rctx, groups.SystemActor(),
			groups.CreateGroupRequest{OwnerID: uuid.NewString(), Name: "ghost"}); err == nil {
			t.Fatal("created a group for a missing owner")
		}
		if _, err := e.svc.CreateGroup(rctx, groups.UserActor(u[1], ""), groups.CreateGroupRequest{Name: "KEPT"}); err == nil {
			t.Fatal("created a group with a taken name")
		}
		// A function failing after its writes and events.
		boom := errors.New("boom")
		err = e.st.Tx(rctx, func(tx groups.Tx) error {
			if _, err := tx.Lock(rctx, groups.LockQuery{GroupID: g.ID}); err != nil {
				return err
			}
			tx.InsertMember(rctx, g.ID, u[1], groups.Member, time.Now())
			tx.Record(groups.MemberJoined{EventMeta: groups.EventMeta{GroupID: g.ID, ActorID: u[1], Time: time.Now()}})
			return boom
		}, nil)
		if !errors.Is(err, boom) {
			t.Fatalf("tx: %v", err)
		}
		p, err := e.log.List(context.Background(), audit.ListRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Entries) != 1 {
			t.Fatalf("%d entries, want the one of the committed create: %+v", len(p.Entries), p.Entries)
		}
		got := p.Entries[0]
		if got.Op != audit.OpCreateGroup || got.ActorID != u[0] || got.GroupID != g.ID || got.RequestID != "req-1" ||
			got.Outcome != audit.OutcomeOK || len(got.Targets) != 0 || got.Time.UnixMicro() != g.CreateTime.UnixMicro() {
			t.Errorf("entry %+v", got)
		}
	})
}

// TestAuditRoundTrips: on PostgreSQL the entry goes out in the COMMIT batch: an operation costs the round trips it costs without
// the audit log (TestRoundTrips).
func TestAuditRoundTrips(t *testing.T) {
	e := newAuditEnv(t, testdb.DialectPostgres, testdb.Postgres(t))
	u := testapp.CreateUsers(t, e.db, 3)
	owner := groups.UserActor(u[0], "")
	var g groups.Group
	for _, c := range []struct {
		name string
		want int64
		op   func() error
	}{
		{"create", 1, func() (err error) {
			g, err = e.svc.CreateGroup(ctx, owner, groups.CreateGroupRequest{Name: "rt", Open: ptr(true)})
			return err
		}},
		{"add", 2, func() error {
			return e.svc.AddUsers(ctx, owner, groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{u[1], u[2]}})
		}},
		{"kick", 2, func() error {
			return e.svc.KickUsers(ctx, owner, groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{u[1]}})
		}},
		{"join", 2, func() error {
			return e.svc.JoinGroup(ctx, groups.UserActor(u[1], ""), groups.JoinGroupRequest{GroupID: g.ID})
		}},
	} {
		before := e.st.RoundTrips()
		if err := c.op(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := e.st.RoundTrips() - before; got != c.want {
			t.Errorf("%s: %d round trips, want %d", c.name, got, c.want)
		}
	}
	p, err := e.log.List(ctx, audit.ListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, en := range p.Entries {
		got = append(got, fmt.Sprint(en.Op, " ", en.Targets))
	}
	want := []string{"join_group []", fmt.Sprint("kick_group_users ", []string{u[1]}),
		fmt.Sprint("add_group_users ", []string{u[1], u[2]}), "create_group []"}
	if !slices.Equal(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
}

// TestAuditPurge: Purge deletes the entries older than the retention, in
// batches, and keeps the rest; a retention of 0 keeps everything.
func TestAuditPurge(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := newAuditEnv(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 3)
		at := func(d time.Time) { e.clock.Store(&d) }
		now := time.Now().UTC()
		at(now.Add(-100 * 24 * time.Hour))
		g, err := e.svc.CreateGroup(ctx, groups.UserActor(u[0], ""), groups.CreateGroupRequest{Name: "old", Open: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.AddUsers(ctx, groups.SystemActor(), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: u[1:]}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			if err := e.svc.PromoteUsers(ctx, groups.SystemActor(), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: u[1:2]}); err != nil {
				t.Fatal(err)
			}
			if err := e.svc.DemoteUsers(ctx, groups.SystemActor(), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: u[1:2]}); err != nil {
				t.Fatal(err)
			}
		}
		at(now)
		if err := e.svc.KickUsers(ctx, groups.SystemActor(), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: u[2:]}); err != nil {
			t.Fatal(err)
		}
		if n, err := e.log.Purge(ctx, 0); n != 0 || err != nil {
			t.Fatalf("purge with retention 0: %d, %v", n, err)
		}
		if n := e.count(t, "audit_log"); n != 13 {
			t.Fatalf("%d entries before the purge, want 13", n)
		}
		// Batches of 5: 12 old entries take three statements, the last short.
		n, err := e.st.PurgeAudit(ctx, now.Add(-90*24*time.Hour), 5)
		if err != nil || n != 12 {
			t.Fatalf("purge: %d, %v; want the 12 old entries", n, err)
		}
		p, err := e.log.List(ctx, audit.ListRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Entries) != 1 || p.Entries[0].Op != audit.OpKickUsers {
			t.Errorf("left %+v, want the kick", p.Entries)
		}
		if n, err := e.log.Purge(ctx, 90*24*time.Hour); n != 0 || err != nil {
			t.Errorf("purging again: %d, %v", n, err)
		}
	})
}
