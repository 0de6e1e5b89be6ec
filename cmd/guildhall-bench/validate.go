package main

// validate.go: wire types of the Nakama REST API and the pure validators that
// decide whether one response counts as a successful op. They take the status
// and body bytes only, so they are unit-tested without a server.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// apiError is Nakama's error body (a google.rpc.Status): {"code","message"}.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// wireGroup holds the Group fields the bench looks at. Open is a pointer
// because Nakama always emits it (a BoolValue wrapper), so its absence is a
// shape error, while zero-valued ints (edge_count) are legitimately omitted.
type wireGroup struct {
	ID         string `json:"id"`
	CreatorID  string `json:"creator_id"`
	Name       string `json:"name"`
	Open       *bool  `json:"open"`
	EdgeCount  int    `json:"edge_count"`
	MaxCount   int    `json:"max_count"`
	CreateTime string `json:"create_time"`
}

type groupList struct {
	Groups []wireGroup `json:"groups"`
	Cursor string      `json:"cursor"`
}

type wireUser struct {
	ID       string `json:"id"`
	Username string `json:"username"`
}

// groupUser.State is a pointer so a missing state can be told apart; like
// nakama-js the bench reads an absent state as 0 (superadmin).
type groupUser struct {
	User  *wireUser `json:"user"`
	State *int      `json:"state"`
}

func (g groupUser) state() int {
	if g.State == nil {
		return 0
	}
	return *g.State
}

type groupUserList struct {
	GroupUsers []groupUser `json:"group_users"`
	Cursor     string      `json:"cursor"`
}

type authResponse struct {
	Token        string `json:"token"`
	RefreshToken string `json:"refresh_token"`
	Created      bool   `json:"created"`
}

// statusError describes a response that is not 200, quoting the Nakama error
// body when there is one so error samples say what the server complained about.
type statusError struct {
	Status int
	Body   string
}

func (e *statusError) Error() string {
	var ae apiError
	if json.Unmarshal([]byte(e.Body), &ae) == nil && (ae.Code != 0 || ae.Message != "") {
		return fmt.Sprintf("HTTP %d code %d %q", e.Status, ae.Code, ae.Message)
	}
	return fmt.Sprintf("HTTP %d body %q", e.Status, truncate(e.Body, 120))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// expectOK rejects any status but 200: every successful Nakama REST call
// answers 200, even the ones with an empty body.
func expectOK(status int, body []byte) error {
	if status != 200 {
		return &statusError{Status: status, Body: string(body)}
	}
	return nil
}

// decodeObject requires a JSON object (Nakama never answers with another
// JSON type) and decodes it into v.
func decodeObject(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return fmt.Errorf("body is not a JSON object: %q", truncate(string(body), 80))
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		return fmt.Errorf("bad JSON: %v", err)
	}
	return nil
}

// isUUID accepts the canonical 8-4-4-4-12 hex form Nakama uses for ids.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// validateAuth checks an authenticate or session/refresh answer: both tokens
// present and JWT-shaped (nakama-js throws on anything else).
func validateAuth(status int, body []byte) (authResponse, error) {
	var r authResponse
	if err := expectOK(status, body); err != nil {
		return r, err
	}
	if err := decodeObject(body, &r); err != nil {
		return r, err
	}
	if strings.Count(r.Token, ".") != 2 {
		return r, fmt.Errorf("token is not a JWT: %q", truncate(r.Token, 40))
	}
	if strings.Count(r.RefreshToken, ".") != 2 {
		return r, fmt.Errorf("refresh_token is not a JWT: %q", truncate(r.RefreshToken, 40))
	}
	return r, nil
}

// validateGroup checks the fields every Group must carry. wantName and
// wantCreator are skipped when empty; wantOpen when nil.
func validateGroup(g wireGroup, wantName, wantCreator string, wantOpen *bool) error {
	if !isUUID(g.ID) {
		return fmt.Errorf("group id %q is not a UUID", g.ID)
	}
	if g.Name == "" {
		return fmt.Errorf("group %s has no name", g.ID)
	}
	if wantName != "" && g.Name != wantName {
		return fmt.Errorf("group name %q, want %q", g.Name, wantName)
	}
	if g.Open == nil {
		return fmt.Errorf("group %s lacks the always-present \"open\" field", g.ID)
	}
	if wantOpen != nil && *g.Open != *wantOpen {
		return fmt.Errorf("group %s open=%v, want %v", g.ID, *g.Open, *wantOpen)
	}
	if wantCreator != "" && g.CreatorID != wantCreator {
		return fmt.Errorf("group %s creator_id %q, want %q", g.ID, g.CreatorID, wantCreator)
	}
	return nil
}

// validateCreate checks a CreateGroup answer: 200 and a Group with an id, the
// requested name and open flag, created by the caller.
func validateCreate(status int, body []byte, name, creator string, open bool) (wireGroup, error) {
	var g wireGroup
	if err := expectOK(status, body); err != nil {
		return g, err
	}
	if err := decodeObject(body, &g); err != nil {
		return g, err
	}
	return g, validateGroup(g, name, creator, &open)
}

// validateEmpty checks the answer of join/leave/add/kick/promote/demote:
// 200 with an empty object. Extra keys would not break nakama-js, but any key
// here means the server answered something else than Nakama does.
func validateEmpty(status int, body []byte) error {
	if err := expectOK(status, body); err != nil {
		return err
	}
	var m map[string]json.RawMessage
	if err := decodeObject(body, &m); err != nil {
		return err
	}
	if len(m) != 0 {
		return fmt.Errorf("want {}, got %q", truncate(string(body), 80))
	}
	return nil
}

// validateGroupList checks a ListGroups page: exactly want groups, each well
// formed, each name starting with namePrefix (case-insensitively, as the
// server's ILIKE matches) when namePrefix is set, and a cursor when needCursor.
func validateGroupList(status int, body []byte, want int, namePrefix string, needCursor bool) (groupList, error) {
	var l groupList
	if err := expectOK(status, body); err != nil {
		return l, err
	}
	if err := decodeObject(body, &l); err != nil {
		return l, err
	}
	if len(l.Groups) != want {
		return l, fmt.Errorf("got %d groups, want %d", len(l.Groups), want)
	}
	lp := strings.ToLower(namePrefix)
	for _, g := range l.Groups {
		if err := validateGroup(g, "", "", nil); err != nil {
			return l, err
		}
		if lp != "" && !strings.HasPrefix(strings.ToLower(g.Name), lp) {
			return l, fmt.Errorf("group name %q does not start with %q", g.Name, namePrefix)
		}
	}
	if needCursor && l.Cursor == "" {
		return l, fmt.Errorf("no cursor although more groups exist")
	}
	return l, nil
}

// validateGroupUsers checks a ListGroupUsers page: exactly want entries (want
// < 0 skips the count), each with a user id and a listed state (0-3: bans only
// show with state=4).
func validateGroupUsers(status int, body []byte, want int) (groupUserList, error) {
	var l groupUserList
	if err := expectOK(status, body); err != nil {
		return l, err
	}
	if err := decodeObject(body, &l); err != nil {
		return l, err
	}
	if want >= 0 && len(l.GroupUsers) != want {
		return l, fmt.Errorf("got %d group_users, want %d", len(l.GroupUsers), want)
	}
	for _, gu := range l.GroupUsers {
		if gu.User == nil || !isUUID(gu.User.ID) {
			return l, fmt.Errorf("group user without a valid user.id")
		}
		if s := gu.state(); s < 0 || s > 3 {
			return l, fmt.Errorf("user %s has state %d in a listing without a state filter", gu.User.ID, s)
		}
	}
	return l, nil
}
