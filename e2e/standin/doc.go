// Package standin runs, next to the hermetic cluster, what the GitOps
// agents' controllers do to the API, because the cluster runs no
// containers: a loopback Git server (git http-backend over net/http/cgi),
// an Argo CD application controller stand-in and a Flux (operator,
// source-controller, kustomize-controller) stand-in. Each clones the
// repository an object names, applies the manifests under its path with
// server-side apply under the real controller's field manager, and writes
// the status and conditions the real controller writes, in the same
// shapes and wording. e2e/FIDELITY.md lists where they differ.
//
// The real Flux controllers could not be built here from Go modules (see
// FIDELITY.md for the errors), so these stand in for them.
package standin
