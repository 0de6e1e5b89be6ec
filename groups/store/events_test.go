package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// recorder is a subscriber keeping every published batch.
type recorder struct {
	mu      sync.Mutex
	batches [][]groups.Event
}

func (r *recorder) subscribe(ctx context.Context, events []groups.Event) {
	r.mu.Lock()
	r.batches = append(r.batches, events)
	r.mu.Unlock()
}

// take returns the batches published since the last take, each described as
// "Type[targets]" with names for the user ids, and checks every event's meta.
func (r *recorder) take(t *testing.T, groupID string, names map[string]string) []string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.batches {
		var d []string
		for _, e := range b {
			m := e.Meta()
			if m.GroupID != groupID || m.Time.IsZero() {
				t.Errorf("%T: meta %+v, want group %s and a time", e, m, groupID)
			}
			d = append(d, describe(e, names))
		}
		out = append(out, strings.Join(d, " "))
	}
	r.batches = nil
	return out
}

func (r *recorder) drop() {
	r.mu.Lock()
	r.batches = nil
	r.mu.Unlock()
}

func describe(e groups.Event, names map[string]string) string {
	n := func(ids []string) string {
		var s []string
		for _, id := range ids {
			s = append(s, names[id])
		}
		return strings.Join(s, ",")
	}
	actor := names[e.Meta().ActorID]
	switch e := e.(type) {
	case groups.GroupCreated:
		return "GroupCreated(" + actor + ")[" + names[e.OwnerID] + "]"
	case groups.GroupUpdated:
		return "GroupUpdated(" + actor + ")" + e.Group.Name
	case groups.GroupDeleted:
		return "GroupDeleted(" + actor + ")"
	case groups.MemberJoined:
		return "MemberJoined(" + actor + ")"
	case groups.MemberLeft:
		return "MemberLeft(" + actor + ")"
	case groups.JoinRequested:
		return "JoinRequested(" + actor + ")[" + n(e.Admins) + "]"
	case groups.MembersAdded:
		return "MembersAdded(" + actor + ")[" + n(e.Targets) + "]"
	case groups.RequestsAccepted:
		return "RequestsAccepted(" + actor + ")[" + n(e.Targets) + "]"
	case groups.MembersKicked:
		return "MembersKicked(" + actor + ")[" + n(e.Targets) + "]"
	case groups.MembersBanned:
		return "MembersBanned(" + actor + ")[" + n(e.Targets) + "]"
	case groups.MembersUnbanned:
		return "MembersUnbanned(" + actor + ")[" + n(e.Targets) + "]"
	case groups.MembersPromoted:
		return "MembersPromoted(" + actor + ")[" + n(e.Targets) + "]"
	case groups.MembersDemoted:
		return "MembersDemoted(" + actor + ")[" + n(e.Targets) + "]"
	}
	return fmt.Sprintf("%T", e)
}

