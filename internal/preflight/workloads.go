package preflight

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/kube"
)

// Workload is a pod-making object in a rendered manifest, reduced to what
// the checks need.
type Workload struct {
	Component string // set by the caller
	Kind      string
	Namespace string
	Name      string
	Replicas  int // pods it keeps running; a DaemonSet counts 1 per node (see Memory)
	// Memory is the memory one pod requests: the sum over its containers,
	// or the largest init container's request if that is more (how the
	// scheduler counts it).
	Memory       resource.Quantity
	NodeSelector map[string]string
	HostPorts    []int32
}

// Ref is Kind namespace/name.
func (w Workload) Ref() string { return fmt.Sprintf("%s %s/%s", w.Kind, w.Namespace, w.Name) }

type manifestDoc struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		Replicas *int32 `json:"replicas"`
		Template struct {
			Spec corev1.PodSpec `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

// kindHead is what Workloads reads of a document to decide whether to
// read it whole.
type kindHead struct {
	Kind string `json:"kind"`
}

// Workloads lists the long-running workloads (Deployment, StatefulSet,
// DaemonSet, ReplicaSet, bare Pod) in a rendered manifest; objects without
// a namespace get ns. Hooks and Jobs are left out: they finish, so they do
// not hold memory while the platform runs.
func Workloads(manifest, ns string) ([]Workload, error) {
	var out []Workload
	for _, raw := range strings.Split(manifest, "\n---") {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		// The kind from the document's head alone when it has one:
		// parsing every CRD schema to learn its kind was most of a no-op
		// up's preflight (kube.ManifestHead).
		head, ok := kube.DecodeHead(raw, func(h *kindHead) bool { return h.Kind != "" })
		if !ok {
			continue // comments only, or not an object: nothing to count
		}
		var pod corev1.PodSpec
		var doc manifestDoc
		switch head.Kind {
		case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet":
			if err := yaml.Unmarshal([]byte(raw), &doc); err != nil {
				return nil, fmt.Errorf("%s in the rendered manifest: %w", head.Kind, err)
			}
			pod = doc.Spec.Template.Spec
		case "Pod":
			var p struct {
				manifestDoc
				Spec corev1.PodSpec `json:"spec"`
			}
			if err := yaml.Unmarshal([]byte(raw), &p); err != nil {
				return nil, fmt.Errorf("Pod in the rendered manifest: %w", err)
			}
			doc, pod = p.manifestDoc, p.Spec
		default:
			continue
		}
		if _, hook := doc.Metadata.Annotations["helm.sh/hook"]; hook {
			continue
		}
		w := Workload{Kind: head.Kind, Namespace: doc.Metadata.Namespace, Name: doc.Metadata.Name, Replicas: 1, NodeSelector: pod.NodeSelector}
		if w.Namespace == "" {
			w.Namespace = ns
		}
		if doc.Spec.Replicas != nil && head.Kind != "Pod" && head.Kind != "DaemonSet" {
			w.Replicas = int(*doc.Spec.Replicas)
		}
		w.Memory = podMemory(pod)
		for _, c := range pod.Containers {
			for _, p := range c.Ports {
				if p.HostPort != 0 {
					w.HostPorts = append(w.HostPorts, p.HostPort)
				}
			}
		}
		out = append(out, w)
	}
	return out, nil
}

func podMemory(pod corev1.PodSpec) resource.Quantity {
	var sum resource.Quantity
	for _, c := range pod.Containers {
		if q, ok := c.Resources.Requests[corev1.ResourceMemory]; ok {
			sum.Add(q)
		}
	}
	for _, c := range pod.InitContainers {
		if q, ok := c.Resources.Requests[corev1.ResourceMemory]; ok && q.Cmp(sum) > 0 {
			sum = q.DeepCopy()
		}
	}
	return sum
}
