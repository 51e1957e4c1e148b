// Package kind is the end-to-end test on a real kind cluster: slipway
// creates and deletes clusters through kind's Go library on a real
// container engine, its preflight catches a host port that is taken, and
// `up --create-cluster --ip auto` installs the minimal profile from the
// real chart repositories and answers through the host port mapping.
//
// It needs Docker (or Podman) and internet access, so it is built only
// with the kind build tag: `make e2e-kind`, and the e2e-kind CI workflow.
package kind
