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

// writeAudit queues the transaction's audit entry, if it changed anything:
// one INSERT, the last write before COMMIT.
func (t *txSQL) writeAudit(ctx context.Context, requestID func(context.Context) string) {
	e, ok := audit.FromEvents(t.events, requestID(ctx), audit.Reason(ctx))
	if !ok {
		return
	}
	t.ex.write(ctx, violations{}, insertAudit, auditArgs(e)...)
}

const insertAudit = `INSERT INTO audit_log (create_time, actor_id, op, group_id, target_ids, outcome,
	request_id, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

// insertEventMessageAndAudit writes an operation's one group event message
// and its audit entry in one statement (PostgreSQL): most membership changes
// write exactly these two rows, and a statement less in COMMIT's batch is
// measurably cheaper for the server and the database.
const insertEventMessageAndAudit = `WITH m AS (INSERT INTO channel_messages (id, channel_id, code, sender_id, username,
	content, create_time, update_time) VALUES ($1, $2, $3, $4, '', $5, $6, $6))
	INSERT INTO audit_log (create_time, actor_id, op, group_id, target_ids, outcome, request_id, reason)
	VALUES ($7, $8, $9, $10, $11, $12, $13, $14)`

func auditArgs(e audit.Entry) []any {
	return []any{e.Time.UnixMicro(), e.ActorID, e.Op, e.GroupID, strings.Join(e.Targets, ","), e.Outcome, e.RequestID, e.Reason}
}

const auditColumns = "id, create_time, actor_id, op, group_id, target_ids, outcome, request_id, reason"

// ListAudit reads entries newest first (id descending). A group filter is
// served by its index; the others are checked on the rows read.
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
		// target_ids holds canonical ids separated by commas: a match of the
		// whole id is a target.
		where = append(where, "(actor_id = "+args.add(q.UserID)+" OR target_ids LIKE "+args.add("%"+q.UserID+"%")+")")
	}
	if !q.Start.IsZero() {
		where = append(where, "create_time >= "+args.add(q.Start.UnixMicro()))
	}
	if !q.End.IsZero() {
		where = append(where, "create_time < "+args.add(q.End.UnixMicro()))
	}
	if q.After != nil {
		where = append(where, "id < "+args.add(q.After.ID))
	}
	sql := "SELECT " + auditColumns + " FROM audit_log"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY id DESC LIMIT " + args.add(q.Limit)
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

// PurgeAudit deletes the entries created before before, oldest first, at
// most batch per statement so no statement holds the table, or SQLite's
// single writer, for long. Ids follow commit order, so the old entries are an
// id prefix: each statement deletes up to the newest old entry among the
// batch oldest ids (entries committed out of time order by a transaction's
// length, or by nodes' clock skew, go a little early or late).
func (s *Groups) PurgeAudit(ctx context.Context, before time.Time, batch int) (int64, error) {
	if batch <= 0 {
		batch = 1000
	}
	var total int64
	for {
		res, err := s.sqlDB.ExecContext(ctx, `DELETE FROM audit_log WHERE id <= (SELECT max(id) FROM
			(SELECT id, create_time FROM audit_log ORDER BY id LIMIT $2) oldest WHERE create_time < $1)`,
			before.UnixMicro(), batch)
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
