// Package profiles embeds slipway's released profiles, one file per
// version: <name>/<version>.yaml. Released files are never edited; a
// change is a new version file, so name@version always means the same
// platform.
package profiles

import "embed"

// FS holds every profile file.
//
//go:embed */*.yaml
var FS embed.FS
