package js

import (
	"slices"

	"github.com/dop251/goja"

	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/runtime"
)

// ctxObject makes the ctx argument of a call: the same object as
// v.toJS(runtime.ContextData(cfg, mode, c), false) — keys in the sorted
// order of their snake_case names, shown in lowerCamelCase — as a lazy
// object (see lazyObject): a property is made when the script reads it
// (most hooks read ctx.userId and nothing else). A fresh object every call,
// from the caller's values copied here (the caller's maps are converted here
// unless empty), so nothing of one caller's ctx is kept for the next and the
// VM's goroutine reads nothing of the caller's.
// TestCtxObjectMatchesContextData holds the two forms together.
func (v *vm) ctxObject(mode string, c *hooks.Caller) *goja.Object {
	lc := &lazyCtx{mode: mode}
	lc.init(v, ctxKeys[:], lc.vals[:], lc)
	absent := uint64(0)
	miss := func(i int) { absent |= 1 << i }
	session := c != nil && c.UserID != ""
	rpc := c != nil && mode == runtime.ModeRPC
	if c != nil {
		lc.clientIP, lc.clientPort = c.ClientIP, c.ClientPort
	}
	if lc.clientIP == "" {
		miss(ctxClientIP)
	}
	if lc.clientPort == "" {
		miss(ctxClientPort)
	}
	if rpc {
		lc.vals[ctxHeaders] = v.multiObject(c.Headers)
		lc.vals[ctxQueryParams] = v.multiObject(c.Query)
	} else {
		miss(ctxHeaders)
		miss(ctxQueryParams)
	}
	if session {
		lc.userID, lc.username, lc.sessionExp = c.UserID, c.Username, c.SessionExp
		if len(c.Vars) > 0 {
			lc.vals[ctxVars] = v.stringsObject(c.Vars, nil)
		}
	} else {
		miss(ctxUserID)
		miss(ctxUserSessionExp)
		miss(ctxUsername)
		miss(ctxVars)
	}
	lc.absent = absent
	return lc.object()
}

// ctxKeys are the ctx properties, sorted by snake_case name: client_ip,
// client_port, env, execution_mode, headers, node, query_params, user_id,
// user_session_exp, username, vars, version.
var ctxKeys = [...]string{"clientIp", "clientPort", "env", "executionMode", "headers", "node", "queryParams",
	"userId", "userSessionExp", "username", "vars", "version"}

// Indexes into ctxKeys.
const (
	ctxClientIP = iota
	ctxClientPort
	ctxEnv
	ctxExecutionMode
	ctxHeaders
	ctxNode
	ctxQueryParams
	ctxUserID
	ctxUserSessionExp
	ctxUsername
	ctxVars
	ctxVersion
)

// lazyCtx is a call's ctx as a lazy object.
type lazyCtx struct {
	lazyObject
	mode, clientIP, clientPort, userID, username string
	sessionExp                                   int64
	vals                                         [len(ctxKeys)]goja.Value
}

func (lc *lazyCtx) value(v *vm, i int) goja.Value {
	cfg := &v.r.cfg
	switch i {
	case ctxClientIP:
		return v.rt.ToValue(lc.clientIP)
	case ctxClientPort:
		return v.rt.ToValue(lc.clientPort)
	case ctxEnv:
		return v.stringsObject(cfg.Env, v.r.envKeys)
	case ctxExecutionMode:
		return v.rt.ToValue(lc.mode)
	case ctxNode:
		return v.rt.ToValue(cfg.Node)
	case ctxUserID:
		return v.rt.ToValue(lc.userID)
	case ctxUserSessionExp:
		return v.rt.ToValue(lc.sessionExp)
	case ctxUsername:
		return v.rt.ToValue(lc.username)
	case ctxVars:
		return v.rt.NewObject() // no vars (a non-empty set is made in ctxObject)
	case ctxVersion:
		return v.rt.ToValue(cfg.Version)
	}
	// headers and query_params are made in ctxObject, or absent.
	panic("lazyCtx: unexpected field " + ctxKeys[i])
}

// stringsObject is an object of m's entries in key order; keys, when given,
// are m's keys sorted already.
func (v *vm) stringsObject(m map[string]string, keys []string) *goja.Object {
	obj := v.rt.NewObject()
	if len(m) == 0 {
		return obj
	}
	if keys == nil {
		keys = sortedKeys(m)
	}
	for _, k := range keys {
		_ = obj.Set(k, m[k])
	}
	return obj
}

// multiObject is an object of m's entries in key order, each an array.
func (v *vm) multiObject(m map[string][]string) *goja.Object {
	obj := v.rt.NewObject()
	for _, k := range sortedKeys(m) {
		vs := m[k]
		items := make([]any, len(vs))
		for i, s := range vs {
			items[i] = s
		}
		_ = obj.Set(k, v.rt.NewArray(items...))
	}
	return obj
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
