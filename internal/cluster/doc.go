// Package cluster creates, lists and deletes local kind clusters through
// kind's Go library (sigs.k8s.io/kind/pkg/cluster), so that `slipway up
// --create-cluster` needs Docker or Podman but no kind binary.
//
// kind sits behind the small Provider interface: tests use a fake, and
// the real one (NewKindProvider) is a thin adapter. The default cluster
// configuration is the repository's kind-config.yaml, embedded here
// (kind-config.yaml in this directory is a byte-for-byte copy that a
// unit test keeps in sync).
package cluster
