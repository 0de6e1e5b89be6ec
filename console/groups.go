package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
)

// pageSize is the rows of one page of groups or members.
const pageSize = 25

type groupsData struct {
	Q, LangTag, Open, Members string
	Hidden                    string // "" public listing, "include", "only"
	Groups                    []groups.Group
	TagMatch                  []groups.Group // the group whose tag is Q (first page only)
	Cursor                    string
	NextQuery                 template.URL // the query string of the next page (escaped parts)
	Searched                  bool
}

// hiddenFilters are the groups page's hidden choices.
var hiddenFilters = map[string]groups.HiddenFilter{
	"": groups.HiddenExcluded, "include": groups.HiddenIncluded, "only": groups.HiddenOnly,
}

// groupsPage searches groups: an id shows that group, any other text is a
// name prefix; without it the ListGroups filters apply. One page at a time.
func (k *Console) groupsPage(c *fiber.Ctx) error {
	d := groupsData{Q: strings.TrimSpace(c.Query("q")), LangTag: c.Query("lang_tag"), Open: c.Query("open"),
		Members: c.Query("members"), Hidden: c.Query("hidden")}
	v := view{Title: "Groups", Nav: "groups", Data: &d, Flash: okMessages[c.Query("ok")]}
	ctx := c.UserContext()
	if id, ok := groups.ParseID(d.Q); ok {
		gs, err := k.deps.Groups.GetGroups(ctx, []string{id})
		if err != nil {
			st, msg := k.refusal(c, err)
			v.Error = msg
			return k.render(c, st, "groups", v)
		}
		d.Groups, d.Searched = gs, true
		return k.render(c, http.StatusOK, "groups", v)
	}
	hidden, ok := hiddenFilters[d.Hidden]
	if !ok {
		v.Error = "Hidden filter must be empty, include or only."
		return k.render(c, http.StatusBadRequest, "groups", v)
	}
	req := groups.ListGroupsRequest{LangTag: d.LangTag, Cursor: c.Query("cursor"), Limit: pageSize, Hidden: hidden}
	if d.Q != "" {
		req.Name = d.Q + "%"
		d.Searched = true
		if req.Cursor == "" {
			// A tag is searched too (operators see hidden groups by tag).
			var id string
			var err error
			if looksLikeTag(d.Q) {
				id, err = k.deps.Stats.GroupIDByTag(ctx, d.Q)
			}
			if err == nil && id != "" {
				d.TagMatch, err = k.deps.Groups.GetGroups(ctx, []string{id})
			}
			if err != nil {
				st, msg := k.refusal(c, err)
				v.Error = msg
				return k.render(c, st, "groups", v)
			}
		}
	}
	switch d.Open {
	case "true", "false":
		b := d.Open == "true"
		req.Open = &b
	}
	if d.Members != "" {
		n, err := strconv.Atoi(d.Members)
		if err != nil {
			v.Error = "Members filter must be a whole number."
			return k.render(c, http.StatusBadRequest, "groups", v)
		}
		req.Members = &n
	}
	list, err := k.deps.Groups.ListGroups(ctx, req)
	if err != nil {
		st, msg := k.refusal(c, err)
		v.Error = msg
		return k.render(c, st, "groups", v)
	}
	d.Groups, d.Cursor = list.Groups, list.Cursor
	if d.Cursor != "" {
		args := map[string]string{"q": d.Q, "lang_tag": d.LangTag, "open": d.Open, "members": d.Members, "hidden": d.Hidden, "cursor": d.Cursor}
		parts := make([]string, 0, len(args))
		for _, key := range []string{"q", "lang_tag", "open", "members", "hidden", "cursor"} {
			if args[key] != "" {
				parts = append(parts, key+"="+urlQueryEscape(args[key]))
			}
		}
		d.NextQuery = template.URL(strings.Join(parts, "&"))
	}
	return k.render(c, http.StatusOK, "groups", v)
}

type groupData struct {
	Group    groups.Group
	Members  membersData
	History  []HistoryEntry
	HasHist  bool
	HistNext string
	Edit     editForm
	Metadata string
	// Pending and Expired count the group's unanswered invitations.
	Pending, Expired int64
	// Roles are the group's custom roles (highest rank first).
	Roles []groups.Role
	// FormError repeats a refusal next to the form (Form: "edit",
	// "metadata" or "delete") that caused it.
	Form, FormError string
}

type membersData struct {
	GroupID   string
	GroupName string
	State     string // "" for all but bans, else the state number
	Rows      []groups.GroupUser
	Cursor    string
	Flash     string
	Error     string
	EdgeCount int
	MaxCount  int
	OOB       bool // an htmx answer also refreshes the member count
	CSRF      string
	Reason    bool
}

