package store

import (
	"context"
	"strings"
	"time"

	"github.com/guildhall/guildhall/audit"
)

var _ audit.Store = (*Groups)(nil)

// EnableAudit makes every transaction that records events write its audit
// entry (audit.FromEvents) before COMMIT, beside its notifications: on
// PostgreSQL in COMMIT's batch, so the log costs no round trip. requestID
// reads the request id from an operation's context (nil for none).
func (s *Groups) EnableAudit(requestID func(context.Context) string) {
	if requestID == nil {
		requestID = func(context.Context) string { return "" }
	}
	s.auditRequestID = requestID
}

// The audit entry's statements. On PostgreSQL one statement writes the entry
// and its target rows (a data-modifying WITH: the targets take the entry's
// generated id, and their ids from the comma-separated target_ids, which
// pgx encodes as plain text where a []string would take its reflective array
// path), so every operation adds exactly one statement to its COMMIT
// batch, with one text (one prepared statement) whatever the target count.
// SQLite runs statements as function calls, so it takes two plain ones, the
// second reading the entry's id back (its single writer inserts nothing in
// between).
const (
	pgInsertAudit = `WITH e AS (INSERT INTO audit_log (create_time, actor_id, op, group_id, target_ids, outcome,
		request_id, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id)
		INSERT INTO audit_targets (user_id, create_time, entry_id)
		SELECT t::uuid, $1, e.id FROM e, unnest(string_to_array($5::text, ',')) AS t`
	liteInsertAudit = `INSERT INTO audit_log (create_time, actor_id, op, group_id, target_ids, outcome, request_id,
		reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	liteInsertAuditTargets = `INSERT INTO audit_targets (user_id, create_time, entry_id)
		SELECT value, $1, (SELECT max(id) FROM audit_log) FROM json_each($2)`
)

// writeAudit queues the transaction's audit entry, if it changed anything.
func (t *txSQL) writeAudit(ctx context.Context, requestID func(context.Context) string) {
	e, ok := audit.FromEvents(t.events, requestID(ctx), audit.Reason(ctx))
	if !ok {
		return
	}
	ct := e.Time.UnixMicro()
	targets := strings.Join(e.Targets, ",")
	if t.pg {
		t.ex.write(ctx, violations{}, pgInsertAudit, ct, e.ActorID, e.Op, e.GroupID, targets, e.Outcome, e.RequestID, e.Reason)
		return
	}
	t.ex.write(ctx, violations{}, liteInsertAudit, ct, e.ActorID, e.Op, e.GroupID, targets, e.Outcome, e.RequestID, e.Reason)
	if len(e.Targets) > 0 {
		// The ids are canonical UUIDs: as a JSON array they need no escaping.
		t.ex.write(ctx, violations{}, liteInsertAuditTargets, ct, `["`+strings.Join(e.Targets, `","`)+`"]`)
	}
}

const auditColumns = "id, create_time, actor_id, op, group_id, target_ids, outcome, request_id, reason"

// ListAudit reads entries newest first, (create_time, id) descending.
func (s *Groups) ListAudit(ctx context.Context, q audit.Query) ([]audit.Entry, error) {
	var args sqlArgs
	var where []string
	if q.GroupID != "" {
		where = append(where, "group_id = "+args.add(q.GroupID))
	}
	if q.Op != "" {
		where = append(where, "op = "+args.add(q.Op))
	}
	if q.UserID == audit.System {
		where = append(where, "actor_id = "+args.add(audit.System))
	} else if q.UserID != "" {
		// Each side is served by its own index (actor_id, audit_targets' key).
		// Two parameters: actor_id is text, user_id a UUID on PostgreSQL.
		where = append(where, "(actor_id = "+args.add(q.UserID)+
			" OR id IN (SELECT entry_id FROM audit_targets WHERE user_id = "+args.add(q.UserID)+"))")
	}
	if !q.Start.IsZero() {
		where = append(where, "create_time >= "+args.add(q.Start.UnixMicro()))
	}
	if !q.End.IsZero() {
		where = append(where, "create_time < "+args.add(q.End.UnixMicro()))
	}
	if q.After != nil {
		where = append(where, "(create_time, id) < ("+args.add(q.After.Time)+", "+args.add(q.After.ID)+")")
	}
	sql := "SELECT " + auditColumns + " FROM audit_log"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY create_time DESC, id DESC LIMIT " + args.add(q.Limit)
	out := make([]audit.Entry, 0, q.Limit)
	var e audit.Entry
	var ct int64
	var targets string
	err := s.read(ctx, sql, args, func(r rowScanner) error {
		if err := r.Scan(&e.ID, &ct, &e.ActorID, &e.Op, &e.GroupID, &targets, &e.Outcome, &e.RequestID, &e.Reason); err != nil {
			return err
		}
		e.Time, e.Targets = micros(ct), nil
		if targets != "" {
			e.Targets = strings.Split(targets, ",")
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PurgeAudit deletes entries (and their target rows) created before before,
// batch rows per statement so no statement holds a table, or SQLite's single
// writer, for long.
func (s *Groups) PurgeAudit(ctx context.Context, before time.Time, batch int) (int64, error) {
	if batch <= 0 {
		batch = 1000
	}
	cutoff := before.UnixMicro()
	if _, err := s.purgeBatches(ctx, `DELETE FROM audit_targets WHERE (user_id, create_time, entry_id) IN
		(SELECT user_id, create_time, entry_id FROM audit_targets WHERE create_time < $1 LIMIT $2)`, cutoff, batch); err != nil {
		return 0, err
	}
	return s.purgeBatches(ctx, `DELETE FROM audit_log WHERE id IN
		(SELECT id FROM audit_log WHERE create_time < $1 LIMIT $2)`, cutoff, batch)
}

// purgeBatches runs a DELETE of at most batch rows until one deletes fewer,
// returning the rows deleted.
func (s *Groups) purgeBatches(ctx context.Context, q string, cutoff int64, batch int) (int64, error) {
	var total int64
	for {
		res, err := s.sqlDB.ExecContext(ctx, q, cutoff, batch)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += n
		if n < int64(batch) {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}
