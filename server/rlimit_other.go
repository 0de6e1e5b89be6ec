//go:build !unix

package server

import "log/slog"

// raiseFileLimit has nothing to raise here.
func raiseFileLimit(*slog.Logger) {}
