package store

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/guildhall/guildhall/groups"
)

// txSQL is the groups.Tx port: the statements, written once, run by the
// executor of the database (tx.go).
type txSQL struct {
	ex         executor
	lockSuffix string // " FOR UPDATE" on PostgreSQL; SQLite's single writer connection serialises instead
	events     []groups.Event
	eventBuf   [2]groups.Event // room for an operation's events without an allocation of their own
}

func (t *txSQL) init(ex executor, lockSuffix string) {
	t.ex, t.lockSuffix, t.events = ex, lockSuffix, t.eventBuf[:0]
}

var _ groups.Tx = (*txSQL)(nil)

// The default category is read as "" (groupScan maps it back): an empty
// string costs the scan no allocation, and most groups have that category.
//
// The boolean flags are read as one number (txGroupFlags): pgconn keeps the
// field descriptions of a result of up to 16 columns in the connection and
// allocates (about 870 bytes) for a 17th, so this read stays at 16 columns.
const txGroupColumns = "id, creator_id, name, description, avatar_url, lang_tag, metadata, open, edge_count, " +
	"max_count, create_time, update_time, join_policy, tag, " + txGroupFlags + ", " +
	"CASE WHEN category = '" + groups.DefaultCategory + "' THEN '' ELSE category END"

// txGroupFlags is a group row's boolean flags as one integer (the bits
// below); groupColumns has the same with the table alias.
const txGroupFlags = "CAST(hidden AS INTEGER) + 2 * CAST(admins_only_create_attributes AS INTEGER)"

// The bits of the flags.
const (
	flagHidden                     = 1
	flagAdminsOnlyCreateAttributes = 2
)

// groupScan reads rows of txGroupColumns (then extra columns) with one set of
// scan destinations for all rows: no allocation per row beyond the strings.
type groupScan struct {
	g       groups.Group
	creator pgtype.Text
	policy  int16
	flags   int32
	ct, ut  int64
	dest    []any
}

func newGroupScan(extra ...any) *groupScan {
	s := &groupScan{}
	s.dest = append([]any{&s.g.ID, &s.creator, &s.g.Name, &s.g.Description, &s.g.AvatarURL, &s.g.LangTag,
		&s.g.Metadata, &s.g.Open, &s.g.EdgeCount, &s.g.MaxCount, &s.ct, &s.ut, &s.policy, &s.g.Tag, &s.flags,
		&s.g.Category}, extra...)
	return s
}

func (s *groupScan) scan(r rowScanner) (groups.Group, error) {
	if err := r.Scan(s.dest...); err != nil {
		return groups.Group{}, err
	}
	g := s.g
	g.CreatorID = s.creator.String
	g.Hidden, g.AdminsOnlyCreateAttributes = s.flags&flagHidden != 0, s.flags&flagAdminsOnlyCreateAttributes != 0
	if g.Category == "" {
		g.Category = groups.DefaultCategory
	}
	if s.policy >= 0 && int(s.policy) < len(policies) {
		g.JoinPolicy = policies[s.policy]
	}
	g.CreateTime, g.UpdateTime = micros(s.ct), micros(s.ut)
	return g, nil
}

