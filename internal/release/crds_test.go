package release

import (
	"context"
	"testing"

	"github.com/slipway-dev/slipway/internal/kube"
	helmkube "helm.sh/helm/v4/pkg/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
)

func crdWith(name string, conditions map[string]string) *unstructured.Unstructured {
	var cs []any
	for t, s := range conditions {
		cs = append(cs, map[string]any{"type": t, "status": s})
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": name},
		"status":   map[string]any{"conditions": cs},
	}}
}

// TestNudgeStalledCRDs: only a CRD whose names are accepted and that is
// not Established is updated, twice (the annotation set, then removed),
// and it is left without the annotation.
func TestNudgeStalledCRDs(t *testing.T) {
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{kube.CRDs: "CustomResourceDefinitionList"},
		crdWith("stalled.example.com", map[string]string{"NamesAccepted": "True", "Established": "False"}),
		crdWith("served.example.com", map[string]string{"NamesAccepted": "True", "Established": "True"}),
		crdWith("conflict.example.com", map[string]string{"NamesAccepted": "False", "Established": "False"}),
		crdWith("new.example.com", nil),
	)
	patches := map[string]int{}
	dyn.PrependReactor("patch", "customresourcedefinitions", func(a k8stesting.Action) (bool, runtime.Object, error) {
		patches[a.(k8stesting.PatchAction).GetName()]++
		return false, nil, nil
	})
	m := &Manager{dynamic: func() (dynamic.Interface, error) { return dyn, nil }}
	var crds helmkube.ResourceList
	for _, n := range []string{"stalled.example.com", "served.example.com", "conflict.example.com", "new.example.com"} {
		crds = append(crds, &resource.Info{Name: n})
	}
	nudged, err := m.nudgeStalledCRDs(context.Background(), crds)
	if err != nil {
		t.Fatal(err)
	}
	if len(nudged) != 1 || nudged[0] != "stalled.example.com" {
		t.Errorf("nudged %v, want the stalled CRD alone", nudged)
	}
	if len(patches) != 1 || patches["stalled.example.com"] != 2 {
		t.Errorf("patches %v, want two of the stalled CRD", patches)
	}
	u, err := dyn.Resource(kube.CRDs).Get(context.Background(), "stalled.example.com", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := u.GetAnnotations()[nudgeAnnotation]; ok {
		t.Errorf("annotations %v: the nudge's annotation is left behind", u.GetAnnotations())
	}
}