// TestEventsPublishedAfterCommit: each operation publishes its events once,
// after its commit; a refused or rolled-back one publishes none.
func TestEventsPublishedAfterCommit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		rec := &recorder{}
		e.svc.Subscribe(rec.subscribe)
		u := testapp.CreateUsers(t, e.db, 5)
		owner, ann, bob, cat, dan := u[0], u[1], u[2], u[3], u[4]
		names := map[string]string{owner: "owner", ann: "ann", bob: "bob", cat: "cat", dan: "dan", "": "system"}
		g := e.create(owner, "closed", false, 3)
		e.create(owner, "other", true, 0)
		rec.drop() // creations are checked below, on a group of their own
		users := func(ids ...string) groups.GroupUsersRequest {
			return groups.GroupUsersRequest{GroupID: g.ID, UserIDs: ids}
		}
		want := func(step string, batches ...string) {
			t.Helper()
			if got := rec.take(t, g.ID, names); !slices.Equal(got, batches) {
				t.Fatalf("%s: published %q, want %q", step, got, batches)
			}
		}
		newName := "Closed"

		ok(t, e.svc.JoinGroup(ctx, groups.UserActor(ann, "ann"), groups.JoinGroupRequest{GroupID: g.ID}))
		want("join request", "JoinRequested(ann)[owner]")
		ok(t, e.svc.JoinGroup(ctx, groups.UserActor(ann, "ann"), groups.JoinGroupRequest{GroupID: g.ID}))
		want("repeated join request: nothing happens")
		ok(t, e.svc.AddUsers(ctx, user(owner), users(ann, bob)))
		want("add", "MembersAdded(owner)[bob] RequestsAccepted(owner)[ann]")
		ok(t, e.svc.PromoteUsers(ctx, user(owner), users(ann, bob)))
		want("promote", "MembersPromoted(owner)[ann,bob]")
		ok(t, e.svc.DemoteUsers(ctx, user(owner), users(bob)))
		want("demote", "MembersDemoted(owner)[bob]")
		ok(t, e.svc.BanUsers(ctx, user(ann), users(bob)))
		want("ban", "MembersBanned(ann)[bob]")
		ok(t, e.svc.UnbanUsers(ctx, user(ann), users(bob, owner)))
		want("unban skips the non-banned", "MembersUnbanned(ann)[bob]")
		ok(t, e.svc.UpdateGroup(ctx, user(owner), groups.UpdateGroupRequest{GroupID: g.ID, Name: &newName}))
		want("update", "GroupUpdated(owner)Closed")
		ok(t, e.svc.KickUsers(ctx, groups.SystemActor(), users(ann)))
		want("kick by the system", "MembersKicked(system)[ann]")

		// Refused: nothing happened, nothing is published.
		wantCode(t, e.svc.KickUsers(ctx, user(bob), users(owner)), errs.CodeNotFound, "")
		wantCode(t, e.svc.AddUsers(ctx, user(owner), users(ann, bob, cat)), errs.CodeInvalidArgument, "Group is full.")
		taken := "other"
		wantCode(t, e.svc.UpdateGroup(ctx, user(owner), groups.UpdateGroupRequest{GroupID: g.ID, Name: &taken}),
			errs.CodeInvalidArgument, "Group name is in use.")
		wantCode(t, e.svc.DeleteGroup(ctx, user(bob), groups.GroupRequest{GroupID: g.ID}), errs.CodeInvalidArgument, "")
		want("refused and rolled back")
		if n := e.countRows("SELECT count(*) FROM notifications WHERE user_id = ?", cat); n != 0 {
			t.Fatalf("%d -4 notifications of the rolled-back add", n)
		}

		ok(t, e.svc.AddUsers(ctx, user(owner), users(dan)))
		want("add", "MembersAdded(owner)[dan]")
		ok(t, e.svc.LeaveGroup(ctx, user(dan), groups.GroupRequest{GroupID: g.ID}))
		want("leave", "MemberLeft(dan)")
		ok(t, e.svc.LeaveGroup(ctx, user(owner), groups.GroupRequest{GroupID: g.ID}))
		want("the last member leaves", "MemberLeft(owner) GroupDeleted(owner)")

		g = e.create(owner, "open", true, 0)
		want("create", "GroupCreated(owner)[owner]")
		ok(t, e.svc.JoinGroup(ctx, user(cat), groups.JoinGroupRequest{GroupID: g.ID}))
		want("join", "MemberJoined(cat)")
		ok(t, e.svc.DeleteGroup(ctx, user(owner), groups.GroupRequest{GroupID: g.ID}))
		want("delete", "GroupDeleted(owner)")
	})
}

// retryOnce is a Store whose first transaction attempt fails retryably after
// fn ran (as a serialization failure at COMMIT would).
type retryOnce struct {
	*store.Groups
	mu    sync.Mutex
	tried bool
}

func (r *retryOnce) Tx(ctx context.Context, fn func(groups.Tx) error, committed func([]groups.Event)) error {
	return r.Groups.Tx(ctx, func(tx groups.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if !r.tried {
			r.tried = true
			return &pgconn.PgError{Code: "40001"}
		}
		return nil
	}, committed)
}

// TestEventsRetriedOnce: an operation whose first attempt is retried
// publishes its events once, and writes its notifications once.
func TestEventsRetriedOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		st := &retryOnce{Groups: store.NewGroups(e.db)}
		svc := groups.NewService(st)
		rec := &recorder{}
		svc.Subscribe(rec.subscribe)
		u := testapp.CreateUsers(t, e.db, 2)
		g := e.create(u[0], "closed", false, 0)
		ok(t, svc.JoinGroup(ctx, groups.UserActor(u[1], "ann"), groups.JoinGroupRequest{GroupID: g.ID}))
		if !st.tried {
			t.Fatal("the transaction was not retried")
		}
		got := rec.take(t, g.ID, map[string]string{u[0]: "owner", u[1]: "ann"})
		if !slices.Equal(got, []string{"JoinRequested(ann)[owner]"}) {
			t.Fatalf("published %q, want one JoinRequested", got)
		}
		if n := e.countRows("SELECT count(*) FROM notifications WHERE user_id = ?", u[0]); n != 1 {
			t.Fatalf("%d notifications to the owner, want 1", n)
		}
	})
}
