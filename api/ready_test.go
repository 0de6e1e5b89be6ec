package api_test

import "testing"

// TestReadyz: GET /readyz answers {} while the database answers, and 503
// code 14 in the error shape once it does not (here: its pools closed).
func TestReadyz(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		if r := e.do("GET", "/readyz", noAuth, ""); r.status != 200 || string(r.raw) != "{}" {
			t.Fatalf("ready: %d %s", r.status, r.raw)
		}
		if err := e.app.DB.Close(); err != nil {
			t.Fatal(err)
		}
		r := e.do("GET", "/readyz", noAuth, "")
		if r.status != 503 || string(r.raw) != `{"code":14,"message":"Database unavailable."}` {
			t.Fatalf("database closed: %d %s, want 503 code 14", r.status, r.raw)
		}
		if r := e.do("GET", "/healthcheck", noAuth, ""); r.status != 200 {
			t.Fatalf("/healthcheck must stay Nakama's {}: %d %s", r.status, r.raw)
		}
	})
}
