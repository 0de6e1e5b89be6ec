package store

import (
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Every statement of this package is written with PostgreSQL's numbered
// placeholders ($1, $2, …), which SQLite binds by number too: one text per
// statement for both databases, no rewriting at run time.

// params holds "$1" … "$256", the placeholders of nearly every statement.
var params = func() []string {
	p := make([]string, 257)
	for i := 1; i < len(p); i++ {
		p[i] = "$" + strconv.Itoa(i)
	}
	return p
}()

// param returns the placeholder of argument n (from 1).
func param(n int) string {
	if n < len(params) {
		return params[n]
	}
	return "$" + strconv.Itoa(n)
}

// placeholders returns "$from, $from+1, …" for n values.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(param(from + i))
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

// sqlArgs collects the arguments of a statement built piece by piece; add
// returns the new argument's placeholder.
type sqlArgs []any

func (a *sqlArgs) add(v any) string {
	*a = append(*a, v)
	return param(len(*a))
}

// constraint is the kind of a constraint violation.
type constraint int

const (
	noViolation constraint = iota
	uniqueViolation
	foreignKeyViolation
	checkViolation
)

// violated is the one place that recognises constraint violations and
// retryable failures, of both databases: PostgreSQL's SQLSTATE codes, SQLite's
// messages.
func violated(err error) constraint {
	if err == nil {
		return noViolation
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return uniqueViolation
		case "23503":
			return foreignKeyViolation
		case "23514":
			return checkViolation
		}
		return noViolation
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "UNIQUE constraint failed"):
		return uniqueViolation
	case strings.Contains(msg, "FOREIGN KEY constraint failed"):
		return foreignKeyViolation
	case strings.Contains(msg, "CHECK constraint failed"):
		return checkViolation
	}
	return noViolation
}

// retryable reports a serialization failure or deadlock, which PostgreSQL asks
// the client to retry (SQLite's single writer has neither).
func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40001" || pg.Code == "40P01")
}

// violations names the sentinel a write's constraint violations stand for;
// a nil one leaves the database's error as it is.
type violations struct {
	unique, foreignKey, check error
	tag                       error // a unique violation of groups.tag_key
}

func (v violations) mapErr(err error) error {
	var s error
	switch violated(err) {
	case uniqueViolation:
		s = v.unique
		if v.tag != nil && onTagKey(err) {
			s = v.tag
		}
	case foreignKeyViolation:
		s = v.foreignKey
	case checkViolation:
		s = v.check
	}
	if s != nil {
		return s
	}
	return err
}

// onTagKey reports whether a unique violation is of groups_tag_key_idx
// (PostgreSQL names the index, SQLite the column).
func onTagKey(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.ConstraintName == "groups_tag_key_idx"
	}
	return strings.Contains(err.Error(), "groups.tag_key")
}
