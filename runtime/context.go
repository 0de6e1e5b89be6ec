package runtime

import "github.com/guildhall/guildhall/hooks"

// ContextData is the ctx (JS) / context (Lua) a script call receives, with
// Nakama's fields in snake_case. Session fields appear only for a session
// caller, headers and query parameters only for RPCs.
func ContextData(cfg Config, mode string, c *hooks.Caller) map[string]any {
	env := make(map[string]any, len(cfg.Env))
	for k, v := range cfg.Env {
		env[k] = v
	}
	m := map[string]any{"env": env, "execution_mode": mode, "node": cfg.Node, "version": cfg.Version}
	if c == nil {
		return m
	}
	if c.UserID != "" {
		m["user_id"] = c.UserID
		m["username"] = c.Username
		m["vars"] = stringMap(c.Vars)
		m["user_session_exp"] = c.SessionExp
	}
	if c.ClientIP != "" {
		m["client_ip"] = c.ClientIP
	}
	if c.ClientPort != "" {
		m["client_port"] = c.ClientPort
	}
	if mode == ModeRPC {
		m["headers"] = multiMap(c.Headers)
		m["query_params"] = multiMap(c.Query)
	}
	return m
}

func multiMap(m map[string][]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, vs := range m {
		out[k] = anyStrings(vs)
	}
	return out
}