type editForm struct {
	Name, Description, LangTag, AvatarURL, MaxCount string
	Open                                            bool
	JoinPolicy, Tag                                 string
	Hidden                                          bool
}

func formOf(g groups.Group) editForm {
	return editForm{Name: g.Name, Description: g.Description, LangTag: g.LangTag, AvatarURL: g.AvatarURL,
		MaxCount: strconv.Itoa(g.MaxCount), Open: g.Open, JoinPolicy: string(g.JoinPolicy), Tag: g.Tag, Hidden: g.Hidden}
}

// joinPolicies are the choices of the edit form's policy select.
var joinPolicies = []groups.JoinPolicy{groups.PolicyOpen, groups.PolicyRequest, groups.PolicyInviteOnly, groups.PolicyClosed}

// looksLikeTag: text the tag search may look up (2 to 5 letters or digits).
func looksLikeTag(s string) bool {
	n := utf8.RuneCountInString(s)
	if !utf8.ValidString(s) || n < 2 || n > 5 {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// okMessages are the success messages a redirect may name (?ok=…); fixed
// texts, so a link cannot put words in the console's mouth.
var okMessages = map[string]string{
	"add": "Added.", "kick": "Kicked.", "ban": "Banned.", "unban": "Unbanned.",
	"promote": "Promoted.", "demote": "Demoted.", "edit": "Group saved.", "metadata": "Metadata saved.",
	"deleted": "Group deleted.", "revoke": "Invitation revoked.",
}

// loadGroup reads the group of the :id parameter with a page of its members.
func (k *Console) loadGroup(c *fiber.Ctx, d *groupData) error {
	ctx := c.UserContext()
	gv, err := k.deps.Groups.GetGroup(ctx, groups.SystemActor(), groups.GroupRequest{GroupID: c.Params("id")})
	if err != nil {
		return err
	}
	d.Group = gv.Group
	d.Edit = formOf(gv.Group)
	d.Metadata = indentJSON(gv.Group.Metadata)
	if d.Pending, d.Expired, err = k.deps.Stats.InvitationCounts(ctx, gv.Group.ID); err != nil {
		return err
	}
	roles, err := k.deps.Groups.ListRoles(ctx, groups.SystemActor(), groups.GroupRequest{GroupID: gv.Group.ID})
	if err != nil {
		return err
	}
	d.Roles = roles.Roles
	d.Members, err = k.members(ctx, gv.Group, c.Query("state"), c.Query("cursor"))
	if err != nil {
		return err
	}
	if k.deps.History != nil {
		d.HasHist = true
		d.History, d.HistNext, err = k.deps.History.GroupHistory(ctx, gv.Group.ID, pageSize, c.Query("history_cursor"))
	}
	return err
}

func (k *Console) members(ctx context.Context, g groups.Group, state, cursor string) (membersData, error) {
	m := membersData{GroupID: g.ID, GroupName: g.Name, State: state, EdgeCount: g.EdgeCount, MaxCount: g.MaxCount}
	req := groups.ListGroupUsersRequest{GroupID: g.ID, Limit: pageSize, Cursor: cursor}
	if state != "" {
		n, err := strconv.Atoi(state)
		if err != nil {
			return m, errs.Invalid("Invalid state - state must be between 0 and 4.")
		}
		s := groups.State(n)
		req.State = &s
	}
	list, err := k.deps.Groups.ListGroupUsers(ctx, req)
	m.Rows, m.Cursor = list.GroupUsers, list.Cursor
	return m, err
}

func (k *Console) groupPage(c *fiber.Ctx) error {
	var d groupData
	v := view{Title: "Group", Nav: "groups", Data: &d, Flash: okMessages[c.Query("ok")]}
	if err := k.loadGroup(c, &d); err != nil {
		st, msg := k.refusal(c, err)
		v.Error = msg
		if d.Group.ID == "" {
			return k.render(c, st, "notfound", v)
		}
		return k.render(c, st, "group", v)
	}
	v.Title = d.Group.Name
	return k.render(c, http.StatusOK, "group", v)
}

// membersPage is the member list alone (htmx paging and state tabs), or the
// whole group page without JavaScript.
func (k *Console) membersPage(c *fiber.Ctx) error {
	if c.Get("HX-Request") == "" {
		return k.groupPage(c)
	}
	ctx := c.UserContext()
	gv, err := k.deps.Groups.GetGroup(ctx, groups.SystemActor(), groups.GroupRequest{GroupID: c.Params("id")})
	var m membersData
	if err == nil {
		m, err = k.members(ctx, gv.Group, c.Query("state"), c.Query("cursor"))
	}
	if err != nil {
		st, msg := k.refusal(c, err)
		m.Error = msg
		return k.renderMembers(c, st, m)
	}
	return k.renderMembers(c, http.StatusOK, m)
}

// memberActions are the service's member operations by the console's names.
var memberActions = map[string]func(*groups.Service, context.Context, groups.Actor, groups.GroupUsersRequest) error{
	"add":     (*groups.Service).AddUsers,
	"kick":    (*groups.Service).KickUsers,
	"ban":     (*groups.Service).BanUsers,
	"unban":   (*groups.Service).UnbanUsers,
	"promote": (*groups.Service).PromoteUsers,
	"demote":  (*groups.Service).DemoteUsers,
}

// ctxWithReason passes the form's audit reason to the audit log, when one is plugged in.
func (k *Console) ctxWithReason(c *fiber.Ctx) context.Context {
	ctx := c.UserContext()
	if k.deps.WithReason != nil {
		ctx = k.deps.WithReason(ctx, c.FormValue("reason"))
	}
	return ctx
}

// memberAction runs add, kick, ban, unban, promote or demote as the system
// on the form's user ids (comma or space separated).
func (k *Console) memberAction(c *fiber.Ctx) error {
	action := c.Params("action")
	run, ok := memberActions[action]
	if !ok {
		return c.Status(http.StatusNotFound).SendString("Unknown member action.")
	}
	ids := strings.FieldsFunc(c.FormValue("user_ids"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if len(ids) == 0 {
		// The API's own check, so an empty form refuses as the API would.
		return k.memberAnswer(c, errs.Invalid("User IDs must be set."), action)
	}
	err := run(k.deps.Groups, k.ctxWithReason(c), groups.SystemActor(), groups.GroupUsersRequest{GroupID: c.Params("id"), UserIDs: ids})
	return k.memberAnswer(c, err, action)
}

// memberAnswer answers a member action: to htmx the refreshed member list
// (with the refusal or success in it), otherwise a redirect to the group on
// success or the group page with the refusal.
func (k *Console) memberAnswer(c *fiber.Ctx, err error, action string) error {
	id := c.Params("id")
	state := c.FormValue("state")
	if c.Get("HX-Request") == "" {
		if err == nil {
			return c.Redirect(Prefix+"/groups/"+urlPathEscape(id)+"?ok="+action, http.StatusSeeOther)
		}
		var d groupData
		v := view{Title: "Group", Nav: "groups", Data: &d}
		st, msg := k.refusal(c, err)
		v.Error = msg
		if lerr := k.loadGroup(c, &d); lerr != nil {
			st, v.Error = k.refusal(c, lerr)
			return k.render(c, st, "notfound", v)
		}
		v.Title = d.Group.Name
		return k.render(c, st, "group", v)
	}
	ctx := c.UserContext()
	status := http.StatusOK
	var m membersData
	gv, gerr := k.deps.Groups.GetGroup(ctx, groups.SystemActor(), groups.GroupRequest{GroupID: id})
	if gerr == nil {
		m, gerr = k.members(ctx, gv.Group, state, "")
	}
	switch {
	case err != nil:
		status, m.Error = k.refusal(c, err)
	case gerr != nil:
		status, m.Error = k.refusal(c, gerr)
	default:
		m.Flash = okMessages[action]
	}
	m.OOB = gerr == nil
	return k.renderMembers(c, status, m)
}

// editGroup saves name, description, language, avatar, max count, join
// policy, tag and hidden as the system; the service refuses what it refuses
// (a max count below the member count, a taken name or tag, open and
// join_policy contradicting) and its message is shown.
//
// With a join_policy field (the console's form) open is sent only when the
// form has it, as the API's open beside join_policy; without one (an older
// form) open is the checkbox, unchecked meaning false. tag and hidden are
// sent when the form has them ("" clears the tag, as in the API).
func (k *Console) editGroup(c *fiber.Ctx) error {
	form := c.Request().PostArgs()
	f := editForm{Name: c.FormValue("name"), Description: c.FormValue("description"), LangTag: c.FormValue("lang_tag"),
		AvatarURL: c.FormValue("avatar_url"), MaxCount: strings.TrimSpace(c.FormValue("max_count")), Open: c.FormValue("open") != "",
		JoinPolicy: c.FormValue("join_policy"), Tag: strings.TrimSpace(c.FormValue("tag")), Hidden: c.FormValue("hidden") != ""}
	req := groups.UpdateGroupRequest{GroupID: c.Params("id"), Name: &f.Name, Description: &f.Description,
		LangTag: &f.LangTag, AvatarURL: &f.AvatarURL, Open: &f.Open}
	if form.Has("join_policy") {
		req.JoinPolicy = &f.JoinPolicy
		if !form.Has("open") {
			req.Open = nil
		} else {
			f.Open = c.FormValue("open") == "true"
		}
	}
	if form.Has("tag") {
		req.Tag = &f.Tag
	}
	if form.Has("hidden_shown") { // the checkbox's companion: present when the form shows hidden
		req.Hidden = &f.Hidden
	}
	var err error
	if n, perr := strconv.Atoi(f.MaxCount); perr != nil {
		err = errs.Invalid("Max count must be a whole number.")
	} else {
		req.MaxCount = &n
		err = k.deps.Groups.UpdateGroup(k.ctxWithReason(c), groups.SystemActor(), req)
	}
	if err == nil {
		return c.Redirect(Prefix+"/groups/"+urlPathEscape(c.Params("id"))+"?ok=edit", http.StatusSeeOther)
	}
	return k.refuseGroupForm(c, err, "edit", func(d *groupData) { d.Edit = f })
}

// editMetadata saves the metadata JSON; text that is not JSON is refused
// here with the position of the error, before the service sees it.
func (k *Console) editMetadata(c *fiber.Ctx) error {
	text := c.FormValue("metadata")
	err := checkJSON(text)
	if err == nil {
		err = k.deps.Groups.UpdateGroup(k.ctxWithReason(c), groups.SystemActor(),
			groups.UpdateGroupRequest{GroupID: c.Params("id"), Metadata: &text})
	}
	if err == nil {
		return c.Redirect(Prefix+"/groups/"+urlPathEscape(c.Params("id"))+"?ok=metadata", http.StatusSeeOther)
	}
	return k.refuseGroupForm(c, err, "metadata", func(d *groupData) { d.Metadata = text })
}

// deleteGroup deletes after the group's name was typed to confirm.
func (k *Console) deleteGroup(c *fiber.Ctx) error {
	ctx := c.UserContext()
	gv, err := k.deps.Groups.GetGroup(ctx, groups.SystemActor(), groups.GroupRequest{GroupID: c.Params("id")})
	if err == nil && c.FormValue("confirm_name") != gv.Group.Name {
		err = errs.Invalid("Type the group's name exactly to confirm the deletion.")
	}
	if err == nil {
		err = k.deps.Groups.DeleteGroup(k.ctxWithReason(c), groups.SystemActor(), groups.GroupRequest{GroupID: gv.Group.ID})
	}
	if err == nil {
		return c.Redirect(Prefix+"/groups?ok=deleted", http.StatusSeeOther)
	}
	return k.refuseGroupForm(c, err, "delete", nil)
}

// refuseGroupForm shows the group page with a refusal, keeping what the user typed.
func (k *Console) refuseGroupForm(c *fiber.Ctx, err error, form string, keep func(*groupData)) error {
	st, msg := k.refusal(c, err)
	d := groupData{Form: form, FormError: msg}
	v := view{Title: "Group", Nav: "groups", Data: &d, Error: msg}
	if lerr := k.loadGroup(c, &d); lerr != nil {
		if d.Group.ID == "" {
			st, v.Error = k.refusal(c, lerr)
			return k.render(c, st, "notfound", v)
		}
	}
	if keep != nil {
		keep(&d)
	}
	v.Title = d.Group.Name
	return k.render(c, st, "group", v)
}

// checkJSON refuses text that is not JSON, naming the line and column.
func checkJSON(text string) error {
	var v any
	err := json.Unmarshal([]byte(text), &v)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	offset := int64(len(text))
	if errors.As(err, &se) {
		offset = se.Offset
	}
	line, col := lineCol(text, offset)
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "json: ")
	return errs.Invalid("Invalid JSON at line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col) + ": " + msg)
}

// lineCol turns a byte offset (just past the offending byte, as
// encoding/json reports it) into a 1-based line and column.
func lineCol(text string, offset int64) (int, int) {
	if offset > int64(len(text)) {
		offset = int64(len(text))
	}
	line, col := 1, 0
	for _, r := range text[:offset] {
		if r == '\n' {
			line, col = line+1, 0
			continue
		}
		col++
	}
	if col == 0 {
		col = 1
	}
	return line, col
}

// indentJSON shows stored metadata indented; other text as it is.
func indentJSON(s string) string {
	var buf bytes.Buffer
	if json.Indent(&buf, []byte(s), "", "  ") != nil {
		return s
	}
	return buf.String()
}
