package server

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestSessionPurgeGoroutine: the goroutine Run starts deletes expired sessions
// on its own, and its stop function waits for it to end.
func TestSessionPurgeGoroutine(t *testing.T) {
	t.Parallel()
	c := DefaultConfig()
	c.DataDir = t.TempDir()
	c.SessionPurgeInterval = 10 * time.Millisecond
	srv, err := New(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.DB.Close()
	db := srv.DB.Write
	now := time.Now()
	uid := uuid.NewString()
	if err := db.Exec(`INSERT INTO users (id, username, username_key, create_time, update_time) VALUES (?, 'p', 'p', ?, ?)`,
		uid, now.UnixMicro(), now.UnixMicro()).Error; err != nil {
		t.Fatal(err)
	}
	insert := func(expires time.Time) {
		if err := db.Exec(`INSERT INTO user_sessions (token_id, user_id, vars, expires_at, revoked) VALUES (?, ?, '{}', ?, ?)`,
			uuid.NewString(), uid, expires.UnixMicro(), false).Error; err != nil {
			t.Fatal(err)
		}
	}
	insert(now.Add(time.Hour))
	stop := srv.startSessionPurge(context.Background())
	defer stop()
	// Inserted after the first pass: only a later tick can delete it.
	insert(now.Add(-time.Minute))
	deadline := time.Now().Add(10 * time.Second)
	for {
		var expired, live int64
		db.Raw("SELECT COUNT(*) FROM user_sessions WHERE expires_at < ?", now.UnixMicro()).Scan(&expired)
		db.Raw("SELECT COUNT(*) FROM user_sessions WHERE expires_at >= ?", now.UnixMicro()).Scan(&live)
		if live != 1 {
			t.Fatalf("%d live sessions, want 1", live)
		}
		if expired == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired session was not purged within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
}

// TestAuditPurgeGoroutine: the goroutine Run starts deletes audit entries past
// the retention on its own and keeps the others.
func TestAuditPurgeGoroutine(t *testing.T) {
	t.Parallel()
	c := DefaultConfig()
	c.DataDir = t.TempDir()
	c.AuditRetention = time.Hour
	c.AuditPurgeInterval = 10 * time.Millisecond
	srv, err := New(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.DB.Close()
	db := srv.DB.Write
	now := time.Now()
	insert := func(at time.Time) {
		if err := db.Exec(`INSERT INTO audit_log (create_time, actor_id, op, group_id, outcome)
			VALUES (?, 'system', 'delete_group', ?, 'ok')`, at.UnixMicro(), uuid.NewString()).Error; err != nil {
			t.Fatal(err)
		}
	}
	insert(now.Add(-3 * time.Hour))
	stop := srv.startAuditPurge(context.Background())
	defer stop()
	// Inserted (in time order, as entries are) once the goroutine runs: the
	// old one is deleted by a pass after the first, or by the first.
	insert(now.Add(-2 * time.Hour))
	insert(now)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var old, kept int64
		db.Raw("SELECT COUNT(*) FROM audit_log WHERE create_time < ?", now.UnixMicro()).Scan(&old)
		db.Raw("SELECT COUNT(*) FROM audit_log WHERE create_time >= ?", now.UnixMicro()).Scan(&kept)
		if kept != 1 {
			t.Fatalf("%d recent entries, want 1", kept)
		}
		if old == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the old entry was not purged within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
}

// TestIdempotencyPurgeGoroutine: the goroutine Run starts deletes expired
// idempotency keys and keeps live ones.
func TestIdempotencyPurgeGoroutine(t *testing.T) {
	t.Parallel()
	c := DefaultConfig()
	c.DataDir = t.TempDir()
	srv, err := New(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.DB.Close()
	db := srv.DB.Write
	now := time.Now()
	insert := func(key string, expires time.Time) {
		if err := db.Exec(`INSERT INTO idempotency_keys (user_id, idem_key, request_hash, status, create_time, expire_time)
			VALUES (?, ?, 'h', 200, ?, ?)`, uuid.NewString(), key, now.UnixMicro(), expires.UnixMicro()).Error; err != nil {
			t.Fatal(err)
		}
	}
	insert("live", now.Add(time.Hour))
	insert("expired", now.Add(-time.Minute))
	stop := srv.startIdempotencyPurge(context.Background())
	defer stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var keys []string
		db.Raw("SELECT idem_key FROM idempotency_keys ORDER BY idem_key").Scan(&keys)
		if len(keys) == 1 && keys[0] == "live" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("keys %q 10 s after the purge started, want [live]", keys)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
}
