package main

// fixtures.go: the users and groups the scenarios run against, set up before
// any timed window. Every name derives from -prefix, and every step is
// idempotent (login with create=true, create-or-look-up groups, joins and
// kicks that are no-ops when already done), so a run can be repeated with the
// same prefix and interrupted runs are put back to their rest state.

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"net/url"
	"strings"
	"time"
)

// Fixture sizes, fixed because they define the scenarios (the same sizes as
// the reference measurements of Nakama).
const (
	listTotal       = 5000 // groups created for list / list_page
	listMatching    = 100  // of which share the distinct name prefix
	listPageSize    = 20
	listPages       = 5 // list_page: first page + 4 cursor pages
	joinLeaveGroups = 200
	memberGroups    = 20
	membersPerGroup = 50 // owner + 49 joined members
	setupWidth      = 64 // parallel requests during setup and check
)

// need is a set of fixture kinds; scenarios declare which they use so a run
// of one scenario does not pay for the setup of all.
type need uint

const (
	needList need = 1 << iota
	needJoinLeave
	needMembers
	needPromote
	needKick
)

// groupRef is a fixture group; path is prebuilt for the hot loop.
type groupRef struct {
	id, name string
	path     string // "/v2/group/<id>"
	ownerID  string
}

func newGroupRef(g wireGroup, ownerID string) groupRef {
	return groupRef{id: g.ID, name: g.Name, path: "/v2/group/" + url.PathEscape(g.ID), ownerID: ownerID}
}

// pairRef is a group owned by one client together with the user that
// client's promote_demote or kick_add ops act on.
type pairRef struct {
	g      groupRef
	target string // user id
}

type fixtures struct {
	prefix string
	nonce  string // per process, so create names never collide with an earlier run of the same prefix

	owner   *session   // owns the shared groups (list, join_leave, list_members); never a worker
	clients []*session // one per worker
	members []*session // the 49 users that fill each list_members group

	listPrefix string // distinct prefix of the listMatching groups
	listPath   string // GET path of the list scenario

	joinLeave    []groupRef
	memberGroups []groupRef
	promote      []pairRef // index = worker id
	kick         []pairRef // index = worker id
}

func randomHex(nBytes int) string {
	b := make([]byte, nBytes)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}

func deviceID(prefix, role string, i int) string {
	return fmt.Sprintf("%s-%s-%04d", prefix, role, i+1)
}

func (fx *fixtures) authUsers(cl *client, role string, n int) ([]*session, error) {
	out := make([]*session, n)
	err := parallel(n, setupWidth, func(i int) error {
		s, err := cl.authenticate(deviceID(fx.prefix, role, i))
		out[i] = s
		return err
	})
	return out, err
}

