package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/guildhall/guildhall/groups"
)

// Transactions run hand-written SQL ($n placeholders, which SQLite reads by
// position too) with hand-written scans; GORM is not on this path.
//
// PostgreSQL: pgx directly on a connection of the pool, statements pipelined.
// Profiles showed every statement costing a full round trip, whose system calls
// and wake-ups dominated both the server's and PostgreSQL's CPU per operation.
// So a write is queued, not sent; BEGIN, the queued writes and the next read
// (or COMMIT) go out as one pgx batch (one network write, one Sync). A typical
// change is two round trips, [BEGIN, lock, reads] and [writes, COMMIT];
// creating a group is one.
//
// Every statement of a batch runs in order, each with its own snapshot (READ
// COMMITTED), so the reads queued after the lock still see everything
// committed before the lock was granted. A failing statement makes PostgreSQL
// skip the rest of the batch, COMMIT included, and the transaction is rolled
// back: a write's guard must therefore be an SQL error, never a row count
// checked afterwards (edge_count's CHECK constraints are that guard).
//
// SQLite: a database/sql transaction on the single writer connection, each
// statement run at once (SQLite round trips are function calls). Its driver
// (glebarez/go-sqlite) prepares a statement on every execution, even through a
// prepared *sql.Stmt, so there is nothing to gain from preparing here.

// pgConn runs fn on one connection of the pool, as a pgx.Conn.
func (s *Groups) pgConn(ctx context.Context, fn func(*pgx.Conn) error) error {
	c, err := s.sqlDB.Conn(ctx)
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

func (s *Groups) pgTx(ctx context.Context, fn func(groups.Tx) error) error {
	return s.pgConn(ctx, func(c *pgx.Conn) error {
		t := &sqlTx{pg: c}
		err := fn(t)
		if err == nil {
			err = t.commit(ctx)
		}
		if err != nil {
			t.rollback(ctx)
		}
		return err
	})
}

func (s *Groups) sqliteTx(ctx context.Context, fn func(groups.Tx) error) error {
	tx, err := s.sqlDB.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock in the DSN)
	if err != nil {
		return err
	}
	t := &sqlTx{tx: tx}
	if err = fn(t); err == nil {
		err = t.err
	}
	if err != nil {
		_ = tx.Rollback()
	} else {
		err = tx.Commit()
	}
	return err
}

// pendingStmt is a queued PostgreSQL statement: a write (scan == nil), whose
// error mapErr may translate, or a read whose rows scan consumes.
type pendingStmt struct {
	sql    string
	args   []any
	scan   func(rowScanner) error
	mapErr func(error) error
}

// sqlTx is a groups.Tx on either database.
type sqlTx struct {
	// PostgreSQL
	pg    *pgx.Conn
	queue []pendingStmt
	begun bool // BEGIN has been sent

	// SQLite
	tx  *sql.Tx
	err error // first error of a read, returned by the next flush
}

var _ groups.Tx = (*sqlTx)(nil)

// write runs (SQLite) or queues (PostgreSQL) a statement.
func (t *sqlTx) write(ctx context.Context, mapErr func(error) error, query string, args ...any) error {
	if t.pg != nil {
		t.queue = append(t.queue, pendingStmt{sql: query, args: args, mapErr: mapErr})
		return nil
	}
	_, err := t.tx.ExecContext(ctx, query, args...)
	if err != nil && mapErr != nil {
		err = mapErr(err)
	}
	return err
}

// read runs (SQLite) or queues (PostgreSQL) a query calling scan per row; its
// error comes from the next flush.
func (t *sqlTx) read(ctx context.Context, query string, scan func(rowScanner) error, args ...any) {
	if t.pg != nil {
		t.queue = append(t.queue, pendingStmt{sql: query, args: args, scan: scan})
		return
	}
	if t.err != nil {
		return
	}
	rows, err := t.tx.QueryContext(ctx, query, args...)
	if err == nil {
		err = scanRows(rows, scan)
	}
	t.err = err
}

