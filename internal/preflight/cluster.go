package preflight

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Memory checks that the memory the platform's workloads request fits in
// the allocatable memory of the nodes that take pods.
//
// The rule is deliberately simple and never wrong in the failing
// direction: the platform's own requests (replicas × per-pod request, a
// DaemonSet once per node) against the total allocatable memory of the
// schedulable nodes. What other workloads already use is not subtracted,
// because on a re-run the platform's own pods are among them; so a pass
// does not promise that every pod will fit, but a failure means the
// platform can never fit on this cluster as it is.
func Memory(nodes []corev1.Node, workloads []Workload) error {
	var allocatable resource.Quantity
	schedulable := 0
	var perNode []string
	for _, n := range nodes {
		if n.Spec.Unschedulable {
			continue
		}
		schedulable++
		q := n.Status.Allocatable[corev1.ResourceMemory]
		allocatable.Add(q)
		perNode = append(perNode, fmt.Sprintf("%s %s", n.Name, human(q)))
	}
	var total resource.Quantity
	byComponent := map[string]*resource.Quantity{}
	for _, w := range workloads {
		n := w.Replicas
		if w.Kind == "DaemonSet" {
			n = max(schedulable, 1)
		}
		for range n {
			total.Add(w.Memory)
			if byComponent[w.Component] == nil {
				byComponent[w.Component] = &resource.Quantity{}
			}
			byComponent[w.Component].Add(w.Memory)
		}
	}
	if total.IsZero() || total.Cmp(allocatable) <= 0 {
		return nil
	}
	comps := slices.Collect(maps.Keys(byComponent))
	sort.Slice(comps, func(i, j int) bool {
		if c := byComponent[comps[i]].Cmp(*byComponent[comps[j]]); c != 0 {
			return c > 0
		}
		return comps[i] < comps[j]
	})
	var parts []string
	for _, c := range comps {
		parts = append(parts, c+" "+human(*byComponent[c]))
	}
	nodesDesc := "no schedulable node"
	if len(perNode) > 0 {
		nodesDesc = strings.Join(perNode, ", ")
	}
	return fmt.Errorf("the platform requests %s of memory (%s), more than the %s the cluster's schedulable nodes can allocate (%s): give the container engine more memory (Docker Desktop: Settings → Resources), add nodes, or leave components out (--without COMPONENT)",
		human(total), strings.Join(parts, ", "), human(allocatable), nodesDesc)
}

// human prints a memory quantity in Mi or Gi, one decimal at most.
func human(q resource.Quantity) string {
	mi := float64(q.Value()) / (1 << 20)
	if mi >= 1024 {
		return strings.TrimSuffix(fmt.Sprintf("%.1f", mi/1024), ".0") + "Gi"
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", mi), ".0") + "Mi"
}

// Chart is one chart about to be installed, with the Kubernetes versions
// it declares it supports (Chart.yaml kubeVersion, "" for any).
type Chart struct {
	Component, Name, Version, KubeVersion string
}

// KubeVersion checks the cluster's version (e.g. v1.35.0) against every
// chart's kubeVersion constraint, the way Helm's install does, so that an
// incompatible chart is named before anything is installed.
func KubeVersion(cluster string, charts []Chart) error {
	v, err := semver.NewVersion(cluster)
	if err != nil {
		return fmt.Errorf("the cluster reports Kubernetes version %q, which is not a semantic version; charts' kubeVersion constraints cannot be checked (--skip-preflight skips this check)", cluster)
	}
	var errs []error
	for _, c := range charts {
		if c.KubeVersion == "" {
			continue
		}
		con, err := semver.NewConstraint(c.KubeVersion)
		if err != nil {
			errs = append(errs, fmt.Errorf("component %s: chart %s@%s declares kubeVersion %q, which is not a valid constraint (%v); Helm would refuse to install it: pick another chart version in the profile", c.Component, c.Name, c.Version, c.KubeVersion, err))
			continue
		}
		if !con.Check(v) {
			errs = append(errs, fmt.Errorf("component %s: chart %s@%s requires Kubernetes %s, and the cluster runs %s: use a cluster whose version matches (kind: a node image of that version in the kind config), or a profile version whose chart supports %s (--profile NAME@VERSION)", c.Component, c.Name, c.Version, c.KubeVersion, cluster, cluster))
		}
	}
	return errors.Join(errs...)
}

// IngressReadyLabel is the node label kind-config.yaml puts on the node
// that maps host ports 80 and 443.
const IngressReadyLabel = "ingress-ready"

// IngressNode checks that the ingress controller's pods, when they are
// pinned to the ingress-ready node (the kind convention for binding host
// ports), have that node to land on: without it they stay Pending and up
// would only time out. Only the ingress-ready label is checked; other
// node selectors are left to the scheduler (and to up's diagnosis of a
// pod that is not ready).
func IngressNode(nodes []corev1.Node, ingress []Workload) error {
	var errs []error
	for _, w := range ingress {
		want, pinned := w.NodeSelector[IngressReadyLabel]
		if !pinned {
			continue
		}
		label := map[string]string{IngressReadyLabel: want}
		if slices.ContainsFunc(nodes, func(n corev1.Node) bool { return matches(n.Labels, label) }) {
			continue
		}
		binds := ""
		if len(w.HostPorts) > 0 {
			var ports []string
			for _, p := range w.HostPorts {
				ports = append(ports, fmt.Sprint(p))
			}
			binds = " to bind host ports " + strings.Join(ports, ", ")
		}
		errs = append(errs, fmt.Errorf("component %s: %s runs only on a node labelled %s=%s%s, and no node has that label: create the cluster from kind-config.yaml (`slipway cluster create`, or `slipway up --create-cluster`), or label the node that should receive traffic (`kubectl label node NAME %s=%s`)",
			w.Component, w.Ref(), IngressReadyLabel, want, binds, IngressReadyLabel, want))
	}
	return errors.Join(errs...)
}

func matches(labels, sel map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}
