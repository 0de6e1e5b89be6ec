package store_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/idempotency"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestIdempotencyProtocol runs the key protocol on the real store: replay of
// a stored answer, refusal of another request, release on a server error,
// waiting on a pending key until the deadline, takeover after the lease,
// reuse after expiry, and the purge.
func TestIdempotencyProtocol(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		db := testapp.OpenDB(t, dialect, url)
		st := store.NewGroups(db)
		var clock atomic.Pointer[time.Time]
		now := time.Now().UTC()
		clock.Store(&now)
		at := func(d time.Duration) { t := now.Add(d); clock.Store(&t) }
		svc := idempotency.New(st, idempotency.WithTTL(time.Hour), idempotency.WithLease(time.Minute),
			idempotency.WithClock(func() time.Time { return *clock.Load() }))
		u := testapp.CreateUsers(t, db, 2)
		count := func() int {
			var n int64
			if err := db.Read.Raw("SELECT count(*) FROM idempotency_keys").Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		begin := func(user, key, hash string) *idempotency.Claim {
			t.Helper()
			c, err := svc.Begin(ctx, user, key, hash)
			if err != nil {
				t.Fatalf("begin %s: %v", key, err)
			}
			return c
		}

		c := begin(u[0], "k1", "h1")
		if c.Replay() != nil {
			t.Fatal("a new key replays")
		}
		if err := c.Finish(ctx, 200, []byte(`{"id":"x"}`)); err != nil {
			t.Fatal(err)
		}
		if r := begin(u[0], "k1", "h1").Replay(); r == nil || r.Status != 200 || string(r.Body) != `{"id":"x"}` {
			t.Fatalf("replay %+v", r)
		}
		if _, err := svc.Begin(ctx, u[0], "k1", "h2"); !isCode(err, errs.CodeInvalidArgument, "Idempotency key was used for a different request.") {
			t.Fatalf("another request with k1: %v", err)
		}
		if r := begin(u[1], "k1", "h2").Replay(); r != nil { // keys are per user
			t.Fatalf("another user's k1 replays %+v", r)
		}

		// A server error releases the key: the retry runs.
		c = begin(u[0], "k2", "h")
		if err := c.Finish(ctx, 503, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		c = begin(u[0], "k2", "h")
		if c.Replay() != nil {
			t.Fatal("a released key replays")
		}
		// Pending: a second request waits until its deadline, then 409. The
		// deadline leaves room for the reservation's own statement on a busy
		// machine (50 ms once ran out inside it on SQLite during make test).
		wctx, cancel := context.WithTimeout(ctx, 400*time.Millisecond)
		_, err := svc.Begin(wctx, u[0], "k2", "h")
		cancel()
		if !isCode(err, errs.CodeAborted, "A request with this idempotency key is still in progress.") {
			t.Fatalf("pending key: %v", err)
		}
		// Past the lease the pending key is taken over, once.
		at(2 * time.Minute)
		if r := begin(u[0], "k2", "h").Replay(); r != nil {
			t.Fatalf("takeover replays %+v", r)
		}
		if err := c.Finish(ctx, 200, []byte(`{"late":true}`)); err != nil { // the old holder's answer is dropped
			t.Fatal(err)
		}
		wctx, cancel = context.WithTimeout(ctx, 400*time.Millisecond)
		_, err = svc.Begin(wctx, u[0], "k2", "h")
		cancel()
		if !isCode(err, errs.CodeAborted, "A request with this idempotency key is still in progress.") {
			t.Fatalf("after the takeover: %v", err)
		}

		// Expired keys are reserved anew, and purged.
		at(2 * time.Hour)
		if r := begin(u[0], "k1", "h9").Replay(); r != nil {
			t.Fatalf("expired key replays %+v", r)
		}
		if n := count(); n != 3 {
			t.Fatalf("%d rows, want 3", n)
		}
		n, err := svc.Purge(ctx)
		if err != nil || n != 2 { // u[1]'s k1 and k2 expired; u[0]'s k1 was renewed
			t.Fatalf("purge: %d, %v; want 2", n, err)
		}
		if n := count(); n != 1 {
			t.Errorf("%d rows after the purge, want 1", n)
		}

		// Bad keys.
		for _, k := range []string{"", string(make([]byte, 65)), "tab\tkey", "é"} {
			if _, err := svc.Begin(ctx, u[0], k, "h"); !isCode(err, errs.CodeInvalidArgument, "") {
				t.Errorf("key %q: %v", k, err)
			}
		}
	})
}

// isCode reports whether err is a coded error with code (and message, unless empty).
func isCode(err error, code errs.Code, msg string) bool {
	e, ok := errs.AsError(err)
	return ok && e.Code == code && (msg == "" || e.Message == msg)
}
