package hooks

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/codec"
	"github.com/guildhall/guildhall/groups"
)

// The operation table: one row per client operation, read by every layer —
// api registers its routes from it, the Registry makes one hook point per
// row, the script runtimes build their payloads (package codec, from the
// request's `op` tags) and their nk functions from it, and the test tables
// loop over it. A new operation is a rule, a service method and a row here.
var (
	CreateGroup = def(&Op[*groups.CreateGroupRequest, *groups.Group]{
		Name: "CreateGroup", Method: "POST", Path: "/v2/group", ServerPath: "/v2/server/group",
		Desc: "create group", Run: value((*groups.Service).CreateGroup)})
	UpdateGroup = def(&Op[*groups.UpdateGroupRequest, Empty]{
		Name: "UpdateGroup", Method: "PUT", Path: "/v2/group/:group_id", ServerPath: "/v2/server/group/:group_id",
		Desc: "update group", Run: unit((*groups.Service).UpdateGroup)})
	DeleteGroup = def(&Op[*groups.GroupRequest, Empty]{
		Name: "DeleteGroup", Method: "DELETE", Path: "/v2/group/:group_id", ServerPath: "/v2/server/group/:group_id",
		Desc: "delete group", NK: NKSystem("groupDelete"), Run: unit((*groups.Service).DeleteGroup)})
	GetGroup = def(&Op[*groups.GroupRequest, *groups.GroupView]{ // Guildhall's own
		Name: "GetGroup", Method: "GET", Path: "/v2/group/:group_id",
		Desc: "get group", NK: NKReq("groupGet"), Run: value((*groups.Service).GetGroup)})
	JoinGroup = def(&Op[*groups.JoinGroupRequest, Empty]{
		Name: "JoinGroup", Method: "POST", Path: "/v2/group/:group_id/join",
		Desc: "join group", NK: NKAsUser("groupUserJoin"), Run: unit((*groups.Service).JoinGroup)})
	LeaveGroup = def(&Op[*groups.GroupRequest, Empty]{
		Name: "LeaveGroup", Method: "POST", Path: "/v2/group/:group_id/leave",
		Desc: "leave group", NK: NKAsUser("groupUserLeave"), Run: unit((*groups.Service).LeaveGroup)})
	AddGroupUsers     = batch("AddGroupUsers", "add", "add users to a group", (*groups.Service).AddUsers)
	KickGroupUsers    = batch("KickGroupUsers", "kick", "kick users from a group", (*groups.Service).KickUsers)
	BanGroupUsers     = batch("BanGroupUsers", "ban", "ban users from a group", (*groups.Service).BanUsers)
	UnbanGroupUsers   = batch("UnbanGroupUsers", "unban", "unban users from a group", (*groups.Service).UnbanUsers) // Guildhall's own
	PromoteGroupUsers = batch("PromoteGroupUsers", "promote", "promote users in a group", (*groups.Service).PromoteUsers)
	DemoteGroupUsers  = batch("DemoteGroupUsers", "demote", "demote users in a group", (*groups.Service).DemoteUsers)
	ListGroupUsers    = def(&Op[*groups.ListGroupUsersRequest, *groups.GroupUserList]{
		Name: "ListGroupUsers", Method: "GET", Path: "/v2/group/:group_id/user",
		Desc: "list users in a group", Run: list((*groups.Service).ListGroupUsers)})
	ListUserGroups = def(&Op[*groups.ListUserGroupsRequest, *groups.UserGroupList]{
		Name: "ListUserGroups", Method: "GET", Path: "/v2/user/:user_id/group",
		Desc: "list groups for a user", Run: list((*groups.Service).ListUserGroups)})
	ListGroups = def(&Op[*groups.ListGroupsRequest, *groups.GroupList]{
		Name: "ListGroups", Method: "GET", Path: "/v2/group",
		Desc: "list groups", Run: list((*groups.Service).ListGroups)})

	// Invitations (Guildhall's own, issue 10).
	InviteGroupUsers = def(&Op[*groups.InviteRequest, *groups.InvitationList]{
		Name: "InviteGroupUsers", Method: "POST", Path: "/v2/group/:group_id/invite", ServerPath: "/v2/server/group/:group_id/invite",
		Desc: "invite users to a group", NK: NKReq("groupUsersInvite"), Run: value((*groups.Service).InviteUsers)})
	ListInvitations = def(&Op[*groups.ListInvitationsRequest, *groups.InvitationList]{
		Name: "ListInvitations", Method: "GET", Path: "/v2/invitation",
		Desc: "list invitations", NK: NKReq("invitationsList"), Run: value((*groups.Service).ListInvitations)})
	ListGroupInvitations = def(&Op[*groups.ListGroupInvitationsRequest, *groups.InvitationList]{
		Name: "ListGroupInvitations", Method: "GET", Path: "/v2/group/:group_id/invitation", ServerPath: "/v2/server/group/:group_id/invitation",
		Desc: "list a group's invitations", NK: NKReq("groupInvitationsList"), Run: value((*groups.Service).ListGroupInvitations)})
	AcceptInvitation = def(&Op[*groups.InvitationRequest, Empty]{
		Name: "AcceptInvitation", Method: "POST", Path: "/v2/invitation/:invitation_id/accept",
		Desc: "accept invitation", NK: NKReq("invitationAccept"), Run: unit((*groups.Service).AcceptInvitation)})
	DeclineInvitation = def(&Op[*groups.InvitationRequest, Empty]{
		Name: "DeclineInvitation", Method: "POST", Path: "/v2/invitation/:invitation_id/decline",
		Desc: "decline invitation", NK: NKReq("invitationDecline"), Run: unit((*groups.Service).DeclineInvitation)})
	RevokeInvitation = def(&Op[*groups.InvitationRequest, Empty]{
		Name: "RevokeInvitation", Method: "DELETE", Path: "/v2/invitation/:invitation_id", ServerPath: "/v2/server/invitation/:invitation_id",
		Desc: "revoke invitation", NK: NKReq("invitationRevoke"), Run: unit((*groups.Service).RevokeInvitation)})

	// Leadership transfer and group attributes (Guildhall's own, issue 11).
	TransferGroup = def(&Op[*groups.TransferGroupRequest, Empty]{
		Name: "TransferGroup", Method: "POST", Path: "/v2/group/:group_id/transfer", ServerPath: "/v2/server/group/:group_id/transfer",
		Desc: "transfer group", NK: NKReq("groupTransfer"), Run: unit((*groups.Service).TransferGroup)})
	ListGroupAttributes = def(&Op[*groups.ListAttributesRequest, *groups.AttributeList]{
		Name: "ListGroupAttributes", Method: "GET", Path: "/v2/group/:group_id/attribute", ServerPath: "/v2/server/group/:group_id/attribute",
		Desc: "list group attributes", NK: NKReq("groupAttributesList"), Run: value((*groups.Service).ListAttributes)})
	PutGroupAttribute = def(&Op[*groups.PutAttributeRequest, *groups.Attribute]{
		Name: "PutGroupAttribute", Method: "PUT", Path: "/v2/group/:group_id/attribute/:key", ServerPath: "/v2/server/group/:group_id/attribute/:key",
		Desc: "put group attribute", NK: NKReq("groupAttributePut"), Run: value((*groups.Service).PutAttribute)})
	DeleteGroupAttribute = def(&Op[*groups.AttributeRequest, Empty]{
		Name: "DeleteGroupAttribute", Method: "DELETE", Path: "/v2/group/:group_id/attribute/:key", ServerPath: "/v2/server/group/:group_id/attribute/:key",
		Desc: "delete group attribute", NK: NKReq("groupAttributeDelete"), Run: unit((*groups.Service).DeleteAttribute)})
	// Custom roles (Guildhall's own, issue 11).
	CreateGroupRole = def(&Op[*groups.CreateRoleRequest, *groups.Role]{
		Name: "CreateGroupRole", Method: "POST", Path: "/v2/group/:group_id/role", ServerPath: "/v2/server/group/:group_id/role",
		Desc: "create group role", NK: NKReq("groupRoleCreate"), Run: value((*groups.Service).CreateRole)})
	ListGroupRoles = def(&Op[*groups.GroupRequest, *groups.RoleList]{
		Name: "ListGroupRoles", Method: "GET", Path: "/v2/group/:group_id/role", ServerPath: "/v2/server/group/:group_id/role",
		Desc: "list group roles", NK: NKReq("groupRolesList"), Run: value((*groups.Service).ListRoles)})
	UpdateGroupRole = def(&Op[*groups.UpdateRoleRequest, *groups.Role]{
		Name: "UpdateGroupRole", Method: "PUT", Path: "/v2/group/:group_id/role/:role_id", ServerPath: "/v2/server/group/:group_id/role/:role_id",
		Desc: "update group role", NK: NKReq("groupRoleUpdate"), Run: value((*groups.Service).UpdateRole)})
	DeleteGroupRole = def(&Op[*groups.RoleRequest, Empty]{
		Name: "DeleteGroupRole", Method: "DELETE", Path: "/v2/group/:group_id/role/:role_id", ServerPath: "/v2/server/group/:group_id/role/:role_id",
		Desc: "delete group role", NK: NKReq("groupRoleDelete"), Run: unit((*groups.Service).DeleteRole)})
	AssignGroupRole = def(&Op[*groups.RoleUsersRequest, Empty]{
		Name: "AssignGroupRole", Method: "POST", Path: "/v2/group/:group_id/role/:role_id/assign", ServerPath: "/v2/server/group/:group_id/role/:role_id/assign",
		Desc: "assign group role", NK: NKReq("groupRoleAssign"), Run: unit((*groups.Service).AssignRole)})
	UnassignGroupRole = def(&Op[*groups.RoleUsersRequest, Empty]{
		Name: "UnassignGroupRole", Method: "POST", Path: "/v2/group/:group_id/role/:role_id/unassign", ServerPath: "/v2/server/group/:group_id/role/:role_id/unassign",
		Desc: "unassign group role", NK: NKReq("groupRoleUnassign"), Run: unit((*groups.Service).UnassignRole)})

	// Authentication and refresh have hook points but their own handlers
	// (server key, sessions) and payload shapes: no Run here.
	AuthenticateDevice = def(&Op[*accounts.AuthRequest, *accounts.Session]{Name: "AuthenticateDevice",
		Method: "POST", Path: "/v2/account/authenticate/device"})
	AuthenticateCustom = def(&Op[*accounts.AuthRequest, *accounts.Session]{Name: "AuthenticateCustom",
		Method: "POST", Path: "/v2/account/authenticate/custom"})
	AuthenticateEmail = def(&Op[*accounts.AuthRequest, *accounts.Session]{Name: "AuthenticateEmail",
		Method: "POST", Path: "/v2/account/authenticate/email"})
	SessionRefresh = def(&Op[*SessionRefreshRequest, *accounts.Session]{Name: "SessionRefresh",
		Method: "POST", Path: "/v2/account/session/refresh"})
)

