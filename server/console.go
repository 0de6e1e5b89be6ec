package server

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/audit"
	"github.com/guildhall/guildhall/console"
	"github.com/guildhall/guildhall/groups/store"
	"github.com/guildhall/guildhall/runtime"
)

// ConsoleExtras are the admin console's optional parts, set on
// Server.Console before App: the server's request counters for the
// overview, a group's audit history, and how a mutation's reason reaches
// the audit log.
type ConsoleExtras struct {
	Counters   console.Counters
	History    console.History
	WithReason func(ctx context.Context, reason string) context.Context
}

// mountConsole adds the admin console at /console, unless its password is
// empty.
func (s *Server) mountConsole(app *fiber.App) {
	if s.Config.ConsolePassword == "" {
		s.log.Info("admin console off (empty console.password)")
		return
	}
	js, lua, err := runtime.FindModules(s.Config.RuntimePath)
	if err != nil {
		s.log.Warn("admin console: listing modules", "error", err)
	}
	var mods []console.Module
	for _, m := range lua {
		mods = append(mods, console.Module{Language: "Lua", Name: m.Name, Path: m.Path})
	}
	if js != nil {
		mods = append(mods, console.Module{Language: "JavaScript", Name: js.Name, Path: js.Path})
	}
	// The console's extension points default to this server's own parts:
	// the metrics' request totals, the audit log's history and reasons.
	counters, history, withReason := s.Console.Counters, s.Console.History, s.Console.WithReason
	if counters == nil && s.Metrics != nil {
		counters = s.Metrics
	}
	if history == nil && s.Audit != nil && s.Config.AuditEnabled {
		history = auditHistory{s.Audit}
		if withReason == nil {
			withReason = audit.WithReason
		}
	}
	console.New(console.Config{
		Username: s.Config.ConsoleUsername, Password: s.Config.ConsolePassword, SecretKey: s.Config.SessionKey,
	}, console.Deps{
		Groups: s.Groups, Accounts: s.Accounts, Hooks: s.Hooks, Stats: consoleStats{s.DB},
		Database: s.DB.Dialect, Modules: mods, Counters: counters, History: history,
		WithReason: withReason, Log: s.log, Started: s.started, Revocations: consoleRevocations{s.DB},
	}).Register(app)
}

// consoleStats reads the console's totals from the database.
type consoleStats struct{ db *store.DB }

func (c consoleStats) Counts(ctx context.Context) (console.Counts, error) {
	n, err := c.db.AdminCounts(ctx)
	return console.Counts{Users: n.Users, Groups: n.Groups, Members: n.Members, JoinRequests: n.JoinRequests,
		Invitations: n.Invitations}, err
}

func (c consoleStats) DatabaseVersion(ctx context.Context) (string, error) {
	return c.db.ServerVersion(ctx)
}

func (c consoleStats) UserIDByDevice(ctx context.Context, id string) (string, error) {
	return c.db.UserIDByDevice(ctx, id)
}

func (c consoleStats) GroupIDByTag(ctx context.Context, tag string) (string, error) {
	return c.db.GroupIDByTag(ctx, tag)
}

func (c consoleStats) InvitationCounts(ctx context.Context, groupID string) (int64, int64, error) {
	n, err := c.db.GroupInvitationCounts(ctx, groupID, time.Now())
	return n.Pending, n.Expired, err
}

// consoleRevocations keep console logouts in the database, so every node
// sharing it ends the session.
type consoleRevocations struct{ db *store.DB }

func (r consoleRevocations) Revoke(ctx context.Context, id string, expiry time.Time) error {
	return r.db.RevokeConsoleSession(ctx, id, expiry, time.Now())
}

func (r consoleRevocations) Revoked(ctx context.Context, id string) (bool, error) {
	return r.db.ConsoleSessionRevoked(ctx, id)
}

// auditHistory shows a group's audit log entries in the console.
type auditHistory struct{ log *audit.Service }

func (h auditHistory) GroupHistory(ctx context.Context, groupID string, limit int, cursor string) ([]console.HistoryEntry, string, error) {
	page, err := h.log.List(ctx, audit.ListRequest{GroupID: groupID, Limit: limit, Cursor: cursor})
	if err != nil {
		return nil, "", err
	}
	out := make([]console.HistoryEntry, len(page.Entries))
	for i, e := range page.Entries {
		out[i] = console.HistoryEntry{Time: e.Time, Actor: e.ActorID, Action: e.Op,
			Detail: strings.Join(e.Targets, ", "), Reason: e.Reason}
	}
	return out, page.Cursor, nil
}
