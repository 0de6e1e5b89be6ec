package groups

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/guildhall/guildhall/errs"
)

// Custom roles (issue 11): a group's named ranks with permission sets, held
// by members and admins (at most one each). Every change of a group's roles
// or of who holds them runs under the group's row lock, where the member
// operations read the actor's role with its state: a role removed (or
// unassigned) in a committed change is never used by a later request.

// Role limits.
const (
	MaxRolesPerGroup = 32
	MaxRoleNameLen   = 32
)

// Role is one custom role of a group.
type Role struct {
	ID          string
	GroupID     string
	Name        string
	Rank        int
	Permissions Permissions
	CreateTime  time.Time
	UpdateTime  time.Time
}

// RoleRef is the role a listed member holds.
type RoleRef struct {
	ID   string
	Name string
	Rank int
}

// RoleList is a group's roles, by rank (highest first), then name.
type RoleList struct {
	Roles []Role
}

// CreateRoleRequest creates a role.
type CreateRoleRequest struct {
	GroupID     string   `op:"group_id,path"`
	Name        string   `op:"name"`
	Rank        int      `op:"rank"`
	Permissions []string `op:"permissions"`
}

// UpdateRoleRequest changes the fields set (Permissions nil: unchanged).
type UpdateRoleRequest struct {
	GroupID     string   `op:"group_id,path"`
	RoleID      string   `op:"role_id,path"`
	Name        *string  `op:"name"`
	Rank        *int     `op:"rank"`
	Permissions []string `op:"permissions"`
}

// RoleRequest names one role of a group.
type RoleRequest struct {
	GroupID string `op:"group_id,path"`
	RoleID  string `op:"role_id,path"`
}

// RoleUsersRequest assigns a role to (or takes it from) users.
type RoleUsersRequest struct {
	GroupID string   `op:"group_id,path"`
	RoleID  string   `op:"role_id,path"`
	UserIDs []string `op:"user_ids,query"`
}

// The role events.
type (
	// RoleCreated: a role was created.
	RoleCreated struct {
		EventMeta
		Role Role
	}
	// RoleUpdated: a role changed; Role is the new row.
	RoleUpdated struct {
		EventMeta
		Role Role
	}
	// RoleDeleted: a role was deleted; its Holders lost it.
	RoleDeleted struct {
		EventMeta
		RoleID    string
		RoleName  string
		GroupName string
		Holders   []string
	}
	// RoleAssigned: Targets now hold the role (in place of the one they
	// held, if any).
	RoleAssigned struct {
		EventMeta
		RoleID    string
		RoleName  string
		GroupName string
		Targets   []string
	}
	// RoleUnassigned: Targets no longer hold the role.
	RoleUnassigned struct {
		EventMeta
		RoleID    string
		RoleName  string
		GroupName string
		Targets   []string
	}
)

var (
	errRoleNotFound = errs.Errorf(errs.CodeNotFound, "Role not found.")
	errRoleRank     = errs.Errorf(errs.CodePermissionDenied,
		"Roles can only be managed below your own rank and with permissions you hold.")
)

func checkRoleName(name string) error {
	if name == "" {
		return errs.Invalid("Role name must be set.")
	}
	return checkText("Role name", name, MaxRoleNameLen)
}

func checkRoleRank(rank int) error {
	if rank < MinRoleRank || rank > MaxRoleRank {
		return errs.Invalid(fmt.Sprintf("Role rank %d is out of range: ranks are %d to %d.", rank, MinRoleRank, MaxRoleRank))
	}
	return nil
}

func checkRoleID(s string) (string, error) {
	if s == "" {
		return "", errs.Invalid("Role ID must be set.")
	}
	id, ok := parseID(s)
	if !ok {
		return "", errs.Invalid("Role ID must be a valid ID.")
	}
	return id, nil
}

// roleFrame is the start of every role change: the group locked with the
// actor's (and targets') states and roles read under the lock, the actor's
// power computed, and manage_roles required.
func (s *Service) roleFrame(ctx context.Context, tx Tx, a Actor, groupID string, targets []string) (Locked, power, error) {
	q := LockQuery{GroupID: groupID, UserIDs: targets}
	if a.UserID != "" {
		q.UserIDs = append([]string{a.UserID}, targets...)
	}
	l, err := tx.Lock(ctx, q)
	if errors.Is(err, ErrNotFound) {
		return Locked{}, power{}, errPermission
	} else if err != nil {
		return Locked{}, power{}, err
	}
	st, ok := l.States[a.UserID]
	p := powerOf(a, st, ok, l.Role(a.UserID))
	if !p.manageRoles() {
		return Locked{}, power{}, errPermission
	}
	return l, p, nil
}

