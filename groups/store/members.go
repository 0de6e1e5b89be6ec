package store

import "context"

// GroupMemberIDs reads a group's members (states 0–2): those among the given
// users, or all of them when among is nil. The realtime hub calls it after a
// commit, off the request path, for the live-only notifications to every
// member.
func (s *Groups) GroupMemberIDs(ctx context.Context, groupID string, among []string) ([]string, error) {
	q := "SELECT user_id FROM group_members WHERE group_id = $1 AND state <= 2"
	args := []any{groupID}
	if among != nil {
		if len(among) == 0 {
			return nil, nil
		}
		q += " AND user_id IN (" + placeholders(2, len(among)) + ")"
		args = idArgs(groupID, among)
	}
	var out []string
	err := s.read(ctx, q, args, func(r rowScanner) error {
		var id string
		if err := r.Scan(&id); err != nil {
			return err
		}
		out = append(out, id)
		return nil
	})
	return out, err
}
