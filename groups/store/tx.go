package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/guildhall/guildhall/audit"
	"github.com/guildhall/guildhall/chat"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/inbox"
)

// A transaction is two parts: txSQL (txsql.go) writes the statements of the
// groups.Tx port, once for both databases ($n placeholders, which SQLite binds
// by number too; hand-written scans; GORM is not on this path), and hands
// them to the transaction of its database, pgTx or liteTx, which runs them.
//
// Both report a statement's error the same way: a write returns nothing; its
// error is returned by the next read, or by the commit when no read follows;
// after an error every later statement is skipped and the same error is
// returned again (so a rule check added in the service cannot see a write
// succeed on one database and fail on the other).
//
// PostgreSQL (pgTx): pgx directly on a connection of the pool, statements
// pipelined. Profiles showed every statement costing a full round trip, whose
// system calls and wake-ups dominated both the server's and PostgreSQL's CPU
// per operation. So a write is queued, not sent; BEGIN, the queued writes and
// the next read (or COMMIT) go out as one pgx batch (one network write, one
// Sync). A typical change is two round trips, [BEGIN, lock, reads] and
// [writes, COMMIT]; creating a group is one.
//
// Every statement of a batch runs in order, each with its own snapshot (READ
// COMMITTED), so the reads queued after the lock still see everything
// committed before the lock was granted. A failing statement makes PostgreSQL
// skip the rest of the batch, COMMIT included, and the transaction is rolled
// back: a write's guard must therefore be an SQL error, never a row count
// checked afterwards (edge_count's CHECK constraints are that guard).
//
// SQLite (liteTx): a database/sql transaction on the single writer
// connection, each statement run at once (SQLite round trips are function
// calls), its error kept for the next read or the commit. Its driver
// (glebarez/go-sqlite) prepares a statement on every execution, even through
// a prepared *sql.Stmt, so there is nothing to gain from preparing here.

// executor runs the statements of one transaction on one database.
type executor interface {
	// write runs or queues a statement; a constraint violation of it becomes
	// the sentinel v names.
	write(ctx context.Context, v violations, query string, args ...any)
	// read runs or queues a query calling scan per row; its error, or an
	// earlier write's, comes from the next flush.
	read(ctx context.Context, query string, scan func(rowScanner) error, args ...any)
	// flush runs what is queued and returns the transaction's first error.
	flush(ctx context.Context) error
}

// Tx runs fn in one transaction, retrying serialization failures and
// deadlocks (which PostgreSQL asks the client to retry) while ctx lasts.
// committed gets the events of the attempt that committed.
func (s *Groups) Tx(ctx context.Context, fn func(groups.Tx) error, committed func([]groups.Event)) error {
	const attempts = 5
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var events []groups.Event
		var err error
		var w Written
		if s.db.Dialect == Postgres {
			events, err = s.pgTx(ctx, fn, &w)
		} else {
			events, err = s.liteTx(ctx, fn, &w)
		}
		if err == nil {
			w.Events = events
			s.publishWritten(w)
			if committed != nil {
				committed(events)
			}
			return nil
		}
		if !retryable(err) || attempt == attempts {
			return err
		}
		wait := time.NewTimer(time.Duration(attempt) * 5 * time.Millisecond)
		select {
		case <-ctx.Done():
			wait.Stop()
			return ctx.Err()
		case <-wait.C:
		}
	}
}

// finish queues the deletion of invitations left stale by the events
// (dropStaleInvitations), the notifications and group event messages of the
// transaction's events and its audit entry (when the audit log is on), the
// last writes before COMMIT (on PostgreSQL in COMMIT's batch: no round trip
// of their own), and notes the notifications and messages in w for the
// OnWritten hook.
func (t *txSQL) finish(ctx context.Context, w *Written, auditRequestID func(context.Context) string) {
	ns := inbox.GroupNotifications(t.events)
	if stored := inbox.Stored(ns); len(stored) > 0 {
		q, args := insertNotifications(stored)
		t.ex.write(ctx, violations{}, q, args...)
	}
	w.Notifications = ns
	msgs := chat.GroupEventMessages(t.events)
	w.Messages = msgs
	if auditRequestID != nil && len(msgs) == 1 && t.lockSuffix != "" { // PostgreSQL
		stale := t.staleInvitations()
		if e, ok := audit.FromEvents(t.events, auditRequestID(ctx), audit.Reason(ctx)); ok && len(stale) <= 1 {
			m := &msgs[0]
			q, args := insertEventMessageAndAudit, append([]any{m.ID, m.ChannelID, m.Code, m.SenderID,
				m.Content, m.CreateTime.UnixMicro()}, auditArgs(e)...)
			if len(stale) == 1 {
				// The join's or add's stale invitations go in the same statement.
				q = "WITH i AS (" + deleteStaleInvitations(15, len(stale[0].users)) + "), " + strings.TrimPrefix(q, "WITH ")
				args = append(args, idArgs(stale[0].groupID, stale[0].users)...)
			}
			t.ex.write(ctx, violations{}, q, args...)
			t.chatDeletes(ctx)
			return
		}
	}
	t.dropStaleInvitations(ctx)
	t.chatWrites(ctx, msgs)
	if auditRequestID != nil {
		t.writeAudit(ctx, auditRequestID)
	}
}

// pgConn runs fn on one connection of the pool, as a pgx.Conn.
func (s *Groups) pgConn(ctx context.Context, fn func(*pgx.Conn) error) error {
	return s.pgConnOn(ctx, s.sqlDB, fn)
}

