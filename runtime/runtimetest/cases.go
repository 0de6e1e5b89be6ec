// Package runtimetest holds cases that the JavaScript and the Lua runtime
// tests both run from one table, so the two runtimes are held to one
// contract. It is imported by tests only.
package runtimetest

// HookChainCase registers before and after hooks on KickGroupUsers in the
// order given. Each before hook appends its tag to the request's user ids and
// returns the request; each after hook calls nk.event with its tag as the
// event name.
type HookChainCase struct {
	Name   string
	Before []string
	After  []string
	// UserIDs is the request's user ids before the hooks run.
	UserIDs []string
	// WantUserIDs is what reaches the operation; WantEvents the after hooks'
	// events, in the order they ran.
	WantUserIDs []string
	WantEvents  []string
}

// HookChain: hooks registered several times on one operation chain, in
// registration order (README: "Hooks chain"); none replaces another.
var HookChain = []HookChainCase{
	{Name: "one each", Before: []string{"a"}, After: []string{"x"}, UserIDs: []string{"u"},
		WantUserIDs: []string{"u", "a"}, WantEvents: []string{"x"}},
	{Name: "two each", Before: []string{"a", "b"}, After: []string{"x", "y"}, UserIDs: []string{"u"},
		WantUserIDs: []string{"u", "a", "b"}, WantEvents: []string{"x", "y"}},
	{Name: "three befores, same tag twice", Before: []string{"b", "a", "b"}, After: []string{"y", "x", "y"},
		UserIDs: []string{"u"}, WantUserIDs: []string{"u", "b", "a", "b"}, WantEvents: []string{"y", "x", "y"}},
}

// MaxCountCase is one nk call with a max count the groups service refuses:
// Op "create" is nk.groupCreate / nk.group_create of a new group, "update"
// nk.groupUpdate / nk.group_update of an existing group (as the server) with
// only max count given. Both runtimes must answer with the service's code
// and message, and change nothing.
type MaxCountCase struct {
	Name     string
	Op       string
	MaxCount float64
	Code     int // gRPC code
	Message  string
}

const (
	invalid = 3 // invalid argument
	msgMin  = "Group max count must be >= 1 when set."
	msgMax  = "Group max count must be at most 2147483647."
)

// MaxCount: the rule lives in the service only; the bindings just decode the
// number. For update, 0 means unchanged (as in Nakama), so a call that gives
// nothing else changes nothing.
var MaxCount = []MaxCountCase{
	{Name: "create 0", Op: "create", MaxCount: 0, Code: invalid, Message: msgMin},
	{Name: "create -1", Op: "create", MaxCount: -1, Code: invalid, Message: msgMin},
	{Name: "create -2^40", Op: "create", MaxCount: -(1 << 40), Code: invalid, Message: msgMin},
	{Name: "create 2^31", Op: "create", MaxCount: 1 << 31, Code: invalid, Message: msgMax},
	{Name: "create 2^40", Op: "create", MaxCount: 1 << 40, Code: invalid, Message: msgMax},
	{Name: "update -1", Op: "update", MaxCount: -1, Code: invalid, Message: msgMin},
	{Name: "update -2^40", Op: "update", MaxCount: -(1 << 40), Code: invalid, Message: msgMin},
	{Name: "update 2^31", Op: "update", MaxCount: 1 << 31, Code: invalid, Message: msgMax},
	{Name: "update 2^40", Op: "update", MaxCount: 1 << 40, Code: invalid, Message: msgMax},
	{Name: "update 0 is unchanged", Op: "update", MaxCount: 0, Code: invalid,
		Message: "Specify at least one field to update."},
}
