// Package charts finds the charts a profile names and brings them to disk:
// classic Helm repositories (index.yaml), OCI registries, local chart
// directories or archives, and slipway's own embedded charts. A mirror
// (--chart-mirror) or a local directory (--charts-dir) can stand in for
// every named source, for air-gapped and test use.
//
// Resolve turns a semver constraint into the highest matching version,
// like Helm does, and records where the chart comes from and its digest.
// Fetch downloads it once into a content-addressed cache under the user
// cache directory (verified against the digest the repository published),
// so a second `up` downloads nothing. Transient server errors (5xx) are
// retried with backoff.
package charts
