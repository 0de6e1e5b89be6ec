//go:build !unix

package compat

import (
	"os/exec"
	"time"
)

func setProcessGroup(cmd *exec.Cmd) {
	cmd.WaitDelay = 5 * time.Second
}
