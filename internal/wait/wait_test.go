package wait

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/kube"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
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

// TestWaitFetchesReadyObjectsOnce: an object seen ready is not fetched
// again while the wait goes on for the others (it only costs requests).
func TestWaitFetchesReadyObjectsOnce(t *testing.T) {
	svc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": "web", "namespace": "app"},
		"spec":     map[string]any{"type": "ClusterIP"},
	}}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		{Group: "apps", Version: "v1", Resource: "deployments"}: "DeploymentList",
		{Version: "v1", Resource: "services"}:                   "ServiceList",
	}, svc)
	var mu sync.Mutex
	gets := map[string]int{}
	dyn.PrependReactor("get", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		gets[a.GetResource().Resource]++
		if a.GetResource().Resource == "deployments" {
			// Ready from the third look on.
			return true, deployment(gets["deployments"] >= 3), nil
		}
		return false, nil, nil
	})
	w := &Waiter{Dynamic: dyn, Client: fake.NewClientset(), Mapper: newMapper(), Interval: time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	target := Target{Component: "web", Objects: []kube.Ref{
		{Version: "v1", Kind: "Service", Namespace: "app", Name: "web"},
		{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "app", Name: "web"},
	}}
	var lastEvent Event
	if err := w.Wait(ctx, []Target{target}, func(ev Event) { lastEvent = ev }); err != nil {
		t.Fatal(err)
	}
	if gets["deployments"] != 3 || gets["services"] != 1 {
		t.Errorf("GETs: %v; want the Deployment fetched until ready (3) and the Service once", gets)
	}
	if !lastEvent.Done || lastEvent.Ready != 2 || lastEvent.Total != 2 {
		t.Errorf("last event %+v, want 2 of 2 ready", lastEvent)
	}
}
