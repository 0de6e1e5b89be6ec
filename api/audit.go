package api

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/audit"
	"github.com/guildhall/guildhall/errs"
)

// reasonContext is the request's context carrying the audit reason a server
// API caller gave: the `reason` query parameter, else (for the calls with a
// JSON body) the body's `reason` field.
func reasonContext(c *fiber.Ctx, b body) (context.Context, error) {
	ctx := c.UserContext()
	reason, ok := query(c, "reason")
	if !ok && b != nil {
		v, err := b.str("reason")
		if err != nil {
			return nil, err
		}
		if v != nil {
			reason = *v
		}
	}
	if reason == "" {
		return ctx, nil
	}
	if err := audit.CheckReason(reason); err != nil {
		return nil, err
	}
	return audit.WithReason(ctx, reason), nil
}

type auditEntryJSON struct {
	ID         string   `json:"id"` // a decimal int64, as Nakama writes 64-bit numbers
	CreateTime string   `json:"create_time"`
	ActorID    string   `json:"actor_id"`
	Op         string   `json:"op"`
	GroupID    string   `json:"group_id"`
	TargetIDs  []string `json:"target_ids"`
	Outcome    string   `json:"outcome"`
	RequestID  string   `json:"request_id,omitempty"`
	Reason     string   `json:"reason,omitempty"`
}

type auditListJSON struct {
	Entries []auditEntryJSON `json:"entries"`
	Cursor  string           `json:"cursor,omitempty"`
}

// queryTime reads an RFC 3339 time parameter.
func queryTime(c *fiber.Ctx, name string) (time.Time, error) {
	s, ok := query(c, name)
	if !ok || s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errs.Invalid("Invalid value for query parameter \"" + name + "\": expected an RFC 3339 time.")
	}
	return t, nil
}

// serverAudit lists the audit log, newest first (GET /v2/server/audit).
func (s *Server) serverAudit(c *fiber.Ctx) error {
	if s.audit == nil {
		return errs.Errorf(errs.CodeUnimplemented, "The audit log is not available.")
	}
	var r audit.ListRequest
	r.GroupID, _ = query(c, "group_id")
	r.UserID, _ = query(c, "user_id")
	r.Op, _ = query(c, "op")
	r.Cursor, _ = query(c, "cursor")
	var err error
	if r.Limit, err = listLimit(c); err != nil {
		return err
	}
	if r.Start, err = queryTime(c, "start_time"); err != nil {
		return err
	}
	if r.End, err = queryTime(c, "end_time"); err != nil {
		return err
	}
	p, err := s.audit.List(c.UserContext(), r)
	if err != nil {
		return failed("list the audit log", err)
	}
	out := auditListJSON{Entries: make([]auditEntryJSON, 0, len(p.Entries)), Cursor: p.Cursor}
	for _, e := range p.Entries {
		targets := e.Targets
		if targets == nil {
			targets = []string{}
		}
		out.Entries = append(out.Entries, auditEntryJSON{
			ID: strconv.FormatInt(e.ID, 10), CreateTime: e.Time.UTC().Format(time.RFC3339Nano), ActorID: e.ActorID, Op: e.Op,
			GroupID: e.GroupID, TargetIDs: targets, Outcome: e.Outcome, RequestID: e.RequestID, Reason: e.Reason,
		})
	}
	return c.JSON(out)
}
