//go:build !unix

package childserver

import "os"

// terminate: without SIGTERM, os.Interrupt is the closest request to stop.
func terminate(p *os.Process) error { return p.Signal(os.Interrupt) }
