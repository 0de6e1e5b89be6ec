// Command gohook is Guildhall built as a library with rules written in Go:
//
//   - a before hook on JoinGroup refuses joins into groups whose metadata has
//     "locked": true (a game server sets it with PUT /v2/server/group/{id});
//   - an after hook on CreateGroup logs every new group.
//
// Go hooks run before script hooks of the same operation. Run it like the
// stock server (same flags' defaults): go run ./examples/gohook
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/server"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, server.DefaultConfig(), log)
	if err != nil {
		log.Error("start", "error", err)
		os.Exit(1)
	}
	Register(srv.Hooks, srv.Groups, log)
	if err := srv.Run(ctx); err != nil {
		log.Error("serve", "error", err)
		os.Exit(1)
	}
}

// Register adds this program's rules to a hook registry.
func Register(reg *hooks.Registry, svc *groups.Service, log *slog.Logger) {
	hooks.JoinGroup.Before(reg, func(ctx context.Context, c *hooks.Caller, req *groups.JoinGroupRequest) (*groups.JoinGroupRequest, error) {
		gs, err := svc.GetGroups(ctx, []string{req.GroupID})
		if err != nil || len(gs) == 0 {
			return req, err // unknown groups get the service's own answer
		}
		var meta struct {
			Locked bool `json:"locked"`
		}
		_ = json.Unmarshal([]byte(gs[0].Metadata), &meta)
		if meta.Locked {
			return nil, errs.Errorf(errs.CodeFailedPrecondition, "This group is locked.")
		}
		return req, nil
	})
	hooks.CreateGroup.After(reg, func(ctx context.Context, c *hooks.Caller, req *groups.CreateGroupRequest, g *groups.Group) error {
		log.Info("group created", "group_id", g.ID, "name", g.Name, "by", c.UserID)
		return nil
	})
}
