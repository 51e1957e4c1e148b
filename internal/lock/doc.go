// Package lock reads and writes slipway lock files: the exact chart
// version, source and content digest of every component a profile
// installed, so that `slipway up --locked FILE` (or a bundle) installs the
// same bytes again. A lock is versioned like a profile (apiVersion/kind),
// decoded strictly, and written atomically with mode 0600, like every
// file slipway writes. It holds no secret, and is meant to be committed
// next to the platform's config and read by CI, like go.sum.
package lock
