// Package charts finds the charts a profile names and brings them to disk:
// classic Helm repositories (index.yaml), OCI registries, local chart
// directories or archives, and slipway's own embedded charts. A mirror
// (--chart-mirror) or a local directory (--charts-dir) can stand in for
// every named source, for air-gapped and test use.
//
// Resolve turns a semver constraint into the highest matching version,
// like Helm does, and records where the chart comes from and its digest.
// Get downloads it once into a content-addressed cache under the user
// cache directory (verified against the digest the repository published),
// so a second `up` downloads no archive (the index is still read to
// resolve constraints); Offline resolves and fetches from the cache alone,
// failing with ErrNotCached. It also returns the digest of what it
// fetched (of the .tgz, or of a chart directory's files), for lock files.
// Transient server errors (5xx) are retried with backoff.
//
// Private sources use Helm's own login files: an entry of repositories.yaml
// whose URL is the chart's repository gives the basic-auth login (sent to
// archive URLs on the same host only, unless pass_credentials_all) and TLS
// files; OCI pulls use the registry config of `helm registry login`.
package charts
