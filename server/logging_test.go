package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// TestHookLogCarriesRequestID: a server built by New logs, from below the API
// (here the hook pipeline reporting a failed after hook), with the request's
// request_id, though the logger it was given knows nothing of requests.
func TestHookLogCarriesRequestID(t *testing.T) {
	t.Parallel()
	var sink lockedBuffer
	c := DefaultConfig()
	c.DataDir = t.TempDir()
	srv, err := New(context.Background(), c, slog.New(slog.NewJSONHandler(&sink, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.DB.Close()
	srv.Hooks.CreateGroup.After(func(context.Context, *hooks.Caller, *groups.CreateGroupRequest, *groups.Group) error {
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
	sink.mu.Lock()
	defer sink.mu.Unlock()
	for _, line := range strings.Split(strings.TrimSpace(sink.b.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == "after hook failed" {
			if id, _ := rec["request_id"].(string); len(id) != 16 {
				t.Fatalf("the hook's log line has no request id: %s", line)
			}
			return
		}
	}
	t.Fatalf("no after-hook line logged:\n%s", sink.b.String())
}
