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
// Transient failures (5xx answers, refused or reset connections; not an
// unknown host) are retried with backoff.
//
// Each kind of place is a source (source.go): repoSource (repo.go),
// ociSource (oci.go), dirSource and pathSource (local.go) and, for
// --offline, offlineSource over the cache (cache.go). The Locator holds
// what they share: the HTTP getter (http.go), Helm's registry clients,
// the parsed indexes and the cache. It is called for every component at
// once: components that need the same index or archive wait for one
// request (golang.org/x/sync/singleflight), and no lock is held across a
// network request, so different charts download in parallel.
//
// Helm's own types do Helm's jobs: repo.File and repo.Entry read
// repositories.yaml, repo.IndexFile and repo.ResolveReferenceURL the
// index, registry.Client the OCI registry, loader the chart check. The
// HTTP download is slipway's (http.go says why).
//
// Private sources use Helm's own login files: an entry of repositories.yaml
// whose URL is the chart's repository gives the basic-auth login (sent to
// archive URLs on the same host only, unless pass_credentials_all) and TLS
// files; OCI pulls use the registry config of `helm registry login`.
package charts
