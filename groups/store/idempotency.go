package store

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/idempotency"
)

var _ idempotency.Store = (*Groups)(nil)

// ReserveIdempotencyKey inserts the pending row, or replaces an expired one,
// in one upsert whose RETURNING gives a row only when it wrote; otherwise it
// reads the row that holds the key. Both run on the writer (SQLite's read
// connections are query-only), outside any operation's transaction.
func (s *Groups) ReserveIdempotencyKey(ctx context.Context, userID, key string, r idempotency.Record) (*idempotency.Record, error) {
	for {
		rows, err := s.sqlDB.QueryContext(ctx, `INSERT INTO idempotency_keys
			(user_id, idem_key, request_hash, status, create_time, expire_time) VALUES ($1, $2, $3, 0, $4, $5)
			ON CONFLICT (user_id, idem_key) DO UPDATE SET request_hash = excluded.request_hash, status = 0,
			body = NULL, create_time = excluded.create_time, expire_time = excluded.expire_time
			WHERE idempotency_keys.expire_time <= excluded.create_time RETURNING 1`,
			userID, key, r.Hash, r.CreateTime.UnixMicro(), r.ExpireTime.UnixMicro())
		if err != nil {
			return nil, err
		}
		wrote := rows.Next()
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if wrote {
			return nil, nil
		}
		old, err := s.GetIdempotencyKey(ctx, userID, key)
		if err != nil || old != nil {
			return old, err
		}
		// Released between the two statements: try again.
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// GetIdempotencyKey reads a key's row from the writer, so a poll sees an
// answer as soon as it is committed.
func (s *Groups) GetIdempotencyKey(ctx context.Context, userID, key string) (*idempotency.Record, error) {
	rows, err := s.sqlDB.QueryContext(ctx, `SELECT request_hash, status, body, create_time, expire_time
		FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2`, userID, key)
	if err != nil {
		return nil, err
	}
	var out *idempotency.Record
	err = scanRows(rows, func(r rowScanner) error {
		var rec idempotency.Record
		var ct, et int64
		if err := r.Scan(&rec.Hash, &rec.Status, &rec.Body, &ct, &et); err != nil {
			return err
		}
		rec.CreateTime, rec.ExpireTime = micros(ct), micros(et)
		out = &rec
		return nil
	})
	return out, err
}

// CompleteIdempotencyKey stores the answer of a pending key created at created.
func (s *Groups) CompleteIdempotencyKey(ctx context.Context, userID, key string, created time.Time, status int, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	_, err := s.sqlDB.ExecContext(ctx, `UPDATE idempotency_keys SET status = $3, body = $4
		WHERE user_id = $1 AND idem_key = $2 AND status = 0 AND create_time = $5`, userID, key, status, body, created.UnixMicro())
	return err
}

// ReleaseIdempotencyKey deletes a pending key created at created.
func (s *Groups) ReleaseIdempotencyKey(ctx context.Context, userID, key string, created time.Time) error {
	_, err := s.sqlDB.ExecContext(ctx, `DELETE FROM idempotency_keys
		WHERE user_id = $1 AND idem_key = $2 AND status = 0 AND create_time = $3`, userID, key, created.UnixMicro())
	return err
}

// PurgeIdempotencyKeys deletes the keys expired at now, batch rows per statement.
func (s *Groups) PurgeIdempotencyKeys(ctx context.Context, now time.Time, batch int) (int64, error) {
	if batch <= 0 {
		batch = 1000
	}
	return s.purgeBatches(ctx, `DELETE FROM idempotency_keys WHERE (user_id, idem_key) IN
		(SELECT user_id, idem_key FROM idempotency_keys WHERE expire_time <= $1 LIMIT $2)`, now.UnixMicro(), batch)
}
