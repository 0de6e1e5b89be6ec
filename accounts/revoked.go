package accounts

import "sync/atomic"

// revokedHook is the function OnSessionsRevoked registered.
type revokedHook = atomic.Pointer[func(userID string, tokenIDs []string)]

// OnSessionsRevoked registers fn, called after a logout committed with the
// user and the token ids it revoked (none: every session of the user). The
// realtime socket closes the sessions' sockets with it. fn must not block.
// One function; a later call replaces it.
func (s *Service) OnSessionsRevoked(fn func(userID string, tokenIDs []string)) { s.revoked.Store(&fn) }

func (s *Service) sessionsRevoked(userID string, tids []string) {
	if fn := s.revoked.Load(); fn != nil {
		(*fn)(userID, tids)
	}
}
