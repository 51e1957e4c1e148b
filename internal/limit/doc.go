// Package limit bounds every read of data slipway does not control: a
// lock, a bundle's entries, a repository's index, a chart download, a
// profile or values file. The bound is enforced while reading (a reader
// that produces without end costs the limit and no more), and exceeding
// it is an error naming the file or URL and the limit.
//
// The sizes fit each purpose with a wide margin: the largest lock and
// image list slipway writes are a few KiB, public repository indexes
// (Bitnami's, before it was trimmed) reach tens of MiB, and a chart gets
// the bound bundles have always used for one entry.
package limit