func scanRows(rows *sql.Rows, scan func(rowScanner) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// flush sends the queue (PostgreSQL: with BEGIN the first time, as one batch)
// and returns the first error of what ran since the last flush.
func (t *sqlTx) flush(ctx context.Context) error {
	if t.pg == nil {
		err := t.err
		t.err = nil
		return err
	}
	if len(t.queue) == 0 {
		return nil
	}
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(t.queue)+1)}
	begin := !t.begun
	if begin {
		b.Queue("BEGIN")
		t.begun = true
	}
	for _, st := range t.queue {
		b.Queue(st.sql, st.args...)
	}
	queue := t.queue
	t.queue = t.queue[:0]
	br := t.pg.SendBatch(ctx, b)
	err := readBatch(br, begin, queue)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
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
				if st.mapErr != nil {
					return st.mapErr(err)
				}
				return err
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

func (t *sqlTx) commit(ctx context.Context) error {
	if !t.begun && len(t.queue) == 0 {
		return nil // nothing was read or written
	}
	t.queue = append(t.queue, pendingStmt{sql: "COMMIT"})
	return t.flush(ctx)
}

// rollback ends a failed PostgreSQL transaction; a connection it cannot bring
// back to idle is closed, so the pool discards it.
func (t *sqlTx) rollback(ctx context.Context) {
	t.queue = nil
	if !t.begun || t.pg.IsClosed() || t.pg.PgConn().TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := t.pg.Exec(ctx, "ROLLBACK"); err != nil {
		_ = t.pg.Close(ctx)
	}
}

// placeholders returns "$from, $from+1, …" for n values.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

// idArgs returns first (unless nil) followed by ids, as statement arguments.
func idArgs(first any, ids []string) []any {
	args := make([]any, 0, len(ids)+1)
	if first != nil {
		args = append(args, first)
	}
	for _, id := range ids {
		args = append(args, id)
	}
	return args
}

const txGroupColumns = "id, creator_id, name, description, avatar_url, lang_tag, metadata, open, edge_count, " +
	"max_count, create_time, update_time"

// groupScan reads rows of txGroupColumns (then extra columns) with one set of
// scan destinations for all rows: no allocation per row beyond the strings.
type groupScan struct {
	g       groups.Group
	creator pgtype.Text
	ct, ut  int64
	dest    []any
}

func newGroupScan(extra ...any) *groupScan {
	s := &groupScan{}
	s.dest = append([]any{&s.g.ID, &s.creator, &s.g.Name, &s.g.Description, &s.g.AvatarURL, &s.g.LangTag,
		&s.g.Metadata, &s.g.Open, &s.g.EdgeCount, &s.g.MaxCount, &s.ct, &s.ut}, extra...)
	return s
}

func (s *groupScan) scan(r rowScanner) (groups.Group, error) {
	if err := r.Scan(s.dest...); err != nil {
		return groups.Group{}, err
	}
	g := s.g
	g.CreatorID = s.creator.String
	g.CreateTime, g.UpdateTime = micros(s.ct), micros(s.ut)
	return g, nil
}

