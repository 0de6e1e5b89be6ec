package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestTxPortIsHonest runs the same sequences of port calls on both databases:
// a write that violates a constraint is reported by the next read (and by
// every read after it, and by Store.Tx), or by Store.Tx when no read follows,
// never earlier on one database than on the other; nothing of the
// transaction is committed and the committed step is not called.
func TestTxPortIsHonest(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		st := store.NewGroups(e.db)
		u := testapp.CreateUsers(t, e.db, 2)
		g := e.create(u[0], "taken", true, 1)
		now := time.Now().UTC()
		newGroup := func(name string) groups.Group {
			return groups.Group{ID: uuid.NewString(), Name: name,
				LangTag: "en", Metadata: "{}", EdgeCount: 1, MaxCount: 10, CreateTime: now, UpdateTime: now}
		}
		unknownUser := "6ba7b810-9dad-41d1-80b4-00c04fd430c8"

		cases := []struct {
			name string
			fn   func(tx groups.Tx) (readErr, laterErr error)
			want error
		}{
			{"unique violation, then reads", func(tx groups.Tx) (error, error) {
				tx.InsertGroup(ctx, newGroup("fresh"))
				tx.InsertGroup(ctx, newGroup("TAKEN")) // name_key collides
				_, err := tx.CountState(ctx, g.ID, groups.Superadmin)
				_, later := tx.Usernames(ctx, []string{u[0]})
				return err, later
			}, groups.ErrNameTaken},
			{"foreign key violation, then a read", func(tx groups.Tx) (error, error) {
				tx.InsertMember(ctx, g.ID, unknownUser, groups.Member, now)
				_, err := tx.StateUsers(ctx, g.ID, groups.Superadmin)
				_, later := tx.CountState(ctx, g.ID, groups.Member)
				return err, later
			}, groups.ErrNotFound},
			{"check violation, no read after", func(tx groups.Tx) (error, error) {
				if _, err := tx.Lock(ctx, groups.LockQuery{GroupID: g.ID}); err != nil {
					return err, err
				}
				tx.AddEdgeCount(ctx, g.ID, 1, now) // max_count 1
				return nil, nil
			}, groups.ErrFull},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var readErr, laterErr error
				committed := false
				err := st.Tx(ctx, func(tx groups.Tx) error {
					readErr, laterErr = c.fn(tx)
					return readErr
				}, func([]groups.Event) { committed = true })
				if c.name != "check violation, no read after" {
					if !errors.Is(readErr, c.want) || !errors.Is(laterErr, c.want) {
						t.Fatalf("reads after the write: %v, then %v; want %v from both", readErr, laterErr, c.want)
					}
				} else if readErr != nil {
					t.Fatalf("read before the write: %v", readErr)
				}
				if !errors.Is(err, c.want) || committed {
					t.Fatalf("Store.Tx: %v (committed step called: %v), want %v and no committed step", err, committed, c.want)
				}
				if n := e.countRows("SELECT count(*) FROM groups"); n != 1 {
					t.Fatalf("%d groups after the failed transaction, want 1", n)
				}
				if got := e.group(g.ID); got.EdgeCount != 1 {
					t.Fatalf("edge_count %d after the failed transaction", got.EdgeCount)
				}
			})
		}
	})
}

// TestTxRetry: a retryable failure (a serialization failure, as PostgreSQL
// reports it) runs fn again; only the attempt that commits reaches the
// committed step, once. A context cancelled meanwhile stops the retries.
func TestTxRetry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		st := store.NewGroups(e.db)
		u := testapp.CreateUsers(t, e.db, 1)
		g := e.create(u[0], "retried", true, 10)
		serialization := &pgconn.PgError{Code: "40001"}

		attempts := 0
		var published [][]groups.Event
		err := st.Tx(ctx, func(tx groups.Tx) error {
			attempts++
			tx.Record(groups.MemberLeft{EventMeta: groups.EventMeta{GroupID: g.ID, ActorID: itoa(attempts)}})
			if _, err := tx.Lock(ctx, groups.LockQuery{GroupID: g.ID}); err != nil {
				return err
			}
			if attempts < 3 {
				return serialization
			}
			return nil
		}, func(ev []groups.Event) { published = append(published, ev) })
		ok(t, err)
		if attempts != 3 || len(published) != 1 || len(published[0]) != 1 || published[0][0].Meta().ActorID != "3" {
			t.Fatalf("%d attempts, published %v; want 3 attempts and the third one's event once", attempts, published)
		}

		c, cancel := context.WithCancel(ctx)
		attempts = 0
		err = st.Tx(c, func(tx groups.Tx) error {
			attempts++
			cancel()
			return serialization
		}, func([]groups.Event) { t.Error("committed step after a failure") })
		if !errors.Is(err, context.Canceled) || attempts != 1 {
			t.Fatalf("cancelled during the retries: %v after %d attempts, want context.Canceled after 1", err, attempts)
		}
		err = st.Tx(c, func(groups.Tx) error { t.Error("fn ran with a cancelled context"); return nil }, nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled context: %v", err)
		}
	})
}
