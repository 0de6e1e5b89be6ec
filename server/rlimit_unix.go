//go:build unix

package server

import (
	"log/slog"
	"syscall"
)

// raiseFileLimit lifts the soft limit of open files to the hard limit (Go's
// runtime does this too since 1.19; done here so the value is explicit and
// logged): every connection costs a descriptor.
func raiseFileLimit(log *slog.Logger) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("reading the open files limit", "error", err)
		return
	}
	if lim.Cur < lim.Max {
		want := lim
		want.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			log.Warn("raising the open files limit", "from", lim.Cur, "to", lim.Max, "error", err)
		} else {
			lim = want
		}
	}
	log.Info("open files limit", "soft", lim.Cur, "hard", lim.Max)
}
