//go:build !unix

package compat

import (
	"os"
	"os/exec"
	"time"
)

func setProcessGroup(cmd *exec.Cmd) {
	cmd.WaitDelay = 5 * time.Second
}

// terminate: without SIGTERM, os.Interrupt is the closest request to stop.
func terminate(p *os.Process) error {
	return p.Signal(os.Interrupt)
}
