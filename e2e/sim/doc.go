// Package sim runs a hermetic Kubernetes cluster for slipway's end-to-end
// tests: a real etcd, kube-apiserver, kube-controller-manager and
// kube-scheduler, all compiled from Go modules (see e2e/tools), with kwok
// standing in for the kubelet so that pods are scheduled, go Running and
// Ready, hook Jobs complete and PVCs bind, without a container runtime.
//
// Why not kind: these machines have no Docker engine. Why not a fake
// clientset: slipway's job is to drive Helm against a real API server
// (server-side apply, admission, CRD establishment, garbage collection), and
// only a real one shows whether that works.
//
// The binaries take about 20 minutes to build on two cores, so they are
// built once per version and kept under the user cache directory, keyed by
// the tool modules' go.mod/go.sum and the build flags; later starts take a
// few seconds.
//
// No process may outlive the run that started it. Every component runs in
// its own process group with a parent-death signal, its pid is written into
// the run directory, and Start first reaps run directories whose owner is
// gone (a test binary killed with SIGKILL leaves exactly that behind).
package sim