func (t *sqlTx) Lock(ctx context.Context, q groups.LockQuery) (groups.Locked, error) {
	var l groups.Locked
	found := false
	lock := "SELECT " + txGroupColumns + " FROM groups WHERE id = $1"
	if t.pg != nil {
		lock += " FOR UPDATE" // SQLite's single writer connection serialises instead
	}
	gs := newGroupScan()
	t.read(ctx, lock, func(r rowScanner) error {
		g, err := gs.scan(r)
		l.Group, found = g, true
		return err
	}, q.GroupID)
	if len(q.UserIDs) > 0 && !q.CheckUsers {
		l.States = make(map[string]groups.State, len(q.UserIDs))
		var id string
		var st int16
		t.read(ctx, "SELECT user_id, state FROM group_members WHERE group_id = $1 AND user_id IN ("+
			placeholders(2, len(q.UserIDs))+")", func(r rowScanner) error {
			if err := r.Scan(&id, &st); err != nil {
				return err
			}
			l.States[id] = groups.State(st)
			return nil
		}, idArgs(q.GroupID, q.UserIDs)...)
	} else if len(q.UserIDs) > 0 {
		// Existence and state in one statement: the users, each with its row
		// in the group if any.
		l.States = make(map[string]groups.State, len(q.UserIDs))
		l.Usernames = make(map[string]string, len(q.UserIDs))
		var id, name string
		var st pgtype.Int2
		t.read(ctx, "SELECT u.id, u.username, m.state FROM users u LEFT JOIN group_members m "+
			"ON m.group_id = $1 AND m.user_id = u.id WHERE u.id IN ("+placeholders(2, len(q.UserIDs))+")",
			func(r rowScanner) error {
				if err := r.Scan(&id, &name, &st); err != nil {
					return err
				}
				l.Usernames[id] = name
				if st.Valid {
					l.States[id] = groups.State(st.Int16)
				}
				return nil
			}, idArgs(q.GroupID, q.UserIDs)...)
	}
	if err := t.flush(ctx); err != nil {
		return groups.Locked{}, err
	}
	if !found {
		return groups.Locked{}, groups.ErrNotFound
	}
	return l, nil
}

func scanNames(m map[string]string) func(rowScanner) error {
	var id, name string
	return func(r rowScanner) error {
		if err := r.Scan(&id, &name); err != nil {
			return err
		}
		m[id] = name
		return nil
	}
}

func nameTaken(err error) error {
	if uniqueViolation(err) {
		return groups.ErrNameTaken
	}
	return err
}

func nullID(id string) any {
	if id == "" {
		return nil
	}
	return id
}

