package wait

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// staticMapper knows Deployments and Services; Reset is a no-op.
type staticMapper struct{ meta.RESTMapper }

func (staticMapper) Reset() {}

func newMapper() staticMapper {
	m := meta.NewDefaultRESTMapper(nil)
	m.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "Service"}, meta.RESTScopeNamespace)
	return staticMapper{m}
}

func deployment(ready bool) *unstructured.Unstructured {
	status := map[string]any{"observedGeneration": int64(1), "replicas": int64(1)}
	if ready {
		status["updatedReplicas"], status["readyReplicas"], status["availableReplicas"] = int64(1), int64(1), int64(1)
		status["conditions"] = []any{
			map[string]any{"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
			map[string]any{"type": "Available", "status": "True"},
		}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "app", "generation": int64(1)},
		"spec":     map[string]any{"replicas": int64(1), "selector": map[string]any{"matchLabels": map[string]any{"app": "web"}}},
		"status":   status,
	}}
}
