//go:build unix

package compat

import (
	"os/exec"
	"syscall"
	"time"
)

// setProcessGroup runs cmd in its own process group, so that cancelling its
// context also ends the processes it started (node --test runs each test file
// in a child process).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 5 * time.Second
}
