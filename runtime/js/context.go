package js

import (
	"slices"

	"github.com/dop251/goja"

	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/runtime"
)

// ctxObject makes the ctx argument of a call: the same object as
// v.toJS(runtime.ContextData(cfg, mode, c), false) — keys in the sorted
// order of their snake_case names, shown in lowerCamelCase — built directly,
// without the intermediate maps, key sorting and name conversion, which
// were the largest part of a hook call's own cost. A fresh object every call:
// nothing of one caller's ctx is kept for the next.
// TestCtxObjectMatchesContextData holds the two forms together.
func (v *vm) ctxObject(mode string, c *hooks.Caller) *goja.Object {
	cfg := &v.r.cfg
	obj := v.rt.NewObject()
	session := c != nil && c.UserID != ""
	// Sorted by snake_case name: client_ip, client_port, env, execution_mode,
	// headers, node, query_params, user_id, user_session_exp, username, vars,
	// version.
	if c != nil && c.ClientIP != "" {
		_ = obj.Set("clientIp", c.ClientIP)
	}
	if c != nil && c.ClientPort != "" {
		_ = obj.Set("clientPort", c.ClientPort)
	}
	_ = obj.Set("env", v.stringsObject(cfg.Env, v.r.envKeys))
	_ = obj.Set("executionMode", mode)
	rpc := c != nil && mode == runtime.ModeRPC
	if rpc {
		_ = obj.Set("headers", v.multiObject(c.Headers))
	}
	_ = obj.Set("node", cfg.Node)
	if rpc {
		_ = obj.Set("queryParams", v.multiObject(c.Query))
	}
	if session {
		_ = obj.Set("userId", c.UserID)
		_ = obj.Set("userSessionExp", c.SessionExp)
		_ = obj.Set("username", c.Username)
		_ = obj.Set("vars", v.stringsObject(c.Vars, nil))
	}
	_ = obj.Set("version", cfg.Version)
	return obj
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
