package main

// calls.go: the group API calls shared by fixture setup and the final check
// (the timed ops live in scenarios.go), and the bounded fan-out both use.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
)

// parallel runs fn(0..n-1) on up to width goroutines. After the first failure
// no new index is started: when the server is down, waiting for thousands of
// timeouts helps nobody.
func parallel(n, width int, fn func(i int) error) error {
	var (
		next   atomic.Int64
		failed atomic.Bool
		mu     sync.Mutex
		first  error
		wg     sync.WaitGroup
	)
	for range min(width, n) {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	return first
}

type createGroupBody struct {
	Name     string `json:"name"`
	Open     bool   `json:"open"`
	MaxCount int    `json:"max_count,omitempty"` // absent = server default (100)
}

// createOrGet creates a group, or finds it by exact name when a previous run
// with the same prefix already did (409). created tells which.
func createOrGet(cl *client, s *session, name string, open bool, maxCount int) (g wireGroup, created bool, err error) {
	hdr, err := cl.mustAuth(s)
	if err != nil {
		return g, false, err
	}
	body, _ := json.Marshal(createGroupBody{Name: name, Open: open, MaxCount: maxCount})
	status, data, err := cl.do("POST", "/v2/group", hdr, body)
	if err != nil {
		return g, false, fmt.Errorf("create %s: %w", name, err)
	}
	if status == 409 {
		g, err = lookupGroup(cl, s, name)
		return g, false, err
	}
	g, err = validateCreate(status, data, name, s.uid(), open)
	if err != nil {
		return g, false, fmt.Errorf("create %s: %w", name, err)
	}
	return g, true, nil
}

// lookupGroup reads one group by name: a name filter without % is an exact,
// case-insensitive match, the only way the REST API reads a single group
// with its edge_count.
func lookupGroup(cl *client, s *session, name string) (wireGroup, error) {
	hdr, err := cl.mustAuth(s)
	if err != nil {
		return wireGroup{}, err
	}
	status, data, err := cl.do("GET", "/v2/group?name="+url.QueryEscape(name)+"&limit=1", hdr, nil)
	if err != nil {
		return wireGroup{}, fmt.Errorf("look up %s: %w", name, err)
	}
	l, err := validateGroupList(status, data, 1, "", false)
	if err != nil {
		return wireGroup{}, fmt.Errorf("look up %s: %w", name, err)
	}
	if l.Groups[0].Name != name {
		return wireGroup{}, fmt.Errorf("look up %s: got group %q", name, l.Groups[0].Name)
	}
	return l.Groups[0], nil
}

// listMembers reads every member of a group (all pages), user id → state.
func listMembers(cl *client, s *session, g groupRef) (map[string]int, error) {
	out := map[string]int{}
	cursor := ""
	for page := 0; page < 100; page++ {
		hdr, err := cl.mustAuth(s)
		if err != nil {
			return nil, err
		}
		path := g.path + "/user?limit=100"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		status, data, err := cl.do("GET", path, hdr, nil)
		if err != nil {
			return nil, fmt.Errorf("list members of %s: %w", g.name, err)
		}
		l, err := validateGroupUsers(status, data, -1)
		if err != nil {
			return nil, fmt.Errorf("list members of %s: %w", g.name, err)
		}
		for _, gu := range l.GroupUsers {
			out[gu.User.ID] = gu.state()
		}
		if l.Cursor == "" || len(l.GroupUsers) == 0 {
			return out, nil
		}
		cursor = l.Cursor
	}
	return nil, fmt.Errorf("list members of %s: more than 100 pages", g.name)
}

// groupAction runs a POST /v2/group/{id}/<action>[?user_ids=…] that must
// answer 200 {}.
func groupAction(cl *client, s *session, g groupRef, action string, userIDs ...string) error {
	hdr, err := cl.mustAuth(s)
	if err != nil {
		return err
	}
	path := g.path + "/" + action
	for i, id := range userIDs {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		path += sep + "user_ids=" + url.QueryEscape(id)
	}
	status, data, err := cl.do("POST", path, hdr, nil)
	if err == nil {
		err = validateEmpty(status, data)
	}
	if err != nil {
		return fmt.Errorf("%s on %s: %w", action, g.name, err)
	}
	return nil
}

// normalize kicks, as the group's owner, every member not in keep: members
// left over by an interrupted run with the same prefix would otherwise skew
// both the scenario and the final consistency check.
func normalize(cl *client, owner *session, g groupRef, keep ...string) error {
	have, err := listMembers(cl, owner, g)
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	for _, id := range keep {
		kept[id] = true
	}
	var extra []string
	for id := range have {
		if !kept[id] {
			extra = append(extra, id)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	return groupAction(cl, owner, g, "kick", extra...)
}
