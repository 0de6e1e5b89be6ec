package console

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
)

// invitationStates are the invitation page's tabs, in the service's words.
var invitationStates = []groups.InvitationState{groups.InvitePending, groups.InviteExpired,
	groups.InviteAccepted, groups.InviteDeclined, groups.InviteRevoked}

type invitationsData struct {
	GroupID   string
	GroupName string
	State     string // "" is pending
	Rows      []invitationRow
	Cursor    string
	Flash     string
	Error     string
	CSRF      string
	Reason    bool
}

type invitationRow struct {
	groups.Invitation
	Invitee, Inviter string // usernames ("" when unknown; the inviter "" also for the system)
}

// Revocable: a pending invitation, expired or not (as the service allows).
func (r invitationRow) Revocable() bool {
	return r.State == groups.InvitePending || r.State == groups.InviteExpired
}

// invitationsPage is a group's invitations in one state, a page at a time,
// read with the service's ListGroupInvitations as the system; to htmx the
// list alone.
func (k *Console) invitationsPage(c *fiber.Ctx) error {
	d, err := k.invitations(c, c.Query("state"), c.Query("cursor"))
	if err != nil {
		st, msg := k.refusal(c, err)
		d.Error = msg
		if d.GroupID == "" {
			return k.render(c, st, "notfound", view{Title: "Invitations", Nav: "groups", Error: msg})
		}
		return k.renderInvitations(c, st, d)
	}
	d.Flash = okMessages[c.Query("ok")]
	return k.renderInvitations(c, http.StatusOK, d)
}

// invitations reads the group of :id and a page of its invitations with
// the invitees' and inviters' usernames (one more read for the page).
func (k *Console) invitations(c *fiber.Ctx, state, cursor string) (invitationsData, error) {
	ctx := c.UserContext()
	d := invitationsData{State: state}
	gv, err := k.deps.Groups.GetGroup(ctx, groups.SystemActor(), groups.GroupRequest{GroupID: c.Params("id")})
	if err != nil {
		return d, err
	}
	d.GroupID, d.GroupName = gv.Group.ID, gv.Group.Name
	list, err := k.deps.Groups.ListGroupInvitations(ctx, groups.SystemActor(), groups.ListGroupInvitationsRequest{
		GroupID: gv.Group.ID, State: state, Limit: pageSize, Cursor: cursor})
	if err != nil {
		return d, err
	}
	d.Cursor = list.Cursor
	seen := map[string]bool{}
	var ids []string
	for _, inv := range list.Invitations {
		for _, id := range []string{inv.UserID, inv.InviterID} {
			if id != "" && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	names := map[string]string{}
	if len(ids) > 0 {
		users, err := k.deps.Accounts.GetUsers(ctx, ids, nil)
		if err != nil {
			return d, err
		}
		for _, u := range users {
			names[u.ID] = u.Username
		}
	}
	for _, inv := range list.Invitations {
		d.Rows = append(d.Rows, invitationRow{Invitation: inv, Invitee: names[inv.UserID], Inviter: names[inv.InviterID]})
	}
	return d, nil
}

func (k *Console) renderInvitations(c *fiber.Ctx, status int, d invitationsData) error {
	d.CSRF = sessionOf(c).csrf
	d.Reason = k.deps.WithReason != nil
	if c.Get("HX-Request") != "" {
		return k.exec(c, status, "invitations", "invitation-list", d)
	}
	v := view{Title: "Invitations of " + d.GroupName, Nav: "groups", Data: &d}
	return k.render(c, status, "invitations", v)
}

// revokeInvitation revokes one pending invitation of the group as the
// system (audited, with the form's reason). The service refuses an
// invitation of another group as not found, and one no longer pending.
func (k *Console) revokeInvitation(c *fiber.Ctx) error {
	gid, ok := groups.ParseID(c.Params("id"))
	var err error
	if !ok {
		err = errs.Invalid("Group ID must be a valid ID.")
	} else {
		err = k.deps.Groups.RevokeInvitation(k.ctxWithReason(c), groups.SystemActor(),
			groups.InvitationRequest{InvitationID: c.Params("inv"), GroupID: gid})
	}
	state := c.FormValue("state")
	if err == nil && c.Get("HX-Request") == "" {
		q := "?ok=revoke"
		if state != "" {
			q += "&state=" + urlQueryEscape(state)
		}
		return c.Redirect(Prefix+"/groups/"+urlPathEscape(gid)+"/invitations"+q, http.StatusSeeOther)
	}
	status, msg := http.StatusOK, ""
	if err != nil {
		status, msg = k.refusal(c, err)
	}
	d, lerr := k.invitations(c, state, "")
	if lerr != nil && d.GroupID == "" {
		st, m := k.refusal(c, lerr)
		if err == nil {
			status, msg = st, m
		}
		return k.render(c, status, "notfound", view{Title: "Invitations", Nav: "groups", Error: msg})
	}
	if lerr != nil && err == nil {
		status, msg = k.refusal(c, lerr)
	}
	d.Error = msg
	if err == nil {
		d.Flash = okMessages["revoke"]
	}
	return k.renderInvitations(c, status, d)
}
