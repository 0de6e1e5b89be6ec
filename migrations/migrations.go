// Package migrations holds the versioned SQL schema, one folder per dialect,
// embedded so the binary can migrate a database with no files beside it.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql in goose's format.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
