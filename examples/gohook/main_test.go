package main

import (
	"context"
	"log/slog"
	"testing"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

func TestLockedGroupRefusesJoins(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		app := testapp.New(t, dialect, url)
		Register(app.Hooks, app.Groups, slog.Default())
		app.Start(t)
		owner, joiner := app.Session(t, "owner-device-1"), app.Session(t, "joiner-device-1")
		var g struct{ ID string }
		app.Do(t, "POST", "/v2/group", owner.Token, `{"name":"vault","open":true}`, 200, &g)
		app.Do(t, "PUT", "/v2/server/group/"+g.ID+"?http_key="+testapp.HTTPKey, "", `{"metadata":"{\"locked\":true}"}`, 200, nil)
		var e struct {
			Code    int
			Message string
		}
		app.Do(t, "POST", "/v2/group/"+g.ID+"/join", joiner.Token, "", 400, &e)
		if e.Code != 9 || e.Message != "This group is locked." {
			t.Fatalf("locked join: %+v", e)
		}
		l, err := app.Groups.ListGroupUsers(context.Background(), groups.ListGroupUsersRequest{GroupID: g.ID})
		if err != nil || len(l.GroupUsers) != 1 {
			t.Fatalf("the refused join wrote a member: %v %v", l.GroupUsers, err)
		}
		app.Do(t, "PUT", "/v2/server/group/"+g.ID+"?http_key="+testapp.HTTPKey, "", `{"metadata":"{}"}`, 200, nil)
		app.Do(t, "POST", "/v2/group/"+g.ID+"/join", joiner.Token, "", 200, nil)
	})
}
