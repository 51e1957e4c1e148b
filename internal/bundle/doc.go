// Package bundle writes and reads slipway bundles: one .tgz with every
// chart a profile installs, the lock that pins them, and the container
// images their manifests use, so `slipway up --bundle FILE` installs with
// no network. Layout:
//
//	slipway.lock                   the lock (package lock), with imagesDigest
//	images.txt                     sorted unique images, one a line
//	charts/<name>-<version>.tgz    a chart archive, byte for byte as fetched
//	charts/<name>-<version>/…      a chart directory (embedded or local charts)
//
// Read (bundle.go writes, read.go reads) verifies the bundle against its
// own lock before returning: every chart and images.txt by digest, no
// entry twice, no chart the lock does not name. So a damaged or
// half-edited bundle fails before anything is installed. That proves
// only that the bundle agrees with itself; Open also compares its lock
// with one the user keeps apart (up --bundle B --locked L), which is
// what proves it is the bundle the user meant.
package bundle
