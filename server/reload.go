package server

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/runtime"
	"github.com/guildhall/guildhall/runtime/js"
	"github.com/guildhall/guildhall/runtime/lua"
)

// A script generation is one load of the modules: both languages' VM pools,
// registered into a staged hooks registry that hooks.Registry.Swap makes
// live at once. Reloading builds a new generation beside the live one; only
// when it loaded completely does it replace the old, whose pools close once
// the calls running on them have finished.

// generation is a loaded set of modules.
type generation struct {
	gen *hooks.Generation
	js  *js.Runtime
	lua *lua.Runtime
}

func (g *generation) close() {
	g.js.Close()
	g.lua.Close()
}

// scriptState is the server's live generation.
type scriptState struct {
	mu   sync.Mutex // serialises loads
	cfg  runtime.Config
	live *generation
}

// loadGeneration loads cfg's modules into a staged registry and, when every
// module loaded, swaps them in. On error nothing changes.
func (s *Server) loadGeneration(ctx context.Context, cfg runtime.Config) error {
	s.scripts.mu.Lock()
	defer s.scripts.mu.Unlock()
	staged := s.Hooks.Stage()
	deps := runtime.Deps{Groups: s.Groups, Hooks: staged, Log: s.log, Channels: s.Hub}
	if s.Metrics != nil { // a nil *metrics.Metrics in the interface would not be nil
		deps.Metrics = s.Metrics
	}
	// Lua before JavaScript: hooks chain in registration order, so Go, Lua and
	// JavaScript hooks run in Nakama's precedence (Go over Lua over JS).
	luaRT, err := lua.Load(ctx, cfg, deps)
	if err != nil {
		return err
	}
	jsRT, err := js.Load(ctx, cfg, deps)
	if err != nil {
		luaRT.Close()
		return err
	}
	old, gen := s.Hooks.Swap(staged)
	prev := s.scripts.live
	s.scripts.cfg, s.scripts.live = cfg, &generation{gen: gen, js: jsRT, lua: luaRT}
	if prev != nil {
		go func() {
			<-old.Drained()
			prev.close()
		}()
	}
	s.log.Info("script generation live", "generation", gen.ID, "runtime_path", cfg.Path,
		"registrations", len(luaRT.Registrations())+len(jsRT.Registrations()), "rpcs", s.Hooks.RPCIDs())
	return nil
}

// Reload loads the modules again (from the settings of the last load, or
// Config's) as a new generation and swaps it in: calls already running
// finish on the old VMs, new calls run on the new ones. A module that fails
// to load leaves the live generation as it was; the error (naming the file
// and line) is logged and returned.
func (s *Server) Reload(ctx context.Context) error {
	s.scripts.mu.Lock()
	cfg := s.scripts.cfg
	if s.scripts.live == nil {
		cfg = s.RuntimeConfig()
	}
	s.scripts.mu.Unlock()
	err := s.loadGeneration(ctx, cfg)
	if err != nil {
		live := int64(0)
		if g := s.Hooks.Live(); g != nil {
			live = g.ID
		}
		s.log.Error("script reload failed; the previous modules stay live", "generation", live, "error", err)
	}
	return err
}

// closeScripts releases the live generation's VMs (at shutdown).
func (s *Server) closeScripts() {
	s.scripts.mu.Lock()
	defer s.scripts.mu.Unlock()
	if s.scripts.live != nil {
		s.scripts.live.close()
		s.scripts.live = nil
	}
}

// watchDebounce is how long the watcher waits after the last change before
// it reloads: an editor's save, or a build writing several files, is one
// reload.
const watchDebounce = 200 * time.Millisecond

// watchScripts reloads the modules when a module file under the runtime
// path changes, until ctx ends or stop is called.
func (s *Server) watchScripts(ctx context.Context) (stop func(), err error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("runtime.watch: %w", err)
	}
	root := s.RuntimeConfig().Path
	addTree := func(dir string) error {
		return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if p != dir && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return w.Add(p)
		})
	}
	if err := addTree(root); err != nil {
		w.Close()
		return nil, fmt.Errorf("runtime.watch %s: %w", root, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		timer := time.NewTimer(time.Hour)
		timer.Stop()
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if ev.Has(fsnotify.Create) {
					if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
						_ = addTree(ev.Name)
					}
				}
				name := filepath.Base(ev.Name)
				if (strings.HasSuffix(name, ".js") || strings.HasSuffix(name, ".lua")) && !runtime.IsTestFile(name) {
					timer.Reset(watchDebounce)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				s.log.Warn("runtime.watch", "error", err)
			case <-timer.C:
				s.log.Info("module files changed; reloading", "runtime_path", root)
				_ = s.Reload(ctx) // a failure is logged; the live modules stay
			}
		}
	}()
	s.log.Info("watching the runtime path for changes", "runtime_path", root)
	return func() { cancel(); w.Close(); <-done }, nil
}

// RuntimeInfo is what a node runs: the live script generation and every
// registered hook and RPC in the order they run (Go, then Lua, then
// JavaScript). GET /v2/server/runtime answers it; `guildhall hooks list`
// prints it.
type RuntimeInfo struct {
	Generation    int64                  `json:"generation"` // 0 before the modules are loaded
	RuntimePath   string                 `json:"runtime_path"`
	Registrations []runtime.Registration `json:"registrations"`
}

// Runtime describes the live hooks and RPCs.
func (s *Server) Runtime() RuntimeInfo {
	s.scripts.mu.Lock()
	defer s.scripts.mu.Unlock()
	info := RuntimeInfo{RuntimePath: s.Config.RuntimePath, Registrations: []runtime.Registration{}}
	for _, h := range s.Hooks.GoHooks() {
		info.Registrations = append(info.Registrations, runtime.Registration{Kind: h.Kind, Name: h.Name,
			Language: "go", File: h.File, Function: h.Function})
	}
	if g := s.scripts.live; g != nil {
		info.Generation = g.gen.ID
		if len(s.scripts.cfg.Files) == 0 {
			info.RuntimePath = s.scripts.cfg.Path
		}
		info.Registrations = append(info.Registrations, g.lua.Listing()...)
		info.Registrations = append(info.Registrations, g.js.Listing()...)
	}
	return info
}
