// Package runtime is the plumbing the script runtimes share: module discovery,
// settings, the table of hook points in script terms (Nakama's payload field
// names), the conversion of domain values into script data, the context
// fields, and the nk facade over groups.Service. runtime/js (goja) and
// runtime/lua (gopher-lua) build on it and register into hooks.
package runtime

import (
	"log/slog"
	"time"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
)

// Config is the script runtime's settings.
type Config struct {
	Path string // directory of modules (index.js, *.lua)
	// Files, when set, are the modules instead of Path's (see ModuleFiles):
	// `guildhall hooks test` loads single-file examples this way.
	Files       []string
	PoolSize    int               // VMs per language; default 16
	CallTimeout time.Duration     // deadline of one script call; default 1 s
	Env         map[string]string // ctx.env
	Node        string            // ctx.node; default "guildhall"
	Version     string            // ctx.version
	// MaxCallMemory caps the heap growth of one call and the size of one
	// string or array a builtin builds (bytes); 0 means the default, < 0 off.
	MaxCallMemory int64
}

// WithDefaults fills unset settings.
func (c Config) WithDefaults() Config {
	if c.PoolSize <= 0 {
		c.PoolSize = 16
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = time.Second
	}
	if c.Env == nil {
		c.Env = map[string]string{}
	}
	if c.Node == "" {
		c.Node = "guildhall"
	}
	if c.MaxCallMemory == 0 {
		c.MaxCallMemory = DefaultMaxCallMemory
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	return c
}

// Deps are the services scripts reach.
type Deps struct {
	Groups *groups.Service
	Hooks  *hooks.Registry
	Log    *slog.Logger
	// Metrics receives call durations and outcomes and the VM pools' state;
	// nil measures nothing.
	Metrics Metrics
	// Channels sends channel messages (nk.channelMessageSend); nil leaves
	// that function failing.
	Channels ChannelSender
}

// Execution modes (ctx.executionMode).
const (
	ModeInit   = "init"
	ModeBefore = "before"
	ModeAfter  = "after"
	ModeRPC    = "rpc"
)

// Registration is one hook or RPC as listings show it (`guildhall hooks
// list`, GET /v2/server/runtime).
type Registration struct {
	Kind     string `json:"kind"`               // "before", "after" or "rpc"
	Name     string `json:"name"`               // the operation (KickGroupUsers) or the RPC id
	Language string `json:"language"`           // "go", "lua" or "javascript"
	File     string `json:"file"`               // the file, with the line where it is known
	Function string `json:"function,omitempty"` // the function's name where it has one
}