// Op describes one operation. Req is a pointer to a request struct with
// `op` tags (except the authentication rows, which have their own codecs).
type Op[Req comparable, Resp any] struct {
	Name       string // Nakama's hook name: registerBefore<Name>, registerAfter<Name>
	Method     string // the client route
	Path       string
	ServerPath string // its /v2/server twin (http key, acts as the system, no hooks); "" none
	Desc       string // the failure text: "could not <Desc>" in the log
	NK         NK     // its nk function; zero: none
	// Run is the service call; nil for operations whose handler is not
	// generic (authentication).
	Run   func(ctx context.Context, s *groups.Service, a groups.Actor, req Req) (Resp, error)
	index int
}

// NK names an operation's nk function (JS camelCase; Lua is its snake_case)
// and the shape of its arguments, which each runtime binds once.
type NK struct {
	JS   string
	Args NKArgs
}

// Lua is the nk function's Lua name.
func (n NK) Lua() string { return codec.Snake(n.JS) }

// NKArgs is the argument shape of an nk function, in Nakama's orders.
type NKArgs uint8

// The nk argument shapes.
const (
	_ NKArgs = iota
	// (group_id): acts as the system.
	NKGroupSystem
	// (group_id, user_id, username?): acts as that user (required).
	NKGroupAsUser
	// (group_id, user_ids, caller_id?): as the caller, or the system.
	NKGroupUsers
	// (request, user_id?): the request as an object of its fields (either
	// key style), as that user or the system; returns the response.
	NKRequest
)

