// Package preflight checks, before slipway changes anything, that what it
// is about to do can work, and says what to do when it cannot: a
// container runtime and free host ports before kind creates a cluster;
// enough memory, a compatible Kubernetes version, the node the ingress
// binds to, and working DNS for the hostnames before up installs.
//
// Each check is a small function over injected interfaces (a command
// runner, a port probe, a DNS resolver) or plain data (nodes, rendered
// manifests), so that every failure message is unit-tested with fakes.
// A failed check returns an error; the caller reports every failure
// together. The DNS check only ever warns.
package preflight
