package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/inbox"
)

type overviewData struct {
	Counts    Counts
	CountsErr string
	Rates     Rates
	Database  string
	Version   string
	Uptime    time.Duration
	Started   time.Time
	Modules   []Module
	Points    []hooks.PointInfo
	Hooked    int // points with at least one hook
	RPCs      []string
}

func (k *Console) overview(c *fiber.Ctx) error {
	ctx := c.UserContext()
	d := overviewData{Database: k.deps.Database, Modules: k.deps.Modules, Started: k.deps.Started,
		Points: k.deps.Hooks.Points(), RPCs: k.deps.Hooks.RPCIDs()}
	now := time.Now()
	d.Uptime = now.Sub(k.deps.Started)
	d.Rates = k.rates.rates(now, k.deps.Started)
	for _, p := range d.Points {
		if p.Before+p.After > 0 {
			d.Hooked++
		}
	}
	var err error
	if d.Counts, err = k.deps.Stats.Counts(ctx); err != nil {
		_, d.CountsErr = k.refusal(c, err)
	}
	if d.Version, err = k.deps.Stats.DatabaseVersion(ctx); err != nil {
		_, d.Version = k.refusal(c, err)
	}
	return k.render(c, http.StatusOK, "overview", view{Title: "Overview", Nav: "overview", Data: &d})
}

type usersData struct {
	Q     string
	Users []accounts.User
	By    map[string]string // user id → how it matched
}

// usersPage finds users by id, username or device id (all three are tried).
func (k *Console) usersPage(c *fiber.Ctx) error {
	d := usersData{Q: strings.TrimSpace(c.Query("q")), By: map[string]string{}}
	v := view{Title: "Users", Nav: "users", Data: &d}
	if d.Q == "" {
		return k.render(c, http.StatusOK, "users", v)
	}
	ctx := c.UserContext()
	err := k.findUsers(ctx, &d)
	if err != nil {
		st, msg := k.refusal(c, err)
		v.Error = msg
		return k.render(c, st, "users", v)
	}
	return k.render(c, http.StatusOK, "users", v)
}

func (k *Console) findUsers(ctx context.Context, d *usersData) error {
	var ids []string
	if id, ok := groups.ParseID(d.Q); ok {
		ids = append(ids, id)
		d.By[id] = "id"
	}
	devUser, err := k.deps.Stats.UserIDByDevice(ctx, d.Q)
	if err != nil {
		return err
	}
	if devUser != "" {
		ids = append(ids, devUser)
		if d.By[devUser] == "" {
			d.By[devUser] = "device id"
		}
	}
	users, err := k.deps.Accounts.GetUsers(ctx, ids, []string{d.Q})
	if err != nil {
		return err
	}
	for _, u := range users {
		if d.By[u.ID] == "" {
			d.By[u.ID] = "username"
		}
	}
	d.Users = users
	return nil
}

type userData struct {
	Account       accounts.Account
	Groups        []groups.UserGroup
	GroupsCursor  string
	Notifications []inbox.Notification
	NotesCursor   string
	NotesMore     bool
	Error         string
}

// userPage shows one user: the account, a page of their groups with their
// state in each, and a page of their notifications (oldest first).
func (k *Console) userPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	var d userData
	v := view{Title: "User", Nav: "users", Data: &d}
	acc, err := k.deps.Accounts.GetAccount(ctx, c.Params("id"))
	if err != nil {
		st, msg := k.refusal(c, err)
		v.Error = msg
		return k.render(c, st, "notfound", v)
	}
	d.Account = acc
	v.Title = acc.User.Username
	ug, err := k.deps.Groups.ListUserGroups(ctx, groups.ListUserGroupsRequest{UserID: acc.User.ID, Limit: pageSize, Cursor: c.Query("groups_cursor")})
	if err == nil {
		d.Groups, d.GroupsCursor = ug.UserGroups, ug.Cursor
		if k.deps.Inbox != nil {
			var ns inbox.List
			ns, err = k.deps.Inbox.List(ctx, acc.User.ID, pageSize, c.Query("notes_cursor"))
			d.Notifications, d.NotesCursor, d.NotesMore = ns.Notifications, ns.Cursor, len(ns.Notifications) == pageSize
		}
	}
	if err != nil {
		st, msg := k.refusal(c, err)
		v.Error = msg
		return k.render(c, st, "user", v)
	}
	return k.render(c, http.StatusOK, "user", v)
}

type rpcData struct {
	IDs     []string
	ID      string
	Payload string
	Ran     bool
	Result  string
	Code    int
	Elapsed time.Duration
}

func (k *Console) rpcPage(c *fiber.Ctx) error {
	d := rpcData{IDs: k.deps.Hooks.RPCIDs(), ID: c.Query("id")}
	return k.render(c, http.StatusOK, "rpc", view{Title: "RPC", Nav: "rpc", Data: &d})
}

// runRPC calls a registered RPC as a server-to-server call would (the http
// key's caller: no user, HTTPKey set) with the payload as sent.
func (k *Console) runRPC(c *fiber.Ctx) error {
	d := rpcData{IDs: k.deps.Hooks.RPCIDs(), ID: strings.ToLower(strings.TrimSpace(c.FormValue("id"))), Payload: c.FormValue("payload")}
	v := view{Title: "RPC", Nav: "rpc", Data: &d}
	fn, ok := k.deps.Hooks.RPC(d.ID)
	if !ok {
		v.Error = "RPC function not found"
		return k.render(c, http.StatusNotFound, "rpc", v)
	}
	caller := &hooks.Caller{HTTPKey: true, ClientIP: c.IP(), Headers: map[string][]string{}, Query: url.Values{}}
	start := time.Now()
	out, err := fn(k.ctxWithReason(c), caller, d.Payload)
	d.Elapsed, d.Ran = time.Since(start), true
	if err != nil {
		st := http.StatusInternalServerError
		if e, ok := errs.AsError(err); ok {
			st, v.Error, d.Code = statusOf(e.Code), e.Message, int(e.Code)
		} else {
			k.log.ErrorContext(c.UserContext(), "console rpc failed", "id", d.ID, "error", err)
			v.Error, d.Code = "Error while trying to run the RPC function.", int(errs.CodeInternal)
		}
		return k.render(c, st, "rpc", v)
	}
	d.Result = out
	return k.render(c, http.StatusOK, "rpc", v)
}

func urlPathEscape(s string) string { return url.PathEscape(s) }
