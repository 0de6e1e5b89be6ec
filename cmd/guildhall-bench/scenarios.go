package main

// scenarios.go: what one unit of work is in each scenario. A unit is the
// smallest sequence of HTTP requests that leaves the fixtures at rest (join
// then leave, promote then demote…); each request is one op, timed and
// validated on its own by worker.op.

import (
	"encoding/json"
	"fmt"
	"net/url"
)

type scenario struct {
	name  string
	needs need
	ops   int // HTTP requests per unit: turns the mix's op shares into unit weights
	unit  func(w *worker)
}

// scenarioOrder is the default run order: cheap reads first, the mix last.
var scenarioOrder = []string{"create", "list", "list_page", "join_leave", "list_members", "promote_demote", "kick_add", "mixed"}

// mixEntry is one line of the mixed scenario: pct is the share of all ops
// (HTTP requests), not of units, so the mix means the same whatever the
// number of requests per unit.
type mixEntry struct {
	scenario string
	pct      int
}

var mixTable = []mixEntry{
	{"list", 25}, {"list_members", 20}, {"join_leave", 20}, {"create", 10},
	{"list_page", 5}, {"promote_demote", 10}, {"kick_add", 10},
}

// opScenario maps an op name back to its scenario, for the mix's op shares.
func opScenario(op string) string {
	switch op {
	case "join", "leave":
		return "join_leave"
	case "promote", "demote":
		return "promote_demote"
	case "add", "kick":
		return "kick_add"
	}
	return op
}

// allScenarios builds the scenario table. It is a function, not a package
// variable, because mixed refers to the other entries.
func allScenarios() map[string]*scenario {
	m := map[string]*scenario{
		"create":         {name: "create", ops: 1, unit: unitCreate},
		"list":           {name: "list", needs: needList, ops: 1, unit: unitList},
		"list_page":      {name: "list_page", needs: needList, ops: listPages, unit: unitListPage},
		"join_leave":     {name: "join_leave", needs: needJoinLeave, ops: 2, unit: unitJoinLeave},
		"list_members":   {name: "list_members", needs: needMembers, ops: 1, unit: unitListMembers},
		"promote_demote": {name: "promote_demote", needs: needPromote, ops: 2, unit: unitPromoteDemote},
		"kick_add":       {name: "kick_add", needs: needKick, ops: 2, unit: unitKickAdd},
	}
	parts := make([]*scenario, len(mixTable))
	pcts := make([]int, len(mixTable))
	ops := make([]int, len(mixTable))
	var needs need
	for i, e := range mixTable {
		parts[i], pcts[i], ops[i] = m[e.scenario], e.pct, m[e.scenario].ops
		needs |= parts[i].needs
	}
	cum := cumulative(unitWeights(pcts, ops))
	m["mixed"] = &scenario{name: "mixed", needs: needs, ops: 1, unit: func(w *worker) {
		parts[pickWeighted(cum, w.rng.IntN(cum[len(cum)-1]))].unit(w)
	}}
	return m
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// unitWeights turns op percentages into unit weights: a unit of k requests
// must be drawn k times less often for its requests to be pct% of all. The
// weights are scaled by the lcm of the unit sizes to stay integers.
func unitWeights(pcts, opsPerUnit []int) []int {
	l := 1
	for _, k := range opsPerUnit {
		l = l / gcd(l, k) * k
	}
	w := make([]int, len(pcts))
	for i := range pcts {
		w[i] = pcts[i] * l / opsPerUnit[i]
	}
	return w
}

func cumulative(ws []int) []int {
	out := make([]int, len(ws))
	sum := 0
	for i, w := range ws {
		sum += w
		out[i] = sum
	}
	return out
}

// pickWeighted returns the index i with cum[i-1] <= r < cum[i], for r drawn
// uniformly from [0, cum[len-1]). The table is tiny; a linear scan wins.
func pickWeighted(cum []int, r int) int {
	for i, c := range cum {
		if r < c {
			return i
		}
	}
	return len(cum) - 1
}

func unitCreate(w *worker) {
	w.seq++
	// The nonce keeps names unique across processes that reuse a prefix.
	name := fmt.Sprintf("%s-c-%s-%03d-%07d", w.fx.prefix, w.fx.nonce, w.id, w.seq)
	body, _ := json.Marshal(createGroupBody{Name: name, Open: true})
	w.op("create", func(hdr string) error {
		status, data, err := w.cl.do("POST", "/v2/group", hdr, body)
		if err != nil {
			return err
		}
		_, err = validateCreate(status, data, name, w.uid, true)
		return err
	})
}

func unitList(w *worker) {
	w.op("list", func(hdr string) error {
		status, data, err := w.cl.do("GET", w.fx.listPath, hdr, nil)
		if err != nil {
			return err
		}
		// 100 groups match, so a page of 20 always has a next page.
		_, err = validateGroupList(status, data, listPageSize, w.fx.listPrefix, true)
		return err
	})
}

func unitListPage(w *worker) {
	cursor := ""
	for page := 0; page < listPages; page++ {
		path := fmt.Sprintf("/v2/group?limit=%d", listPageSize)
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		ok := w.op("list_page", func(hdr string) error {
			status, data, err := w.cl.do("GET", path, hdr, nil)
			if err != nil {
				return err
			}
			// The list fixture guarantees thousands of groups, so every page
			// is full and every page but the last one read has a cursor.
			l, err := validateGroupList(status, data, listPageSize, "", page < listPages-1)
			cursor = l.Cursor
			return err
		})
		if !ok {
			return // no cursor to continue with
		}
	}
}

func unitJoinLeave(w *worker) {
	g := w.fx.joinLeave[w.rng.IntN(len(w.fx.joinLeave))]
	// The leave runs even if the join failed: the unit must end at rest.
	w.op("join", w.emptyPost(g.path+"/join"))
	w.op("leave", w.emptyPost(g.path+"/leave"))
}

func unitListMembers(w *worker) {
	g := w.fx.memberGroups[w.rng.IntN(len(w.fx.memberGroups))]
	path := g.path + "/user?limit=100"
	w.op("list_members", func(hdr string) error {
		status, data, err := w.cl.do("GET", path, hdr, nil)
		if err != nil {
			return err
		}
		_, err = validateGroupUsers(status, data, membersPerGroup)
		return err
	})
}

func unitPromoteDemote(w *worker) {
	w.op("promote", w.emptyPost(w.promotePath))
	w.op("demote", w.emptyPost(w.demotePath))
}

func unitKickAdd(w *worker) {
	w.op("add", w.emptyPost(w.addPath))
	w.op("kick", w.emptyPost(w.kickPath))
}

// emptyPost is an op body for the POSTs that answer 200 {}.
func (w *worker) emptyPost(path string) func(hdr string) error {
	return func(hdr string) error {
		status, data, err := w.cl.do("POST", path, hdr, nil)
		if err != nil {
			return err
		}
		return validateEmpty(status, data)
	}
}
