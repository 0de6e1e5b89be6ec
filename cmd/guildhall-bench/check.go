package main

// check.go: the consistency check after all scenarios. Under load a server
// can answer 200 to every request and still corrupt its state (Nakama itself
// drifts edge_count under concurrent leave/kick), so every group the bench
// changed is read back: its edge_count must equal its members in states 0-2,
// and its members must be exactly the at-rest set the scenarios leave behind.

import (
	"fmt"
	"sort"
	"sync"
)

type expectation struct {
	kind string // fixture kind, for the report
	g    groupRef
	want map[string]int // user id → state: the exact membership at rest
}

type mismatch struct {
	Kind    string `json:"kind"`
	Group   string `json:"group"`
	Problem string `json:"problem"`
}

type checkReport struct {
	Groups     int        `json:"groups"`
	Mismatches []mismatch `json:"mismatches"`
}

// expectations lists the groups the selected scenarios touch with the state
// each is in when no unit is in flight.
func (fx *fixtures) expectations(needs need) []expectation {
	var out []expectation
	owner := fx.owner.uid()
	if needs&needJoinLeave != 0 {
		// Every join is followed by a leave: only the owner remains.
		for _, g := range fx.joinLeave {
			out = append(out, expectation{"join_leave", g, map[string]int{owner: 0}})
		}
	}
	if needs&needMembers != 0 {
		for _, g := range fx.memberGroups {
			want := map[string]int{owner: 0}
			for _, m := range fx.members {
				want[m.uid()] = 2
			}
			out = append(out, expectation{"list_members", g, want})
		}
	}
	if needs&needPromote != 0 {
		// Promote then demote: the target is back to a plain member.
		for _, p := range fx.promote {
			out = append(out, expectation{"promote_demote", p.g, map[string]int{p.g.ownerID: 0, p.target: 2}})
		}
	}
	if needs&needKick != 0 {
		// Add then kick: the target is gone.
		for _, p := range fx.kick {
			out = append(out, expectation{"kick_add", p.g, map[string]int{p.g.ownerID: 0}})
		}
	}
	return out
}

// compareMembers lists what differs between the expected and the listed
// membership and edge_count. Pure, so it is unit-tested.
func compareMembers(want, got map[string]int, edgeCount int) []string {
	var problems []string
	counted := 0
	for _, s := range got {
		if s >= 0 && s <= 2 {
			counted++
		}
	}
	if edgeCount != counted {
		problems = append(problems, fmt.Sprintf("edge_count %d but %d members in states 0-2", edgeCount, counted))
	}
	var detail []string
	for id, ws := range want {
		gs, ok := got[id]
		switch {
		case !ok:
			detail = append(detail, fmt.Sprintf("user %s missing (want state %d)", id, ws))
		case gs != ws:
			detail = append(detail, fmt.Sprintf("user %s in state %d, want %d", id, gs, ws))
		}
	}
	for id, gs := range got {
		if _, ok := want[id]; !ok {
			detail = append(detail, fmt.Sprintf("unexpected user %s in state %d", id, gs))
		}
	}
	sort.Strings(detail)
	return append(problems, detail...)
}

// runCheck reads every touched group back (its row through the exact-name
// filter, its members through the member listing) and reports mismatches. A
// group that cannot be read is a mismatch too.
func runCheck(cl *client, fx *fixtures, needs need) checkReport {
	exps := fx.expectations(needs)
	var (
		mu  sync.Mutex
		rep = checkReport{Groups: len(exps), Mismatches: []mismatch{}}
	)
	add := func(e expectation, problem string) {
		mu.Lock()
		rep.Mismatches = append(rep.Mismatches, mismatch{Kind: e.kind, Group: e.g.name, Problem: problem})
		mu.Unlock()
	}
	_ = parallel(len(exps), setupWidth, func(i int) error {
		e := exps[i]
		g, err := lookupGroup(cl, fx.owner, e.g.name)
		if err != nil {
			add(e, err.Error())
			return nil
		}
		if g.ID != e.g.id {
			add(e, fmt.Sprintf("name now belongs to group %s, not %s", g.ID, e.g.id))
			return nil
		}
		got, err := listMembers(cl, fx.owner, e.g)
		if err != nil {
			add(e, err.Error())
			return nil
		}
		for _, p := range compareMembers(e.want, got, g.EdgeCount) {
			add(e, p)
		}
		return nil
	})
	sort.Slice(rep.Mismatches, func(i, j int) bool {
		a, b := rep.Mismatches[i], rep.Mismatches[j]
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		return a.Problem < b.Problem
	})
	return rep
}