// NKSystem, NKAsUser and NKBatch name an nk function of each shape.
func NKSystem(js string) NK { return NK{JS: js, Args: NKGroupSystem} }

// NKAsUser: see NKSystem.
func NKAsUser(js string) NK { return NK{JS: js, Args: NKGroupAsUser} }

// NKBatch: see NKSystem.
func NKBatch(js string) NK { return NK{JS: js, Args: NKGroupUsers} }

// NKReq: see NKSystem.
func NKReq(js string) NK { return NK{JS: js, Args: NKRequest} }

// Operation is a row of the table without its types: what loops over the
// table need.
type Operation interface {
	Info() Info
	// NewRequest returns an empty request (Req, a pointer).
	NewRequest() any
	// Plan is the request's codec plan; nil for the authentication rows.
	Plan() *codec.Plan
	// Call runs the operation for a client: r's hooks around the service.
	Call(ctx context.Context, r *Registry, c *Caller, s *groups.Service, req any) (any, error)
	// Exec runs the service call alone, as actor a (server API, nk).
	Exec(ctx context.Context, s *groups.Service, a groups.Actor, req any) (any, error)
	// BeforeAny and AfterAny register untyped hooks (the script runtimes').
	BeforeAny(r *Registry, fn func(ctx context.Context, c *Caller, req any) (any, error))
	AfterAny(r *Registry, fn func(ctx context.Context, c *Caller, req, resp any) error)
	newPoint(r *Registry) swappable
	setIndex(int)
}

