package api_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/internal/testapp"
)

func key(k string) map[string]string { return map[string]string{"Idempotency-Key": k} }

// TestIdempotentRetry: a retried create with the same key returns the same
// group (replayed, marked) and creates one; the key refuses a different body,
// path or method; keys are per user; a refusal is replayed too; bad keys are
// 400s; requests without a key store nothing.
func TestIdempotentRetry(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob")
		body := `{"name":"retried","open":true}`
		first := e.doWith("POST", "/v2/group", as("alice"), body, key("create-1"))
		if first.status != 200 || first.str("id") == "" {
			t.Fatalf("first create: %d %s", first.status, first.raw)
		}
		if first.header.Get("Idempotent-Replayed") != "" {
			t.Error("the first answer is marked replayed")
		}
		e.ids["g"] = first.str("id")
		again := e.doWith("POST", "/v2/group", as("alice"), body, key("create-1"))
		if again.status != 200 || string(again.raw) != string(first.raw) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry: %d %s (replayed %q), want the first answer %s", again.status, again.raw,
				again.header.Get("Idempotent-Replayed"), first.raw)
		}
		if n := e.sqlInt(t, "SELECT count(*) FROM groups WHERE name = 'retried'"); n != 1 {
			t.Fatalf("%d groups created, want 1", n)
		}
		if n := e.sqlInt(t, "SELECT count(*) FROM audit_log WHERE op = 'create_group'"); n != 1 {
			t.Errorf("%d create entries in the audit log, want 1", n)
		}

		mismatch := fail(errs.CodeInvalidArgument, "Idempotency key was used for a different request.")
		for _, c := range []struct{ method, path, body string }{
			{"POST", "/v2/group", `{"name":"other","open":true}`},
			{"POST", "/v2/group/{g}/leave", ""},
			{"PUT", "/v2/group/{g}", `{"name":"retried","open":true}`},
			{"DELETE", "/v2/group/{g}", ""},
		} {
			r := e.doWith(c.method, e.expand(c.path), as("alice"), c.body, key("create-1"))
			if r.status != 400 {
				t.Errorf("%s %s with a used key: %d %s", c.method, c.path, r.status, r.raw)
				continue
			}
			e.checkFields(t, r, mismatch, nil)
		}
		if n := e.sqlInt(t, "SELECT count(*) FROM groups"); n != 1 {
			t.Errorf("refused requests created groups: %d", n)
		}

		// Bob's create-1 is his own key.
		r := e.doWith("POST", "/v2/group", as("bob"), `{"name":"bobs","open":true}`, key("create-1"))
		if r.status != 200 || r.str("id") == e.ids["g"] {
			t.Fatalf("bob's create with his own key: %d %s", r.status, r.raw)
		}

		// A refusal is an answer too: replayed, the operation not run again.
		kick := e.expand("/v2/group/{g}/kick?user_ids={alice}")
		r1 := e.doWith("POST", kick, as("bob"), "", key("kick-1"))
		r2 := e.doWith("POST", kick, as("bob"), "", key("kick-1"))
		if r1.status != 404 || r2.status != 404 || string(r1.raw) != string(r2.raw) || r2.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("refused kick and its retry: %d %s / %d %s", r1.status, r1.raw, r2.status, r2.raw)
		}

		for _, k := range []string{strings.Repeat("k", 65), "two words", "clé"} {
			r := e.doWith("POST", "/v2/group", as("alice"), `{"name":"bad-key"}`, key(k))
			if r.status != 400 || r.body["code"] != float64(errs.CodeInvalidArgument) {
				t.Errorf("key %q: %d %s", k, r.status, r.raw)
			}
		}
		// An empty key is a bad key too, not a missing one.
		req := testapp.NewRequest(t, "POST", e.app.URL+"/v2/group", `{"name":"empty-key"}`)
		req.Header.Set("Authorization", "Bearer "+e.users["alice"].token)
		req.Header["Idempotency-Key"] = []string{""}
		if res := testapp.Send(t, req); res.Status != 400 || res.Body["code"] != float64(errs.CodeInvalidArgument) {
			t.Errorf("empty key: %d %s", res.Status, res.Raw)
		}
		if r := e.doWith("POST", "/v2/group", as("alice"), `{"name":"max-key"}`, key(strings.Repeat("k", 64))); r.status != 200 {
			t.Errorf("64-character key: %d %s", r.status, r.raw)
		}

		keys := e.sqlInt(t, "SELECT count(*) FROM idempotency_keys")
		e.must("POST", "/v2/group", as("alice"), `{"name":"no-key"}`)
		e.must("POST", "/v2/group/{g}/join", as("bob"), "")
		if n := e.sqlInt(t, "SELECT count(*) FROM idempotency_keys"); n != keys {
			t.Errorf("requests without a key stored %d keys", n-keys)
		}
	})
}

// TestIdempotentConcurrent: many concurrent requests with one key run the
// operation once; every one gets its answer.
func TestIdempotentConcurrent(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice")
		const n = 24
		var wg sync.WaitGroup
		answers := make([]resp, n)
		for i := range answers {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				answers[i] = e.doWith("POST", "/v2/group", as("alice"), `{"name":"once","open":true}`, key("same"))
			}(i)
		}
		wg.Wait()
		replayed := 0
		for i, r := range answers {
			if r.status != 200 || string(r.raw) != string(answers[0].raw) {
				t.Errorf("request %d: %d %s, want %s", i, r.status, r.raw, answers[0].raw)
			}
			if r.header.Get("Idempotent-Replayed") == "true" {
				replayed++
			}
		}
		if replayed != n-1 {
			t.Errorf("%d answers replayed, want %d", replayed, n-1)
		}
		if c := e.sqlInt(t, "SELECT count(*) FROM groups"); c != 1 {
			t.Errorf("%d groups created, want 1", c)
		}
		if c := e.sqlInt(t, "SELECT count(*) FROM audit_log"); c != 1 {
			t.Errorf("%d audit entries, want 1", c)
		}
	})
}