func findRole(roles []Role, id string) (Role, bool) {
	for _, r := range roles {
		if r.ID == id {
			return r, true
		}
	}
	return Role{}, false
}

// nameInUse reports whether another role than except has name (case-insensitively).
func nameInUse(roles []Role, name, except string) bool {
	for _, r := range roles {
		if r.ID != except && strings.EqualFold(r.Name, name) {
			return true
		}
	}
	return false
}

func errNameInUse(name string) error {
	return errs.Invalid(fmt.Sprintf("Role name %q is in use in this group.", name))
}

// CreateRole creates a custom role: superadmins, or holders of manage_roles
// (a role's managers only below their own rank).
func (s *Service) CreateRole(ctx context.Context, a Actor, req CreateRoleRequest) (Role, error) {
	if s.disabled {
		return Role{}, ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return Role{}, err
	}
	if a, err = checkActor(a); err != nil {
		return Role{}, err
	}
	if err := checkRoleName(req.Name); err != nil {
		return Role{}, err
	}
	if err := checkRoleRank(req.Rank); err != nil {
		return Role{}, err
	}
	perms, err := ParsePermissions(req.Permissions)
	if err != nil {
		return Role{}, err
	}
	var out Role
	err = s.tx(ctx, func(tx Tx) error {
		_, p, err := s.roleFrame(ctx, tx, a, id, nil)
		if err != nil {
			return err
		}
		if !p.manages(req.Rank, perms) {
			return errRoleRank
		}
		roles, err := tx.GroupRoles(ctx, id)
		if err != nil {
			return err
		}
		if len(roles) >= MaxRolesPerGroup {
			return errs.Invalid(fmt.Sprintf("A group has at most %d roles.", MaxRolesPerGroup))
		}
		if nameInUse(roles, req.Name, "") {
			return errNameInUse(req.Name)
		}
		now := s.now()
		out = Role{ID: newID(), GroupID: id, Name: req.Name, Rank: req.Rank, Permissions: perms,
			CreateTime: now, UpdateTime: now}
		tx.InsertRole(ctx, out)
		tx.Record(RoleCreated{EventMeta: meta(id, a, now), Role: out})
		return nil
	})
	if errors.Is(err, ErrNameTaken) { // a racing create of another server
		return Role{}, errNameInUse(req.Name)
	}
	if err != nil {
		return Role{}, err
	}
	return out, nil
}

// UpdateRole changes a role's name, rank or permissions; its holders keep it.
func (s *Service) UpdateRole(ctx context.Context, a Actor, req UpdateRoleRequest) (Role, error) {
	if s.disabled {
		return Role{}, ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return Role{}, err
	}
	roleID, err := checkRoleID(req.RoleID)
	if err != nil {
		return Role{}, err
	}
	if a, err = checkActor(a); err != nil {
		return Role{}, err
	}
	if req.Name == nil && req.Rank == nil && req.Permissions == nil {
		return Role{}, errs.Invalid("Specify at least one field to update.")
	}
	if req.Name != nil {
		if err := checkRoleName(*req.Name); err != nil {
			return Role{}, err
		}
	}
	if req.Rank != nil {
		if err := checkRoleRank(*req.Rank); err != nil {
			return Role{}, err
		}
	}
	var perms Permissions
	if req.Permissions != nil {
		if perms, err = ParsePermissions(req.Permissions); err != nil {
			return Role{}, err
		}
	}
	var out Role
	err = s.tx(ctx, func(tx Tx) error {
		_, p, err := s.roleFrame(ctx, tx, a, id, nil)
		if err != nil {
			return err
		}
		roles, err := tx.GroupRoles(ctx, id)
		if err != nil {
			return err
		}
		r, ok := findRole(roles, roleID)
		if !ok {
			return errRoleNotFound
		}
		if !p.manages(r.Rank, r.Permissions) {
			return errRoleRank
		}
		set(&r.Name, req.Name)
		set(&r.Rank, req.Rank)
		if req.Permissions != nil {
			r.Permissions = perms
		}
		if !p.manages(r.Rank, r.Permissions) {
			return errRoleRank
		}
		if nameInUse(roles, r.Name, r.ID) {
			return errNameInUse(r.Name)
		}
		r.UpdateTime = s.now()
		tx.UpdateRole(ctx, r)
		tx.Record(RoleUpdated{EventMeta: meta(id, a, r.UpdateTime), Role: r})
		out = r
		return nil
	})
	if errors.Is(err, ErrNameTaken) {
		return Role{}, errNameInUse(*req.Name)
	}
	if err != nil {
		return Role{}, err
	}
	return out, nil
}