// Info is an operation's descriptive part.
type Info struct {
	Name, Method, Path, ServerPath, Desc string
	NK                                   NK
	Generic                              bool // api serves it from the table (it has a Run)
}

var table []Operation

func def[Req comparable, Resp any](o *Op[Req, Resp]) *Op[Req, Resp] {
	for _, x := range table {
		if strings.EqualFold(x.Info().Name, o.Name) {
			panic("hooks: operation " + o.Name + " defined twice")
		}
	}
	o.setIndex(len(table))
	if o.Run != nil {
		codec.PlanOf(o.NewRequest()) // a bad tag fails at start-up
	}
	table = append(table, o)
	return o
}

// Ops is the operation table, in definition order.
func Ops() []Operation { return table }

// OpByName finds an operation by name, case-insensitively ("kickgroupusers").
func OpByName(name string) (Operation, bool) {
	for _, o := range table {
		if strings.EqualFold(o.Info().Name, name) {
			return o, true
		}
	}
	return nil, false
}

// OpNames lists the operation names, sorted.
func OpNames() []string {
	names := make([]string, len(table))
	for i, o := range table {
		names[i] = o.Info().Name
	}
	sort.Strings(names)
	return names
}

// Point is the operation's hook point in r.
func (o *Op[Req, Resp]) Point(r *Registry) *Point[Req, Resp] {
	return r.points[o.index].(*Point[Req, Resp])
}

// Before adds a Go before hook to the operation in r.
func (o *Op[Req, Resp]) Before(r *Registry, fn Before[Req]) { o.Point(r).Before(fn) }

// After adds a Go after hook to the operation in r.
func (o *Op[Req, Resp]) After(r *Registry, fn After[Req, Resp]) { o.Point(r).After(fn) }