// setupFixtures builds what the selected scenarios need; conc is the number
// of workers (one client user, and one promote/kick group, per worker).
func setupFixtures(cl *client, prefix string, conc int, needs need) (*fixtures, error) {
	fx := &fixtures{prefix: prefix, nonce: randomHex(3), listPrefix: prefix + "-m-"}
	fx.listPath = "/v2/group?name=" + url.QueryEscape(fx.listPrefix+"%") + fmt.Sprintf("&limit=%d", listPageSize)

	step := func(what string, fn func() error) error {
		t0 := time.Now()
		if err := fn(); err != nil {
			return fmt.Errorf("fixture %s: %w", what, err)
		}
		log.Printf("fixture %-28s %6.1fs", what, time.Since(t0).Seconds())
		return nil
	}

	var pdTargets, kaTargets []*session
	err := step("users", func() error {
		owners, err := fx.authUsers(cl, "owner", 1)
		if err != nil {
			return err
		}
		fx.owner = owners[0]
		if fx.clients, err = fx.authUsers(cl, "user", conc); err != nil {
			return err
		}
		if needs&needMembers != 0 {
			if fx.members, err = fx.authUsers(cl, "member", membersPerGroup-1); err != nil {
				return err
			}
		}
		if needs&needPromote != 0 {
			if pdTargets, err = fx.authUsers(cl, "pdt", conc); err != nil {
				return err
			}
		}
		if needs&needKick != 0 {
			if kaTargets, err = fx.authUsers(cl, "kat", conc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	if needs&needList != 0 {
		err := step(fmt.Sprintf("list groups (%d)", listTotal), func() error { return fx.setupList(cl) })
		if err != nil {
			return nil, err
		}
	}
	if needs&needJoinLeave != 0 {
		err := step(fmt.Sprintf("join_leave groups (%d)", joinLeaveGroups), func() error { return fx.setupJoinLeave(cl, conc) })
		if err != nil {
			return nil, err
		}
	}
	if needs&needMembers != 0 {
		err := step(fmt.Sprintf("member groups (%dx%d)", memberGroups, membersPerGroup), func() error { return fx.setupMembers(cl) })
		if err != nil {
			return nil, err
		}
	}
	if needs&needPromote != 0 {
		err := step(fmt.Sprintf("promote groups (%d)", conc), func() error {
			fx.promote, err = fx.setupPairs(cl, "pd", true, pdTargets)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	if needs&needKick != 0 {
		err := step(fmt.Sprintf("kick groups (%d)", conc), func() error {
			fx.kick, err = fx.setupPairs(cl, "ka", false, kaTargets)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return fx, nil
}

// setupList creates listTotal groups, listMatching of them under the
// distinct list prefix. Ids are not needed, so a 409 (made by an earlier run)
// is simply accepted.
func (fx *fixtures) setupList(cl *client) error {
	err := parallel(listTotal, setupWidth, func(i int) error {
		name := fmt.Sprintf("%s-f-%04d", fx.prefix, i+1)
		if i < listMatching {
			name = fmt.Sprintf("%s%04d", fx.listPrefix, i+1)
		}
		hdr, err := cl.mustAuth(fx.owner)
		if err != nil {
			return err
		}
		body, _ := json.Marshal(createGroupBody{Name: name, Open: true})
		status, data, err := cl.do("POST", "/v2/group", hdr, body)
		if err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
		if status == 409 {
			return nil
		}
		if _, err := validateCreate(status, data, name, fx.owner.uid(), true); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The list scenario counts on exactly listMatching matches; verify once.
	hdr, err := cl.mustAuth(fx.owner)
	if err != nil {
		return err
	}
	path := "/v2/group?name=" + url.QueryEscape(fx.listPrefix+"%") + fmt.Sprintf("&limit=%d", listMatching)
	status, data, err := cl.do("GET", path, hdr, nil)
	if err != nil {
		return err
	}
	if _, err := validateGroupList(status, data, listMatching, fx.listPrefix, false); err != nil {
		return fmt.Errorf("listing the %d %s%% groups: %w", listMatching, fx.listPrefix, err)
	}
	return nil
}

// setupJoinLeave creates the open groups workers join and leave, owned by
// the owner user so that no worker ever leaves a group it owns (that would
// delete it). max_count leaves room for every worker at once.
func (fx *fixtures) setupJoinLeave(cl *client, conc int) error {
	maxCount := max(conc+1, 100)
	fx.joinLeave = make([]groupRef, joinLeaveGroups)
	return parallel(joinLeaveGroups, setupWidth, func(i int) error {
		name := fmt.Sprintf("%s-jl-%04d", fx.prefix, i+1)
		g, created, err := createOrGet(cl, fx.owner, name, true, maxCount)
		if err != nil {
			return err
		}
		if g.MaxCount < conc+1 {
			return fmt.Errorf("existing group %s has max_count %d < %d workers + owner; use another -prefix", name, g.MaxCount, conc)
		}
		fx.joinLeave[i] = newGroupRef(g, fx.owner.uid())
		if created {
			return nil
		}
		return normalize(cl, fx.owner, fx.joinLeave[i], fx.owner.uid())
	})
}

// setupMembers creates the list_members groups and has the 49 member users
// join each of them (joining twice is a no-op, so re-runs are fine).
func (fx *fixtures) setupMembers(cl *client) error {
	fx.memberGroups = make([]groupRef, memberGroups)
	reused := make([]bool, memberGroups)
	err := parallel(memberGroups, setupWidth, func(i int) error {
		name := fmt.Sprintf("%s-lm-%04d", fx.prefix, i+1)
		g, created, err := createOrGet(cl, fx.owner, name, true, 100)
		if err != nil {
			return err
		}
		fx.memberGroups[i] = newGroupRef(g, fx.owner.uid())
		reused[i] = !created
		return nil
	})
	if err != nil {
		return err
	}
	n := len(fx.members)
	err = parallel(memberGroups*n, setupWidth, func(k int) error {
		return groupAction(cl, fx.members[k%n], fx.memberGroups[k/n], "join")
	})
	if err != nil {
		return err
	}
	keep := []string{fx.owner.uid()}
	for _, m := range fx.members {
		keep = append(keep, m.uid())
	}
	return parallel(memberGroups, setupWidth, func(i int) error {
		if !reused[i] {
			return nil
		}
		return normalize(cl, fx.owner, fx.memberGroups[i], keep...)
	})
}

// setupPairs gives every worker its own group, owned by the worker's user, so
// owner-side ops of different workers never contend on one group.
// promote_demote (open): the target joins and is demoted back to member in
// case an interrupted run left it promoted. kick_add (closed): the target is
// kicked in case an interrupted run left it added.
func (fx *fixtures) setupPairs(cl *client, kind string, open bool, targets []*session) ([]pairRef, error) {
	out := make([]pairRef, len(fx.clients))
	err := parallel(len(fx.clients), setupWidth, func(i int) error {
		owner, target := fx.clients[i], targets[i]
		name := fmt.Sprintf("%s-%s-%04d", fx.prefix, kind, i+1)
		g, created, err := createOrGet(cl, owner, name, open, 0)
		if err != nil {
			return err
		}
		ref := pairRef{g: newGroupRef(g, owner.uid()), target: target.uid()}
		out[i] = ref
		if kind == "ka" && bouncerHTTPKey != "" {
			if err := makeBouncer(cl, ref.g.id, owner.uid()); err != nil {
				return err
			}
		}
		if open {
			if err := groupAction(cl, target, ref.g, "join"); err != nil {
				return err
			}
			if err := groupAction(cl, owner, ref.g, "demote", ref.target); err != nil {
				return err
			}
			if created {
				return nil
			}
			return normalize(cl, owner, ref.g, owner.uid(), ref.target)
		}
		if created {
			return nil
		}
		return normalize(cl, owner, ref.g, owner.uid())
	})
	return out, err
}

// validPrefix keeps prefixes to characters that are literal in the server's
// ILIKE name filter (no % or _) and short enough for device ids (≤128 bytes).
func validPrefix(p string) error {
	if p == "" || len(p) > 64 {
		return fmt.Errorf("prefix must be 1-64 characters")
	}
	if strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != "" {
		return fmt.Errorf("prefix %q: only letters, digits, '-' and '.' are allowed", p)
	}
	return nil
}

// bouncerHTTPKey, when set, makes each kick_add owner a "bouncer" in its
// group's metadata (the role examples/bouncer.js and bouncer.lua check).
var bouncerHTTPKey string

func makeBouncer(cl *client, groupID, ownerID string) error {
	meta, _ := json.Marshal(map[string]any{"roles": map[string][]string{ownerID: {"bouncer"}}})
	body, _ := json.Marshal(map[string]string{"metadata": string(meta)})
	status, resp, err := cl.do("PUT", "/v2/server/group/"+groupID+"?http_key="+url.QueryEscape(bouncerHTTPKey), "", body)
	if err != nil {
		return err
	}
	if status != 200 {
		return fmt.Errorf("set bouncer role on %s: %d %s", groupID, status, resp)
	}
	return nil
}
