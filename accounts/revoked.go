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

// ForgetSessions drops this process's cached VerifySession answers for
// sessions another process revoked (no token ids: every session of the
// user), so they are refused here at once instead of after VerifyCacheTTL.
// The realtime bus calls it when another node's logout reaches this one.
func (s *Service) ForgetSessions(userID string, tokenIDs []string) {
	if len(tokenIDs) > 0 {
		s.cache.forget(tokenIDs...)
	} else {
		s.cache.forgetUser(userID)
	}
}
