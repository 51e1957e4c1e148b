// Package bundle writes and reads slipway bundles: one .tgz with every
// chart a profile installs, the lock that pins them, and the container
// images their manifests use, so `slipway up --bundle FILE` installs with
// no network. Layout:
//
//	slipway.lock                   the lock (package lock)
//	images.txt                     sorted unique images, one a line
//	charts/<name>-<version>.tgz    a chart archive, byte for byte as fetched
//	charts/<name>-<version>/…      a chart directory (embedded or local charts)
//
// Read verifies every chart against the lock's digest before returning,
// so a damaged or edited bundle fails before anything is installed.
package bundle
