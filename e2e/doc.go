// Package e2e holds slipway's end-to-end tests. They run against a real
// Kubernetes API server: the hermetic cluster of package e2e/sim by default
// (started once in TestMain), or any cluster named by E2E_KUBECONFIG, such
// as a kind cluster made from the repo's kind-config.yaml (`make e2e-kind`).
//
// Fault tests named TestFault* inject failures: a chart repository that
// answers 500 or is down, corrupted or digest-mismatched charts. The slow
// ones (an API server outage, SIGKILL at random points) live in files with
// the build tag faults and run with `make test-faults`; `make test` does
// not compile them, so nothing it runs is skipped.
package e2e
