// Package buildinfo says which slipway this is: its version, commit and
// commit date, whether the tree was dirty, the Go toolchain, and the
// versions of the Helm SDK and client-go compiled in.
//
// Everything is read from the binary's own build information
// (runtime/debug.ReadBuildInfo), which `go build` in a Git checkout and
// `go install …@vX` fill in, so a plain `go install` already reports a
// real version and commit. Release builds (.goreleaser.yaml) set Version,
// Commit and Date with -ldflags -X, which win over what the build
// information says: the tag is the name users see.
package buildinfo
