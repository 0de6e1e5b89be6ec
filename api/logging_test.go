package api_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/api"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/syncbuf"
)

// TestLogLinesCarryRequestID: every record logged with a request's context —
// by the api itself and by code below it (an RPC function here, as hooks and
// runtimes do) — carries that request's request_id, once, and two requests
// get different ids. Wrapping twice adds it once.
func TestLogLinesCarryRequestID(t *testing.T) {
	var sink syncbuf.Buffer
	log := slog.New(api.LogHandler(api.LogHandler(slog.NewJSONHandler(&sink, nil))))
	reg := hooks.New(log)
	reg.RegisterRPC("logs", func(ctx context.Context, _ *hooks.Caller, _ string) (string, error) {
		log.With("component", "rpc").InfoContext(ctx, "inside the rpc")
		return "", errors.New("uncoded failure") // the api logs it as well
	})
	app := api.New(api.Config{ServerKey: "sk", HTTPKey: "hk", Logger: log}, nil, nil, reg)
	for range 2 {
		res, err := app.Test(httptest.NewRequest("POST", "/v2/rpc/logs?http_key=hk&unwrap=true", strings.NewReader("x")), -1)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 500 {
			t.Fatalf("status %d, want the RPC's 500", res.StatusCode)
		}
	}
	lines, err := sink.JSONLines()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	for _, l := range lines {
		id, _ := l["request_id"].(string)
		if len(id) != 16 {
			t.Fatalf("log line without a request id: %v", l)
		}
		ids[id]++
	}
	if len(lines) != 4 || len(ids) != 2 || ids[lines[0]["request_id"].(string)] != 2 {
		t.Fatalf("want two lines for each of two requests, each request its own id: %v", lines)
	}
	// A logger passed in unwrapped is wrapped by api.New, once.
	var raw syncbuf.Buffer
	plain := slog.New(slog.NewJSONHandler(&raw, nil))
	app = api.New(api.Config{ServerKey: "sk", HTTPKey: "hk", Logger: plain}, nil, nil, reg)
	res, err := app.Test(httptest.NewRequest("POST", "/v2/rpc/logs?http_key=hk&unwrap=true", strings.NewReader("x")), -1)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if n := strings.Count(raw.String(), `"request_id"`); n != 1 {
		t.Fatalf("the api's own line has request_id %d times: %s", n, raw.String())
	}
}