func (t *txSQL) Lock(ctx context.Context, q groups.LockQuery) (groups.Locked, error) {
	var l groups.Locked
	found := false
	gs := newGroupScan()
	t.ex.read(ctx, "SELECT "+txGroupColumns+" FROM groups WHERE id = $1"+t.lockSuffix, func(r rowScanner) error {
		g, err := gs.scan(r)
		l.Group, found = g, true
		return err
	}, q.GroupID)
	if len(q.UserIDs) > 0 && !q.CheckUsers {
		l.States = make(map[string]groups.State, len(q.UserIDs))
		var row struct { // one allocation for the scan destinations
			id   string
			st   int16
			role roleCol
		}
		t.ex.read(ctx, "SELECT m.user_id, m.state, "+memberRoleColumn+" FROM group_members m "+memberRoleJoin+
			" WHERE m.group_id = $1 AND m.user_id IN ("+placeholders(2, len(q.UserIDs))+")", func(r rowScanner) error {
			if err := r.Scan(&row.id, &row.st, &row.role.v); err != nil {
				return err
			}
			l.States[row.id] = groups.State(row.st)
			return row.role.into(&l, row.id)
		}, idArgs(q.GroupID, q.UserIDs)...)
	} else if len(q.UserIDs) > 0 {
		// Existence and state in one statement: the users, each with its row
		// in the group if any.
		l.States = make(map[string]groups.State, len(q.UserIDs))
		l.Usernames = make(map[string]string, len(q.UserIDs))
		var row struct { // one allocation for the scan destinations
			id, name string
			st       pgtype.Int2
			role     roleCol
		}
		t.ex.read(ctx, "SELECT u.id, u.username, m.state, "+memberRoleColumn+" FROM users u LEFT JOIN group_members m "+
			"ON m.group_id = $1 AND m.user_id = u.id "+memberRoleJoin+" WHERE u.id IN ("+placeholders(2, len(q.UserIDs))+")",
			func(r rowScanner) error {
				if err := r.Scan(&row.id, &row.name, &row.st, &row.role.v); err != nil {
					return err
				}
				l.Usernames[row.id] = row.name
				if row.st.Valid {
					l.States[row.id] = groups.State(row.st.Int16)
				}
				return row.role.into(&l, row.id)
			}, idArgs(q.GroupID, q.UserIDs)...)
	}
	if q.Members {
		t.ex.read(ctx, "SELECT user_id FROM group_members WHERE group_id = $1 AND state <= 2", func(r rowScanner) error {
			var id string
			if err := r.Scan(&id); err != nil {
				return err
			}
			l.Members = append(l.Members, id)
			return nil
		}, q.GroupID)
	}
	if err := t.ex.flush(ctx); err != nil {
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

// The sentinels of the writes' constraint violations.
var (
	nameTaken   = violations{unique: groups.ErrNameTaken, tag: groups.ErrTagTaken}
	userMissing = violations{foreignKey: groups.ErrNotFound}
	overLimit   = violations{check: groups.ErrFull}
)

func nullID(id string) any {
	if id == "" {
		return nil
	}
	return id
}

func (t *txSQL) InsertGroup(ctx context.Context, g groups.Group) {
	g = withDefaults(g)
	t.ex.write(ctx, nameTaken, `INSERT INTO groups (id, creator_id, name, name_key, description, avatar_url,
		lang_tag, metadata, open, edge_count, max_count, create_time, update_time, join_policy, tag, tag_key,
		hidden, category, admins_only_create_attributes)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		g.ID, nullID(g.CreatorID), g.Name, strings.ToLower(g.Name), g.Description, g.AvatarURL, g.LangTag,
		g.Metadata, g.Open, g.EdgeCount, g.MaxCount, g.CreateTime.UnixMicro(), g.UpdateTime.UnixMicro(),
		policyCode(g.JoinPolicy), g.Tag, tagKey(g.Tag), g.Hidden, g.Category, g.AdminsOnlyCreateAttributes)
}

// policies are the join policies by their stored number (migration 00007).
var policies = [...]groups.JoinPolicy{groups.PolicyOpen, groups.PolicyRequest, groups.PolicyInviteOnly, groups.PolicyClosed}

func policyCode(p groups.JoinPolicy) int16 {
	for i, x := range policies {
		if x == p {
			return int16(i)
		}
	}
	return 1 // request, as the column's default
}

// withDefaults fills a group's policy and category when unset (a Group
// built without them): the policy from open, the default category.
func withDefaults(g groups.Group) groups.Group {
	if g.JoinPolicy == "" {
		g.JoinPolicy = groups.PolicyRequest
		if g.Open {
			g.JoinPolicy = groups.PolicyOpen
		}
	}
	if g.Category == "" {
		g.Category = groups.DefaultCategory
	}
	return g
}

// tagKey is a tag's unique key: lower case, NULL for no tag (NULLs never
// collide in a unique index, on either database).
func tagKey(tag string) any {
	if tag == "" {
		return nil
	}
	return strings.ToLower(tag)
}

func (t *txSQL) UpdateGroup(ctx context.Context, g groups.Group) {
	g = withDefaults(g)
	t.ex.write(ctx, nameTaken, `UPDATE groups SET creator_id = $2, name = $3, name_key = $4, description = $5,
		avatar_url = $6, lang_tag = $7, metadata = $8, open = $9, max_count = $10, update_time = $11,
		join_policy = $12, tag = $13, tag_key = $14, hidden = $15, admins_only_create_attributes = $16 WHERE id = $1`,
		g.ID, nullID(g.CreatorID), g.Name, strings.ToLower(g.Name), g.Description, g.AvatarURL, g.LangTag,
		g.Metadata, g.Open, g.MaxCount, g.UpdateTime.UnixMicro(), policyCode(g.JoinPolicy), g.Tag, tagKey(g.Tag), g.Hidden,
		g.AdminsOnlyCreateAttributes)
}

func (t *txSQL) DeleteGroup(ctx context.Context, id string) {
	t.ex.write(ctx, violations{}, "DELETE FROM group_members WHERE group_id = $1", id)
	t.ex.write(ctx, violations{}, "DELETE FROM groups WHERE id = $1", id)
}

func (t *txSQL) CountState(ctx context.Context, groupID string, s groups.State) (int, error) {
	var n int
	t.ex.read(ctx, "SELECT count(*) FROM group_members WHERE group_id = $1 AND state = $2", func(r rowScanner) error {
		return r.Scan(&n)
	}, groupID, int16(s))
	if err := t.ex.flush(ctx); err != nil {
		return 0, err
	}
	return n, nil
}

// JoinNoticeAdmins claims the notice with one upsert whose update applies only
// to a notice older than since (RETURNING gives a row only when it wrote),
// read in the same round trip as the admins.
func (t *txSQL) JoinNoticeAdmins(ctx context.Context, groupID, userID string, now, since time.Time) ([]string, error) {
	if since.IsZero() {
		return t.StateUsers(ctx, groupID, groups.Superadmin, groups.Admin)
	}
	claimed := false
	t.ex.read(ctx, `INSERT INTO group_join_notices (group_id, user_id, notify_time) VALUES ($1, $2, $3)
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

func (t *txSQL) StateUsers(ctx context.Context, groupID string, states ...groups.State) ([]string, error) {
	args := make([]any, 0, len(states)+1)
	args = append(args, groupID)
	for _, s := range states {
		args = append(args, int16(s))
	}
	var ids []string
	var id string
	t.ex.read(ctx, "SELECT user_id FROM group_members WHERE group_id = $1 AND state IN ("+
		placeholders(2, len(states))+") ORDER BY state, position", func(r rowScanner) error {
		if err := r.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	}, args...)
	if err := t.ex.flush(ctx); err != nil {
		return nil, err
	}
	return ids, nil
}

func (t *txSQL) InsertMember(ctx context.Context, groupID, userID string, s groups.State, now time.Time) {
	t.ex.write(ctx, userMissing, "INSERT INTO group_members (group_id, user_id, state, position, update_time) VALUES ($1, $2, $3, $4, $5)",
		groupID, userID, int16(s), now.UnixNano(), now.UnixMicro())
}

func (t *txSQL) InsertJoinRequest(ctx context.Context, groupID, userID, message string, now time.Time) {
	t.ex.write(ctx, userMissing, "INSERT INTO group_members (group_id, user_id, state, position, update_time, message) "+
		"VALUES ($1, $2, $3, $4, $5, $6)", groupID, userID, int16(groups.JoinRequest), now.UnixNano(), now.UnixMicro(), message)
}

func (t *txSQL) SetState(ctx context.Context, groupID, userID string, s groups.State, now time.Time) {
	q := "UPDATE group_members SET state = $1, update_time = $2, message = '' WHERE group_id = $3 AND user_id = $4"
	if s != groups.Admin && s != groups.Member {
		// Only members and admins hold custom roles: any other state drops it.
		q = "UPDATE group_members SET state = $1, update_time = $2, message = '', role_id = NULL WHERE group_id = $3 AND user_id = $4"
	}
	t.ex.write(ctx, violations{}, q, int16(s), now.UnixMicro(), groupID, userID)
}

func (t *txSQL) DeleteMembers(ctx context.Context, groupID string, userIDs []string) {
	if len(userIDs) == 0 {
		return
	}
	t.ex.write(ctx, violations{}, "DELETE FROM group_members WHERE group_id = $1 AND user_id IN ("+
		placeholders(2, len(userIDs))+")", idArgs(groupID, userIDs)...)
}

// AddEdgeCount relies on the table's CHECK (edge_count >= 0, edge_count <=
// max_count): a violation is an error that aborts the statement, the batch
// and the transaction, where a row-count guard could only be checked after
// COMMIT had already been sent with it. The group row is locked, so it exists.
func (t *txSQL) AddEdgeCount(ctx context.Context, groupID string, delta int, now time.Time) {
	t.ex.write(ctx, overLimit, "UPDATE groups SET edge_count = edge_count + $1, update_time = $2 WHERE id = $3", delta, now.UnixMicro(), groupID)
}

// CategoryCounts locks the users' rows first (PostgreSQL; SQLite's single
// writer serialises already), then counts in the same round trip: each
// statement of a batch reads a fresh snapshot, so the count sees every
// membership committed before the lock was granted.
func (t *txSQL) CategoryCounts(ctx context.Context, userIDs []string, category string) (map[string]int, error) {
	counts := make(map[string]int, len(userIDs))
	if len(userIDs) == 0 {
		return counts, nil
	}
	if t.lockSuffix != "" {
		t.ex.read(ctx, "SELECT id FROM users WHERE id IN ("+placeholders(1, len(userIDs))+") ORDER BY id"+t.lockSuffix,
			func(r rowScanner) error { var id string; return r.Scan(&id) }, idArgs(nil, userIDs)...)
	}
	var id string
	var n int
	t.ex.read(ctx, "SELECT m.user_id, count(*) FROM group_members m JOIN groups g ON g.id = m.group_id "+
		"WHERE m.user_id IN ("+placeholders(2, len(userIDs))+") AND m.state <= 2 AND g.category = $1 GROUP BY m.user_id",
		func(r rowScanner) error {
			if err := r.Scan(&id, &n); err != nil {
				return err
			}
			counts[id] = n
			return nil
		}, idArgs(category, userIDs)...)
	if err := t.ex.flush(ctx); err != nil {
		return nil, err
	}
	return counts, nil
}

func (t *txSQL) Usernames(ctx context.Context, userIDs []string) (map[string]string, error) {
	m := make(map[string]string, len(userIDs))
	if len(userIDs) == 0 {
		return m, nil
	}
	t.ex.read(ctx, "SELECT id, username FROM users WHERE id IN ("+placeholders(1, len(userIDs))+")", scanNames(m),
		idArgs(nil, userIDs)...)
	if err := t.ex.flush(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// Record keeps e for the notifications written before COMMIT and for the
// committed step.
func (t *txSQL) Record(e groups.Event) { t.events = append(t.events, e) }