// Info implements Operation.
func (o *Op[Req, Resp]) Info() Info {
	return Info{Name: o.Name, Method: o.Method, Path: o.Path, ServerPath: o.ServerPath, Desc: o.Desc, NK: o.NK,
		Generic: o.Run != nil}
}

// NewRequest implements Operation.
func (o *Op[Req, Resp]) NewRequest() any {
	var zero Req
	return reflect.New(reflect.TypeOf(zero).Elem()).Interface()
}

// Plan implements Operation.
func (o *Op[Req, Resp]) Plan() *codec.Plan {
	if o.Run == nil {
		return nil
	}
	var zero Req
	return codec.PlanOf(zero)
}

// Call implements Operation.
func (o *Op[Req, Resp]) Call(ctx context.Context, r *Registry, c *Caller, s *groups.Service, req any) (any, error) {
	return Run(ctx, o.Point(r), c, req.(Req), func(ctx context.Context, q Req) (Resp, error) {
		return o.Run(ctx, s, c.Actor(), q)
	})
}

// Exec implements Operation.
func (o *Op[Req, Resp]) Exec(ctx context.Context, s *groups.Service, a groups.Actor, req any) (any, error) {
	return o.Run(ctx, s, a, req.(Req))
}

// BeforeAny implements Operation.
func (o *Op[Req, Resp]) BeforeAny(r *Registry, fn func(ctx context.Context, c *Caller, req any) (any, error)) {
	o.Point(r).Before(func(ctx context.Context, c *Caller, req Req) (Req, error) {
		var zero Req
		out, err := fn(ctx, c, req)
		if err != nil || out == nil {
			return zero, err // a nil request is refused by Run
		}
		q, ok := out.(Req)
		if !ok {
			return zero, fmt.Errorf("hooks: a %s before hook returned %T", o.Name, out)
		}
		return q, nil
	})
}

// AfterAny implements Operation.
func (o *Op[Req, Resp]) AfterAny(r *Registry, fn func(ctx context.Context, c *Caller, req, resp any) error) {
	o.Point(r).After(func(ctx context.Context, c *Caller, req Req, resp Resp) error {
		return fn(ctx, c, req, resp)
	})
}

func (o *Op[Req, Resp]) newPoint(r *Registry) swappable {
	return &Point[Req, Resp]{name: o.Name, log: &r.log}
}

func (o *Op[Req, Resp]) setIndex(i int) { o.index = i }

// Adapters from the service's method shapes to Run.

func unit[R any](fn func(*groups.Service, context.Context, groups.Actor, R) error) func(context.Context, *groups.Service, groups.Actor, *R) (Empty, error) {
	return func(ctx context.Context, s *groups.Service, a groups.Actor, req *R) (Empty, error) {
		return Empty{}, fn(s, ctx, a, *req)
	}
}

func value[R, T any](fn func(*groups.Service, context.Context, groups.Actor, R) (T, error)) func(context.Context, *groups.Service, groups.Actor, *R) (*T, error) {
	return func(ctx context.Context, s *groups.Service, a groups.Actor, req *R) (*T, error) {
		v, err := fn(s, ctx, a, *req)
		return &v, err
	}
}

// list adapts a listing, which reads without an actor.
func list[R, T any](fn func(*groups.Service, context.Context, R) (T, error)) func(context.Context, *groups.Service, groups.Actor, *R) (*T, error) {
	return func(ctx context.Context, s *groups.Service, _ groups.Actor, req *R) (*T, error) {
		v, err := fn(s, ctx, *req)
		return &v, err
	}
}

// batch defines one of the member operations on a list of users.
func batch(name, path, desc string, fn func(*groups.Service, context.Context, groups.Actor, groups.GroupUsersRequest) error) *Op[*groups.GroupUsersRequest, Empty] {
	return def(&Op[*groups.GroupUsersRequest, Empty]{
		Name: name, Method: "POST", Path: "/v2/group/:group_id/" + path, ServerPath: "/v2/server/group/:group_id/" + path,
		Desc: desc, NK: NKBatch("groupUsers" + strings.ToUpper(path[:1]) + path[1:]), Run: unit(fn)})
}
