package console

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
)

// view is what every page template gets.
type view struct {
	Title  string
	Nav    string // the active menu entry
	CSRF   string // the session's token (the login form's own on the login page)
	Flash  string // a success message
	Error  string // a refusal, as the service worded it
	Reason bool   // show the audit reason field
	Data   any
}

var funcs = template.FuncMap{
	"stateName": stateName,
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"states": func() []groups.State {
		return []groups.State{groups.Superadmin, groups.Admin, groups.Member, groups.JoinRequest, groups.Banned}
	},
	"pct":              func(f float64) string { return strconv.FormatFloat(f*100, 'f', 2, 64) + " %" },
	"rate":             func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) },
	"dur":              func(d time.Duration) string { return d.Truncate(time.Second).String() },
	"actionsFor":       actionsFor,
	"policyText":       policyText,
	"joinPolicies":     func() []groups.JoinPolicy { return joinPolicies },
	"invitationStates": func() []groups.InvitationState { return invitationStates },
}

// actionsFor are the member actions that can apply to a user in state s.
func actionsFor(s groups.State) []string {
	switch s {
	case groups.Superadmin:
		return []string{"demote", "kick", "ban"}
	case groups.Admin:
		return []string{"promote", "demote", "kick", "ban"}
	case groups.Member:
		return []string{"promote", "kick", "ban"}
	case groups.JoinRequest:
		return []string{"add", "kick", "ban"}
	case groups.Banned:
		return []string{"unban"}
	}
	return nil
}

// policyText says what a join policy means (request is Nakama's closed group).
func policyText(p groups.JoinPolicy) string {
	switch p {
	case groups.PolicyOpen:
		return "open (anyone may join)"
	case groups.PolicyRequest:
		return "closed (join requests)"
	case groups.PolicyInviteOnly:
		return "by invitation only"
	case groups.PolicyClosed:
		return "closed to new members"
	}
	return string(p)
}

func stateName(s groups.State) string {
	switch s {
	case groups.Superadmin:
		return "superadmin"
	case groups.Admin:
		return "admin"
	case groups.Member:
		return "member"
	case groups.JoinRequest:
		return "join request"
	case groups.Banned:
		return "banned"
	}
	return "state " + strconv.Itoa(int(s))
}

// parsePages builds one template set per page: the layout plus the page.
func parsePages() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t := template.Must(template.Must(base.Clone()).ParseFS(templateFS, n))
		name := n[len("templates/") : len(n)-len(".html")]
		out[name] = t
	}
	return out
}

// render writes a whole page.
func (k *Console) render(c *fiber.Ctx, status int, page string, v view) error {
	if v.CSRF == "" {
		v.CSRF = sessionOf(c).csrf
	}
	v.Reason = k.deps.WithReason != nil
	if d, ok := v.Data.(*groupData); ok {
		k.decorate(c, &d.Members)
	}
	return k.exec(c, status, page, "layout.html", v)
}

// renderMembers writes the member list alone (an htmx fragment).
func (k *Console) renderMembers(c *fiber.Ctx, status int, m membersData) error {
	k.decorate(c, &m)
	return k.exec(c, status, "group", "members", m)
}

// decorate gives the member list's forms the session's CSRF token.
func (k *Console) decorate(c *fiber.Ctx, m *membersData) {
	m.CSRF = sessionOf(c).csrf
	m.Reason = k.deps.WithReason != nil
}

func (k *Console) exec(c *fiber.Ctx, status int, page, name string, data any) error {
	var buf bytes.Buffer
	if err := k.pages[page].ExecuteTemplate(&buf, name, data); err != nil {
		k.log.ErrorContext(c.UserContext(), "console template", "page", page, "error", err)
		return c.Status(http.StatusInternalServerError).SendString("console: template error")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(buf.Bytes())
}

// refusal is the message and HTTP status of an error: a coded error shows
// the service's own message with the API's status for its code; anything
// else is logged and shown as an internal error.
func (k *Console) refusal(c *fiber.Ctx, err error) (int, string) {
	if e, ok := errs.AsError(err); ok {
		return statusOf(e.Code), e.Message
	}
	k.log.ErrorContext(c.UserContext(), "console", "path", c.Path(), "error", err)
	return http.StatusInternalServerError, "Internal server error."
}

// statusOf maps a coded error as the API does (api/errors.go).
func statusOf(code errs.Code) int {
	switch code {
	case errs.CodeInvalidArgument, errs.CodeFailedPrecondition:
		return http.StatusBadRequest
	case errs.CodeNotFound:
		return http.StatusNotFound
	case errs.CodeAlreadyExists:
		return http.StatusConflict
	case errs.CodePermissionDenied:
		return http.StatusForbidden
	case errs.CodeUnauthenticated:
		return http.StatusUnauthorized
	case errs.CodeResourceExhausted:
		return http.StatusTooManyRequests
	case errs.CodeDeadlineExceeded:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

func itoa(n int) string { return strconv.Itoa(n) }

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func httpFS(f fs.FS) http.FileSystem { return http.FS(f) }
