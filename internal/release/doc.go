// Package release is slipway's adapter to the Helm v4 SDK: upgrade-or-
// install through release history, client-only rendering, uninstall, and
// repair of releases an interrupted run left pending. Helm's types stay
// inside; callers see plain Go values.
//
// Two v4 pitfalls are handled here once: an empty WaitStrategy fails and a
// zero Timeout means 30 seconds, so every action gets an explicit strategy
// and timeout.
//
// On a remote cluster Helm's install is a chain of round trips; two of its
// links are shortened here without changing what Helm decides: its
// conflict check is fetched at once (prefetch.go), and objects are created
// or updated in a few stages instead of one kind or object after the
// other, the CRDs beside them (kubeclient.go). Releases are stored as
// Helm stores them, at a faster gzip level (storage.go).
//
// Two reads skip what Helm's SDK would decode in full (issue 18): Get
// decodes only a release's latest revision, without the chart's templates
// and files (latest.go, prune.go), and LoadMeta reads a chart's
// Chart.yaml alone (meta.go). Helm's own code still reads whole what it
// applies.
package release
