package hooks

import (
	"context"
	"log/slog"
	"sort"
	"strings"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/groups"
)

// SessionRefreshRequest is a refresh call: the refresh token and new vars.
type SessionRefreshRequest struct {
	Token string
	Vars  map[string]string
}

// RPC is a function clients (session) or game servers (http key) call by id.
type RPC func(ctx context.Context, c *Caller, payload string) (string, error)

// Registry holds every hook point and the RPC functions. Each point runs
// around the one client route named beside it (the /v2/server/… routes run no
// hooks): before hooks may rewrite or refuse the request, after hooks see the
// result.
type Registry struct {
	CreateGroup       *Point[*groups.CreateGroupRequest, *groups.Group]            // POST /v2/group
	UpdateGroup       *Point[*groups.UpdateGroupRequest, Empty]                    // PUT /v2/group/{id}
	DeleteGroup       *Point[*groups.GroupRequest, Empty]                          // DELETE /v2/group/{id}
	JoinGroup         *Point[*groups.GroupRequest, Empty]                          // POST /v2/group/{id}/join
	LeaveGroup        *Point[*groups.GroupRequest, Empty]                          // POST /v2/group/{id}/leave
	AddGroupUsers     *Point[*groups.GroupUsersRequest, Empty]                     // POST /v2/group/{id}/add
	KickGroupUsers    *Point[*groups.GroupUsersRequest, Empty]                     // POST /v2/group/{id}/kick
	BanGroupUsers     *Point[*groups.GroupUsersRequest, Empty]                     // POST /v2/group/{id}/ban
	UnbanGroupUsers   *Point[*groups.GroupUsersRequest, Empty]                     // POST /v2/group/{id}/unban (Guildhall's own)
	PromoteGroupUsers *Point[*groups.GroupUsersRequest, Empty]                     // POST /v2/group/{id}/promote
	DemoteGroupUsers  *Point[*groups.GroupUsersRequest, Empty]                     // POST /v2/group/{id}/demote
	ListGroupUsers    *Point[*groups.ListGroupUsersRequest, *groups.GroupUserList] // GET /v2/group/{id}/user
	ListUserGroups    *Point[*groups.ListUserGroupsRequest, *groups.UserGroupList] // GET /v2/user/{id}/group
	ListGroups        *Point[*groups.ListGroupsRequest, *groups.GroupList]         // GET /v2/group

	AuthenticateDevice *Point[*accounts.AuthRequest, *accounts.Session]  // POST /v2/account/authenticate/device (server key)
	AuthenticateCustom *Point[*accounts.AuthRequest, *accounts.Session]  // POST /v2/account/authenticate/custom (server key)
	AuthenticateEmail  *Point[*accounts.AuthRequest, *accounts.Session]  // POST /v2/account/authenticate/email (server key)
	SessionRefresh     *Point[*SessionRefreshRequest, *accounts.Session] // POST /v2/account/session/refresh (server key)

	rpcs   map[string]RPC
	events []EventHandler
	log    *slog.Logger

	scriptSet // the live script generation (generation.go)
}

// New returns a registry with every point empty.
func New(log *slog.Logger) *Registry {
	if log == nil {
		log = slog.Default()
	}
	r := &Registry{rpcs: map[string]RPC{}, log: log}
	r.CreateGroup = newPoint[*groups.CreateGroupRequest, *groups.Group](r, "CreateGroup")
	r.UpdateGroup = newPoint[*groups.UpdateGroupRequest, Empty](r, "UpdateGroup")
	r.DeleteGroup = newPoint[*groups.GroupRequest, Empty](r, "DeleteGroup")
	r.JoinGroup = newPoint[*groups.GroupRequest, Empty](r, "JoinGroup")
	r.LeaveGroup = newPoint[*groups.GroupRequest, Empty](r, "LeaveGroup")
	r.AddGroupUsers = newPoint[*groups.GroupUsersRequest, Empty](r, "AddGroupUsers")
	r.KickGroupUsers = newPoint[*groups.GroupUsersRequest, Empty](r, "KickGroupUsers")
	r.BanGroupUsers = newPoint[*groups.GroupUsersRequest, Empty](r, "BanGroupUsers")
	r.UnbanGroupUsers = newPoint[*groups.GroupUsersRequest, Empty](r, "UnbanGroupUsers")
	r.PromoteGroupUsers = newPoint[*groups.GroupUsersRequest, Empty](r, "PromoteGroupUsers")
	r.DemoteGroupUsers = newPoint[*groups.GroupUsersRequest, Empty](r, "DemoteGroupUsers")
	r.ListGroupUsers = newPoint[*groups.ListGroupUsersRequest, *groups.GroupUserList](r, "ListGroupUsers")
	r.ListUserGroups = newPoint[*groups.ListUserGroupsRequest, *groups.UserGroupList](r, "ListUserGroups")
	r.ListGroups = newPoint[*groups.ListGroupsRequest, *groups.GroupList](r, "ListGroups")
	r.AuthenticateDevice = newPoint[*accounts.AuthRequest, *accounts.Session](r, "AuthenticateDevice")
	r.AuthenticateCustom = newPoint[*accounts.AuthRequest, *accounts.Session](r, "AuthenticateCustom")
	r.AuthenticateEmail = newPoint[*accounts.AuthRequest, *accounts.Session](r, "AuthenticateEmail")
	r.SessionRefresh = newPoint[*SessionRefreshRequest, *accounts.Session](r, "SessionRefresh")
	return r
}

func newPoint[Req, Resp any](r *Registry, name string) *Point[Req, Resp] {
	p := &Point[Req, Resp]{name: name, log: &r.log}
	r.points = append(r.points, p)
	return p
}

// RegisterRPC adds an RPC function; ids are case-insensitive, as in Nakama.
func (r *Registry) RegisterRPC(id string, fn RPC) {
	r.rpcs[strings.ToLower(id)] = fn
}

// RPC finds a registered RPC function.
func (r *Registry) RPC(id string) (RPC, bool) {
	if fn, ok := r.scriptRPC(id); ok {
		return fn, true
	}
	fn, ok := r.rpcs[strings.ToLower(id)]
	return fn, ok
}

// RPCIDs lists the registered RPC ids, sorted.
func (r *Registry) RPCIDs() []string {
	ids := make([]string, 0, len(r.rpcs))
	for id := range r.rpcs {
		ids = append(ids, id)
	}
	ids = r.addScriptRPCIDs(ids)
	sort.Strings(ids)
	return ids
}