func (t *sqlTx) InsertGroup(ctx context.Context, g groups.Group) error {
	return t.write(ctx, nameTaken, `INSERT INTO groups (id, creator_id, name, name_key, description, avatar_url,
		lang_tag, metadata, open, edge_count, max_count, create_time, update_time)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		g.ID, nullID(g.CreatorID), g.Name, strings.ToLower(g.Name), g.Description, g.AvatarURL, g.LangTag,
		g.Metadata, g.Open, g.EdgeCount, g.MaxCount, g.CreateTime.UnixMicro(), g.UpdateTime.UnixMicro())
}

func (t *sqlTx) UpdateGroup(ctx context.Context, g groups.Group) error {
	return t.write(ctx, nameTaken, `UPDATE groups SET creator_id = $2, name = $3, name_key = $4, description = $5,
		avatar_url = $6, lang_tag = $7, metadata = $8, open = $9, max_count = $10, update_time = $11 WHERE id = $1`,
		g.ID, nullID(g.CreatorID), g.Name, strings.ToLower(g.Name), g.Description, g.AvatarURL, g.LangTag,
		g.Metadata, g.Open, g.MaxCount, g.UpdateTime.UnixMicro())
}

func (t *sqlTx) DeleteGroup(ctx context.Context, id string) error {
	if err := t.write(ctx, nil, "DELETE FROM group_members WHERE group_id = $1", id); err != nil {
		return err
	}
	return t.write(ctx, nil, "DELETE FROM groups WHERE id = $1", id)
}

func (t *sqlTx) CountState(ctx context.Context, groupID string, s groups.State) (int, error) {
	var n int
	t.read(ctx, "SELECT count(*) FROM group_members WHERE group_id = $1 AND state = $2", func(r rowScanner) error {
		return r.Scan(&n)
	}, groupID, int16(s))
	if err := t.flush(ctx); err != nil {
		return 0, err
	}
	return n, nil
}

// JoinNoticeAdmins claims the notice with one upsert whose update applies only
// to a notice older than since (RETURNING gives a row only when it wrote),
// read in the same round trip as the admins.
func (t *sqlTx) JoinNoticeAdmins(ctx context.Context, groupID, userID string, now, since time.Time) ([]string, error) {
	if since.IsZero() {
		return t.StateUsers(ctx, groupID, groups.Superadmin, groups.Admin)
	}
	claimed := false
	t.read(ctx, `INSERT INTO group_join_notices (group_id, user_id, notify_time) VALUES ($1, $2, $3)
		ON CONFLICT (group_id, user_id) DO UPDATE SET notify_time = excluded.notify_time
		WHERE group_join_notices.notify_time <= $4 RETURNING 1`, func(r rowScanner) error {
		claimed = true
		var one int
		return r.Scan(&one)
	}, groupID, userID, now.UnixMicro(), since.UnixMicro())
	ids, err := t.StateUsers(ctx, groupID, groups.Superadmin, groups.Admin)
	if err != nil || !claimed {
		return nil, err
	}
	return ids, nil
}

func (t *sqlTx) StateUsers(ctx context.Context, groupID string, states ...groups.State) ([]string, error) {
	args := make([]any, 0, len(states)+1)
	args = append(args, groupID)
	for _, s := range states {
		args = append(args, int16(s))
	}
	var ids []string
	var id string
	t.read(ctx, "SELECT user_id FROM group_members WHERE group_id = $1 AND state IN ("+
		placeholders(2, len(states))+") ORDER BY state, position", func(r rowScanner) error {
		if err := r.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	}, args...)
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return ids, nil
}

func (t *sqlTx) InsertMember(ctx context.Context, groupID, userID string, s groups.State, now time.Time) error {
	return t.write(ctx, func(err error) error {
		if foreignKeyViolation(err) {
			return groups.ErrNotFound
		}
		return err
	}, "INSERT INTO group_members (group_id, user_id, state, position, update_time) VALUES ($1, $2, $3, $4, $5)",
		groupID, userID, int16(s), now.UnixNano(), now.UnixMicro())
}

func (t *sqlTx) SetState(ctx context.Context, groupID, userID string, s groups.State, now time.Time) error {
	return t.write(ctx, nil, "UPDATE group_members SET state = $1, update_time = $2 WHERE group_id = $3 AND user_id = $4",
		int16(s), now.UnixMicro(), groupID, userID)
}

func (t *sqlTx) DeleteMembers(ctx context.Context, groupID string, userIDs []string) error {
	if len(userIDs) == 0 {
		return nil
	}
	return t.write(ctx, nil, "DELETE FROM group_members WHERE group_id = $1 AND user_id IN ("+
		placeholders(2, len(userIDs))+")", idArgs(groupID, userIDs)...)
}

// AddEdgeCount relies on the table's CHECK (edge_count >= 0, edge_count <=
// max_count): a violation is an error that aborts the statement, the batch
// and the transaction, where a row-count guard could only be checked after
// COMMIT had already been sent with it. The group row is locked, so it exists.
func (t *sqlTx) AddEdgeCount(ctx context.Context, groupID string, delta int, now time.Time) error {
	return t.write(ctx, func(err error) error {
		if checkViolation(err) {
			return groups.ErrFull
		}
		return err
	}, "UPDATE groups SET edge_count = edge_count + $1, update_time = $2 WHERE id = $3", delta, now.UnixMicro(), groupID)
}

func (t *sqlTx) Usernames(ctx context.Context, userIDs []string) (map[string]string, error) {
	m := make(map[string]string, len(userIDs))
	if len(userIDs) == 0 {
		return m, nil
	}
	t.read(ctx, "SELECT id, username FROM users WHERE id IN ("+placeholders(1, len(userIDs))+")", scanNames(m),
		idArgs(nil, userIDs)...)
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

func (t *sqlTx) InsertNotifications(ctx context.Context, ns []groups.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("INSERT INTO notifications (id, user_id, subject, content, code, sender_id, create_time, persistent) VALUES ")
	args := make([]any, 0, 8*len(ns))
	for i, n := range ns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(")
		b.WriteString(placeholders(8*i+1, 8))
		b.WriteString(")")
		args = append(args, n.ID, n.UserID, n.Subject, n.Content, n.Code, nullID(n.SenderID),
			n.CreateTime.UnixMicro(), n.Persistent)
	}
	return t.write(ctx, nil, b.String(), args...)
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
