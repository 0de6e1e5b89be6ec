package groups

import (
	"context"
	"errors"

	"github.com/guildhall/guildhall/errs"
)

// Leadership transfer (issue 11): a superadmin hands the group over in one
// transaction — the target (an admin or member) becomes superadmin and the
// caller becomes admin. The group row is locked first and both states are
// read under the lock, as for every membership change, so two transfers of
// one group serialise: the second reads the first's outcome (its caller is
// no longer a superadmin) and is refused. The number of superadmins never
// changes.

// TransferGroupRequest names the group and the new superadmin.
type TransferGroupRequest struct {
	GroupID string `op:"group_id,path"`
	UserID  string `op:"user_id"`
}

// LeadershipTransferred: To became superadmin; From are the superadmins
// who became admins (the caller; for the system, every other superadmin).
type LeadershipTransferred struct {
	EventMeta
	GroupName string
	To        string
	From      []string
}

var (
	errTransferTarget  = errs.Invalid("Transfer target must be a member or admin of the group.")
	errTransferAllowed = errs.Errorf(errs.CodeNotFound, "Group not found or permission denied.")
)

// canTransfer: transfer is a superadmin power (also the system's). At the
// merge with custom roles it stays here: no role grants it.
func canTransfer(a Actor, st State, ok bool) bool {
	return a.System || ok && st == Superadmin
}

// transferTarget: only an admin or a member can take the group over; a join
// request, a ban, a superadmin (the caller too) or no row is refused.
func transferTarget(st State, ok bool) bool {
	return ok && (st == Admin || st == Member)
}

// TransferGroup makes req.UserID the group's superadmin in place of the
// caller, who becomes an admin. The system (server API, nk without a user)
// transfers too: the target becomes superadmin and every superadmin
// becomes admin, so a support tool can hand an abandoned group over.
func (s *Service) TransferGroup(ctx context.Context, a Actor, req TransferGroupRequest) error {
	if s.disabled {
		return ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return err
	}
	if req.UserID == "" {
		return errs.Invalid("Transfer target user ID must be set.")
	}
	target, ok := parseID(req.UserID)
	if !ok {
		return errs.Invalid("User ID must be a valid ID.")
	}
	if a, err = checkActor(a); err != nil {
		return err
	}
	return s.tx(ctx, func(tx Tx) error {
		l, err := tx.Lock(ctx, LockQuery{GroupID: id, UserIDs: append(actorIDs(a), target)})
		if errors.Is(err, ErrNotFound) {
			return errTransferAllowed
		} else if err != nil {
			return err
		}
		st, ok := l.States[a.UserID]
		if !canTransfer(a, st, ok) {
			return errTransferAllowed
		}
		if tst, ok := l.States[target]; !transferTarget(tst, ok) {
			return errTransferTarget
		}
		from := actorIDs(a)
		if a.System {
			if from, err = tx.StateUsers(ctx, id, Superadmin); err != nil {
				return err
			}
		}
		now := s.now()
		for _, u := range from {
			tx.SetState(ctx, id, u, Admin, now)
		}
		tx.SetState(ctx, id, target, Superadmin, now)
		tx.Record(LeadershipTransferred{EventMeta: meta(id, a, now), GroupName: l.Group.Name, To: target, From: from})
		return nil
	})
}
