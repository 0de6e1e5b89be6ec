package store

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/guildhall/guildhall/groups"
)

// Invitations are stored with a small state number (migration 00007);
// "expired" is a pending row past expire_time, decided by the service.

var invitationCodes = map[groups.InvitationState]int16{
	groups.InvitePending: 0, groups.InviteAccepted: 1, groups.InviteDeclined: 2, groups.InviteRevoked: 3,
}

var invitationStates = [...]groups.InvitationState{groups.InvitePending, groups.InviteAccepted,
	groups.InviteDeclined, groups.InviteRevoked}

const invitationColumns = "i.id, i.group_id, i.user_id, i.inviter_id, i.message, i.state, i.create_time, i.update_time, i.expire_time"

// invitationScan reads rows of invitationColumns (then extra columns) with
// one set of destinations.
type invitationScan struct {
	inv        groups.Invitation
	inviter    pgtype.Text
	state      int16
	ct, ut, et int64
	dest       []any
}

func newInvitationScan(extra ...any) *invitationScan {
	s := &invitationScan{}
	s.dest = append([]any{&s.inv.ID, &s.inv.GroupID, &s.inv.UserID, &s.inviter, &s.inv.Message, &s.state,
		&s.ct, &s.ut, &s.et}, extra...)
	return s
}

func (s *invitationScan) scan(r rowScanner) (groups.Invitation, error) {
	if err := r.Scan(s.dest...); err != nil {
		return groups.Invitation{}, err
	}
	inv := s.inv
	inv.InviterID = s.inviter.String
	if s.state >= 0 && int(s.state) < len(invitationStates) {
		inv.State = invitationStates[s.state]
	}
	inv.CreateTime, inv.UpdateTime, inv.ExpireTime = micros(s.ct), micros(s.ut), micros(s.et)
	return inv, nil
}

func (t *txSQL) Invitation(ctx context.Context, id string) (groups.Invitation, error) {
	var inv groups.Invitation
	found := false
	is := newInvitationScan()
	t.ex.read(ctx, "SELECT "+invitationColumns+" FROM group_invitations i WHERE i.id = $1", func(r rowScanner) error {
		var err error
		inv, err = is.scan(r)
		found = true
		return err
	}, id)
	if err := t.ex.flush(ctx); err != nil {
		return groups.Invitation{}, err
	}
	if !found {
		return groups.Invitation{}, groups.ErrNotFound
	}
	return inv, nil
}

func (t *txSQL) PendingInvitations(ctx context.Context, groupID string, userIDs []string) (map[string]groups.Invitation, error) {
	out := make(map[string]groups.Invitation, len(userIDs))
	if len(userIDs) == 0 {
		return out, nil
	}
	is := newInvitationScan()
	t.ex.read(ctx, "SELECT "+invitationColumns+" FROM group_invitations i WHERE i.group_id = $1 AND i.state = 0 "+
		"AND i.user_id IN ("+placeholders(2, len(userIDs))+")", func(r rowScanner) error {
		inv, err := is.scan(r)
		out[inv.UserID] = inv
		return err
	}, idArgs(groupID, userIDs)...)
	if err := t.ex.flush(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

func (t *txSQL) InsertInvitation(ctx context.Context, inv groups.Invitation) {
	t.ex.write(ctx, userMissing, `INSERT INTO group_invitations (id, group_id, user_id, inviter_id, message, state,
		create_time, update_time, expire_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		inv.ID, inv.GroupID, inv.UserID, nullID(inv.InviterID), inv.Message, invitationCodes[inv.State],
		inv.CreateTime.UnixMicro(), inv.UpdateTime.UnixMicro(), inv.ExpireTime.UnixMicro())
}

func (t *txSQL) UpdateInvitation(ctx context.Context, inv groups.Invitation) {
	t.ex.write(ctx, userMissing, `UPDATE group_invitations SET inviter_id = $2, message = $3, state = $4,
		update_time = $5, expire_time = $6 WHERE id = $1`,
		inv.ID, nullID(inv.InviterID), inv.Message, invitationCodes[inv.State], inv.UpdateTime.UnixMicro(),
		inv.ExpireTime.UnixMicro())
}

// ListInvitations is one keyset query on (user_id|group_id, state,
// update_time, id), walked backwards for newest first; the expiry test is a
// filter on the rows the index yields.
func (s *Groups) ListInvitations(ctx context.Context, q groups.InvitationQuery) ([]groups.Invitation, error) {
	args := make(sqlArgs, 0, 6)
	where := []string{}
	if q.UserID != "" {
		where = append(where, "i.user_id = "+args.add(q.UserID))
	} else {
		where = append(where, "i.group_id = "+args.add(q.GroupID))
	}
	where = append(where, "i.state = "+args.add(invitationCodes[q.State]))
	if q.State == groups.InvitePending {
		op := " > "
		if q.Expired {
			op = " <= "
		}
		where = append(where, "i.expire_time"+op+args.add(q.Now.UnixMicro()))
	}
	if q.After != nil {
		where = append(where, "(i.update_time, i.id) < ("+args.add(q.After.UpdateTime)+", "+args.add(q.After.ID)+")")
	}
	query := "SELECT " + invitationColumns + ", g.name FROM group_invitations i JOIN groups g ON g.id = i.group_id WHERE " +
		strings.Join(where, " AND ") + " ORDER BY i.update_time DESC, i.id DESC LIMIT " + args.add(q.Limit)
	var name string
	is := newInvitationScan(&name)
	out := make([]groups.Invitation, 0, q.Limit)
	err := s.read(ctx, query, args, func(r rowScanner) error {
		inv, err := is.scan(r)
		inv.GroupName = name
		out = append(out, inv)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
