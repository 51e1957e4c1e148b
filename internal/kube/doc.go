// Package kube connects to the cluster the way kubectl and helm users
// expect: KUBECONFIG, --kubeconfig and --context, with a client-side rate
// limit raised for a bootstrapper's burst of requests, and an error that
// names the context and server (and what to do) when nothing answers.
package kube
