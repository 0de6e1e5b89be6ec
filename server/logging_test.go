package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/syncbuf"
)

// TestHookLogCarriesRequestID: a server built by New logs, from below the API
// (here the hook pipeline reporting a failed after hook), with the request's
// request_id, though the logger it was given knows nothing of requests.
func TestHookLogCarriesRequestID(t *testing.T) {
	t.Parallel()
	var sink syncbuf.Buffer
	c := DefaultConfig()
	c.DataDir = t.TempDir()
	srv, err := New(context.Background(), c, slog.New(slog.NewJSONHandler(&sink, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.DB.Close()
	hooks.CreateGroup.After(srv.Hooks, func(context.Context, *hooks.Caller, *groups.CreateGroupRequest, *groups.Group) error {
		return errors.New("after hook fails")
	})
	sess, err := srv.Accounts.AuthenticateDevice(context.Background(), accounts.AuthRequest{ID: "device-log-0001"})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/v2/group", strings.NewReader(`{"name":"logged"}`))
	req.Header.Set("Authorization", "Bearer "+sess.Token)
	req.Header.Set("Content-Type", "application/json")
	res, err := srv.App().Test(req, -1)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("create group: %v %v", res, err)
	}
	recs, err := sink.JSONLines()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if rec["msg"] == "after hook failed" {
			if id, _ := rec["request_id"].(string); len(id) != 16 {
				t.Fatalf("the hook's log line has no request id: %v", rec)
			}
			return
		}
	}
	t.Fatalf("no after-hook line logged:\n%s", sink.String())
}
