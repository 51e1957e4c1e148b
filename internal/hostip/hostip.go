// Package hostip chooses the address the platform's hostnames
// (<prefix>.<ip>.sslip.io) should resolve to, for `slipway up --ip auto`.
package hostip

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Choice is the chosen address and why, for the user.
type Choice struct {
	IP     string
	Reason string
}

// Loopback is the address for kind clusters: kind-config.yaml maps the
// node's ports 80 and 443 onto the host.
const Loopback = "127.0.0.1"

const ingressReady = "ingress-ready"

// Choose picks, in order:
//
//  1. 127.0.0.1 for a kind cluster with host port mappings: the context is
//     named kind-*, or a node named *-control-plane carries the
//     ingress-ready=true label (kind-config.yaml's shape);
//  2. the load-balancer address of a LoadBalancer Service in the ingress
//     controller's namespace (ingressNS, "" to skip), when it has one;
//  3. the InternalIP of the node labelled ingress-ready=true, where the
//     ingress controller binds its host ports.
//
// It fails when none applies, saying to pass --ip.
func Choose(ctx context.Context, client kubernetes.Interface, contextName, ingressNS string) (Choice, error) {
	if strings.HasPrefix(contextName, "kind-") {
		return Choice{Loopback, fmt.Sprintf("context %s is a kind cluster, whose kind-config.yaml maps ports 80 and 443 to this machine", contextName)}, nil
	}
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return Choice{}, fmt.Errorf("--ip auto: list nodes: %w; pass --ip ADDRESS", err)
	}
	var ready []corev1.Node
	for _, n := range nodes.Items {
		if n.Labels[ingressReady] == "true" {
			ready = append(ready, n)
		}
	}
	slices.SortFunc(ready, func(a, b corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	for _, n := range ready {
		if strings.HasSuffix(n.Name, "-control-plane") {
			return Choice{Loopback, fmt.Sprintf("node %s is shaped like kind's (an ingress-ready control-plane node with host port mappings)", n.Name)}, nil
		}
	}
	if ingressNS != "" {
		svcs, err := client.CoreV1().Services(ingressNS).List(ctx, metav1.ListOptions{})
		if err != nil {
			return Choice{}, fmt.Errorf("--ip auto: list services in %s: %w; pass --ip ADDRESS", ingressNS, err)
		}
		items := svcs.Items
		slices.SortFunc(items, func(a, b corev1.Service) int { return strings.Compare(a.Name, b.Name) })
		for _, s := range items {
			if s.Spec.Type != corev1.ServiceTypeLoadBalancer {
				continue
			}
			for _, ing := range s.Status.LoadBalancer.Ingress {
				if ing.IP != "" {
					return Choice{ing.IP, fmt.Sprintf("the load balancer of service %s/%s", s.Namespace, s.Name)}, nil
				}
			}
		}
	}
	for _, n := range ready {
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP && a.Address != "" {
				return Choice{a.Address, fmt.Sprintf("the InternalIP of node %s, labelled ingress-ready=true, where the ingress binds its host ports", n.Name)}, nil
			}
		}
	}
	return Choice{}, fmt.Errorf("--ip auto: no address found: not a kind cluster, no load-balancer address in namespace %q, and no node labelled ingress-ready=true with an InternalIP; pass --ip with the address that reaches the ingress controller", ingressNS)
}
