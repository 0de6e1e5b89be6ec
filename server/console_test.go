package server

import (
	"slices"
	"testing"
)

// The console's default password is a published secret: Run warns while it
// is in use, like the keys.
func TestConsolePasswordDefaultWarns(t *testing.T) {
	c := DefaultConfig()
	if !slices.Contains(c.DefaultSecrets(), "console.password") {
		t.Fatalf("DefaultSecrets() = %v, want console.password among them", c.DefaultSecrets())
	}
	c.ConsolePassword = "s3cret"
	if slices.Contains(c.DefaultSecrets(), "console.password") {
		t.Fatal("console.password named after it was set")
	}
}