// DeleteRole deletes a role; its holders lose it in the same transaction.
func (s *Service) DeleteRole(ctx context.Context, a Actor, req RoleRequest) error {
	if s.disabled {
		return ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return err
	}
	roleID, err := checkRoleID(req.RoleID)
	if err != nil {
		return err
	}
	if a, err = checkActor(a); err != nil {
		return err
	}
	return s.tx(ctx, func(tx Tx) error {
		l, p, err := s.roleFrame(ctx, tx, a, id, nil)
		if err != nil {
			return err
		}
		// The holders, read under the lock, are told they lost the role.
		roles, holders, err := tx.GroupRolesAndHolders(ctx, id, roleID)
		if err != nil {
			return err
		}
		r, ok := findRole(roles, roleID)
		if !ok {
			return errRoleNotFound
		}
		if !p.manages(r.Rank, r.Permissions) {
			return errRoleRank
		}
		tx.DeleteRole(ctx, id, roleID)
		tx.Record(RoleDeleted{EventMeta: meta(id, a, s.now()), RoleID: roleID, RoleName: r.Name, GroupName: l.Group.Name,
			Holders: holders})
		return nil
	})
}

// ListRoles lists a group's roles for its members, admins and superadmins
// (and the system).
func (s *Service) ListRoles(ctx context.Context, a Actor, req GroupRequest) (RoleList, error) {
	if s.disabled {
		return RoleList{}, ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return RoleList{}, err
	}
	if a, err = checkActor(a); err != nil {
		return RoleList{}, err
	}
	_, st, err := s.store.GetGroup(ctx, id, a.UserID)
	if errors.Is(err, ErrNotFound) {
		return RoleList{}, errPermission
	} else if err != nil {
		return RoleList{}, err
	}
	if !a.System && (st == nil || !st.Counts()) {
		return RoleList{}, errPermission
	}
	roles, err := s.store.ListRoles(ctx, id)
	if err != nil {
		return RoleList{}, err
	}
	return RoleList{Roles: roles}, nil
}

// AssignRole gives a role to members and admins (replacing the one they
// hold); other targets, and targets the actor does not outrank (for a role's
// managers), are skipped.
func (s *Service) AssignRole(ctx context.Context, a Actor, req RoleUsersRequest) error {
	return s.roleUsers(ctx, a, req, true)
}

// UnassignRole takes a role from the targets holding it; others are skipped.
func (s *Service) UnassignRole(ctx context.Context, a Actor, req RoleUsersRequest) error {
	return s.roleUsers(ctx, a, req, false)
}

func (s *Service) roleUsers(ctx context.Context, a Actor, req RoleUsersRequest, assign bool) error {
	if s.disabled {
		return ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return err
	}
	roleID, err := checkRoleID(req.RoleID)
	if err != nil {
		return err
	}
	targets, err := checkUserIDs(req.UserIDs)
	if err != nil {
		return err
	}
	if a, err = checkActor(a); err != nil {
		return err
	}
	if len(targets) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx Tx) error {
		l, p, err := s.roleFrame(ctx, tx, a, id, targets)
		if err != nil {
			return err
		}
		roles, err := tx.GroupRoles(ctx, id)
		if err != nil {
			return err
		}
		r, ok := findRole(roles, roleID)
		if !ok {
			return errRoleNotFound
		}
		if !p.manages(r.Rank, r.Permissions) {
			return errRoleRank
		}
		var done []string
		for _, t := range targets {
			if t == a.UserID {
				continue // acting on oneself is skipped, as in Nakama
			}
			st, has := l.States[t]
			held := l.Role(t)
			if !p.assignable(targetOf(st, has, held)) || assign == (held.ID == roleID) {
				continue
			}
			done = append(done, t)
		}
		if len(done) == 0 {
			return nil
		}
		m := meta(id, a, s.now())
		if assign {
			tx.SetMemberRole(ctx, id, done, roleID)
			tx.Record(RoleAssigned{EventMeta: m, RoleID: roleID, RoleName: r.Name, GroupName: l.Group.Name, Targets: done})
		} else {
			tx.SetMemberRole(ctx, id, done, "")
			tx.Record(RoleUnassigned{EventMeta: m, RoleID: roleID, RoleName: r.Name, GroupName: l.Group.Name, Targets: done})
		}
		return nil
	})
}
