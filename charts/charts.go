// Package charts embeds the small Helm charts slipway owns (for example
// gitops-wiring, which points the GitOps agent at a repository). A profile
// refers to one as `chart: {path: charts/<name>}`.
package charts

import "embed"

// FS holds every chart directory under charts/.
//
//go:embed all:gitops-wiring all:registry
var FS embed.FS
