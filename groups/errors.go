package groups

import "errors"

// Sentinels a Store returns; the service turns them into the operation's coded
// error (package errs).
var (
	ErrNotFound  = errors.New("not found")
	ErrNameTaken = errors.New("name taken")
	ErrFull      = errors.New("group full")
	ErrTagTaken  = errors.New("tag taken")
)