// pgConnOn runs fn on one connection of pool, as a pgx.Conn.
func (s *Groups) pgConnOn(ctx context.Context, pool *sql.DB, fn func(*pgx.Conn) error) error {
	c, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("store: the PostgreSQL pool does not hold pgx connections")
		}
		return fn(sc.Conn())
	})
}

// pgTx is one attempt of a PostgreSQL transaction.
func (s *Groups) pgTx(ctx context.Context, fn func(groups.Tx) error, w *Written) ([]groups.Event, error) {
	var events []groups.Event
	err := s.pgConn(ctx, func(c *pgx.Conn) error {
		a := &struct { // one allocation for both parts
			txSQL
			pgTx
		}{}
		t, p := &a.txSQL, &a.pgTx
		p.conn, p.sent = c, &s.batches
		t.init(p, " FOR UPDATE")
		err := fn(t)
		if err == nil {
			t.finish(ctx, w, s.auditRequestID)
			err = p.commit(ctx)
		}
		if err != nil {
			p.rollback(ctx)
		}
		events = t.events
		return err
	})
	return events, err
}

// pendingStmt is a queued PostgreSQL statement: a write (scan == nil), whose
// constraint violations v translates, or a read whose rows scan consumes.
type pendingStmt struct {
	sql  string
	args []any
	scan func(rowScanner) error
	v    violations
}

// pgTx queues statements and sends them as one batch per flush.
type pgTx struct {
	conn  *pgx.Conn
	queue []pendingStmt
	begun bool  // BEGIN has been sent
	err   error // the first error; nothing is sent after it
	sent  *atomic.Int64
}

func (p *pgTx) write(_ context.Context, v violations, query string, args ...any) {
	if p.err == nil {
		p.queue = append(p.queue, pendingStmt{sql: query, args: args, v: v})
	}
}

func (p *pgTx) read(_ context.Context, query string, scan func(rowScanner) error, args ...any) {
	if p.err == nil {
		p.queue = append(p.queue, pendingStmt{sql: query, args: args, scan: scan})
	}
}

// flush sends the queue, with BEGIN the first time, as one batch.
func (p *pgTx) flush(ctx context.Context) error {
	if p.err != nil || len(p.queue) == 0 {
		return p.err
	}
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(p.queue)+1)}
	begin := !p.begun
	if begin {
		b.Queue("BEGIN")
		p.begun = true
	}
	for _, st := range p.queue {
		b.Queue(st.sql, st.args...)
	}
	queue := p.queue
	p.queue = p.queue[:0]
	if p.sent != nil {
		p.sent.Add(1)
	}
	br := p.conn.SendBatch(ctx, b)
	err := readBatch(br, begin, queue)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	p.err = err
	return err
}

func readBatch(br pgx.BatchResults, begin bool, queue []pendingStmt) error {
	if begin {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	for _, st := range queue {
		if st.scan == nil {
			if _, err := br.Exec(); err != nil {
				return st.v.mapErr(err)
			}
			continue
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		for err == nil && rows.Next() {
			err = st.scan(rows)
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (p *pgTx) commit(ctx context.Context) error {
	if p.err == nil && !p.begun && len(p.queue) == 0 {
		return nil // nothing was read or written
	}
	p.write(ctx, violations{}, "COMMIT")
	return p.flush(ctx)
}

// rollback ends a failed transaction; a connection it cannot bring back to
// idle is closed, so the pool discards it.
func (p *pgTx) rollback(ctx context.Context) {
	p.queue = nil
	if !p.begun || p.conn.IsClosed() || p.conn.PgConn().TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := p.conn.Exec(ctx, "ROLLBACK"); err != nil {
		_ = p.conn.Close(ctx)
	}
}

// liteTx is one attempt of an SQLite transaction.
func (s *Groups) liteTx(ctx context.Context, fn func(groups.Tx) error, w *Written) ([]groups.Event, error) {
	tx, err := s.sqlDB.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock in the DSN)
	if err != nil {
		return nil, err
	}
	a := &struct { // one allocation for both parts
		txSQL
		liteTx
	}{}
	t, l := &a.txSQL, &a.liteTx
	l.tx = tx
	t.init(l, "")
	if err = fn(t); err == nil {
		t.finish(ctx, w, s.auditRequestID)
		err = l.err
	}
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	return t.events, tx.Commit()
}

// liteTx runs each statement at once and keeps the first error.
type liteTx struct {
	tx  *sql.Tx
	err error // the first error; nothing runs after it
}

func (l *liteTx) write(ctx context.Context, v violations, query string, args ...any) {
	if l.err != nil {
		return
	}
	if _, err := l.tx.ExecContext(ctx, query, args...); err != nil {
		l.err = v.mapErr(err)
	}
}

func (l *liteTx) read(ctx context.Context, query string, scan func(rowScanner) error, args ...any) {
	if l.err != nil {
		return
	}
	rows, err := l.tx.QueryContext(ctx, query, args...)
	if err == nil {
		err = scanRows(rows, scan)
	}
	l.err = err
}

func (l *liteTx) flush(context.Context) error { return l.err }

func scanRows(rows *sql.Rows, scan func(rowScanner) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// sqlDBOf returns the database/sql pool under db.Write.
func sqlDBOf(db *DB) *sql.DB {
	if db == nil || db.Write == nil {
		return nil
	}
	s, err := db.Write.DB()
	if err != nil {
		return nil
	}
	return s
}
