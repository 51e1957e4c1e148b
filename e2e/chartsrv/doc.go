// Package chartsrv serves the fixture charts of e2e/testdata/charts to the
// end-to-end tests through both chart paths of the Helm SDK: a classic
// Helm repository (index.yaml over HTTP) and an OCI registry (the CNCF
// distribution registry, in-process), both on loopback. Fixtures can be
// published at several versions to exercise constraint resolution, and the
// HTTP repository has fault knobs (failing answers, going down) for the
// reliability tests.
package chartsrv
