package store_test

import (
	"testing"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/inbox"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

func TestNotifications(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		u := testapp.CreateUsers(t, e.db, 3)
		owner, joiner, other := u[0], u[1], u[2]
		g := e.create(owner, "closed", false, 0)
		ok(t, e.svc.JoinGroup(ctx, groups.UserActor(joiner, "jo"), groups.JoinGroupRequest{GroupID: g.ID}))
		ok(t, e.svc.AddUsers(ctx, user(owner), groups.GroupUsersRequest{GroupID: g.ID, UserIDs: []string{joiner}}))
		ok(t, e.inbox.Send(ctx, inbox.Notification{UserID: joiner, Subject: "hi", Content: `{"a":1}`, Code: 7}))
		wantCode(t, e.inbox.Send(ctx, inbox.Notification{UserID: joiner, Subject: "x", Code: -4}),
			errs.CodeInvalidArgument, "")

		l, err := e.inbox.List(ctx, owner, 10, "")
		ok(t, err)
		if len(l.Notifications) != 1 || l.Notifications[0].Code != groups.NotifyGroupJoinRequest ||
			l.Notifications[0].SenderID != joiner || l.Notifications[0].Content != `{"group_id":"`+g.ID+`","username":"jo"}` {
			t.Fatalf("owner's notifications: %+v", l.Notifications)
		}
		// The joiner pages one at a time (Nakama's default limit 1), oldest first.
		var codes []int
		cursor := ""
		for i := 0; i < 3; i++ {
			l, err := e.inbox.List(ctx, joiner, 0, cursor)
			ok(t, err)
			for _, n := range l.Notifications {
				codes = append(codes, n.Code)
			}
			if l.Cursor == "" {
				t.Fatal("a cursor is always returned")
			}
			cursor = l.Cursor
		}
		if len(codes) != 2 || codes[0] != groups.NotifyGroupAdd || codes[1] != 7 {
			t.Fatalf("joiner's notifications: %v", codes)
		}
		_, err = e.inbox.List(ctx, joiner, 0, "%%%")
		wantCode(t, err, errs.CodeInvalidArgument, "Malformed cursor was used.")

		// Deleting only touches the caller's own rows.
		id := l.Notifications[0].ID
		ok(t, e.inbox.Delete(ctx, other, []string{id}))
		if l, _ := e.inbox.List(ctx, owner, 10, ""); len(l.Notifications) != 1 {
			t.Fatal("another user deleted the owner's notification")
		}
		ok(t, e.inbox.Delete(ctx, owner, []string{id}))
		if l, _ := e.inbox.List(ctx, owner, 10, ""); len(l.Notifications) != 0 {
			t.Fatal("delete did not delete")
		}
		wantCode(t, e.inbox.Delete(ctx, owner, []string{"nope"}), errs.CodeInvalidArgument, "")
	})
}

// TestSendToUnknownUser: the recipient's foreign key refuses a notification to
// a user that does not exist, as the read before the insert did: 404, nothing
// written, on both databases.
func TestSendToUnknownUser(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		e := setup(t, dialect, url)
		sender := testapp.CreateUsers(t, e.db, 1)[0]
		unknown := "6ba7b810-9dad-41d1-80b4-00c04fd430c8"
		wantCode(t, e.inbox.Send(ctx, inbox.Notification{UserID: unknown, SenderID: sender, Subject: "s", Code: 1}),
			errs.CodeNotFound, "User not found.")
		if n := e.countRows("SELECT count(*) FROM notifications"); n != 0 {
			t.Fatalf("%d notifications written", n)
		}
		ok(t, e.inbox.Send(ctx, inbox.Notification{UserID: sender, SenderID: unknown, Subject: "s", Code: 1}))
	})
}
