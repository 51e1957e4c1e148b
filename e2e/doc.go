// Package e2e holds slipway's end-to-end tests. They run against a real
// Kubernetes API server: the hermetic cluster of package e2e/sim by default
// (started once in TestMain), or any cluster named by E2E_KUBECONFIG, such
// as a kind cluster made from the repo's kind-config.yaml (`make e2e-kind`).
package e2e
