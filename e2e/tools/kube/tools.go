//go:build tools

// Package tools pins the Kubernetes control-plane commands the hermetic
// cluster runs; e2e/simcluster builds them with `go build` in this module.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
