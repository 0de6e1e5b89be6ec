package childserver

import "testing"

// The helper itself: a zero-config server starts on SQLite, answers, and stops
// cleanly on SIGTERM.
func TestStartStop(t *testing.T) {
	s := Start(t, Options{})
	s.RequireAlive(t)
	s.Stop(t)
	if done, _ := s.Exited(); !done {
		t.Fatal("Stop returned while the process still runs")
	}
}
