package wait

import (
	"context"
	"sync"
	"testing"

	"github.com/slipway-dev/slipway/internal/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func plain(apiVersion, kind, ns, name string) *unstructured.Unstructured {
	md := map[string]any{"name": name}
	if ns != "" {
		md["namespace"] = ns
	}
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md}}
}

// checkFixture is a chart's worth of objects: three Services (one not
// created yet) and two ConfigMaps in one namespace, a Secret, a
// ClusterRole and a Deployment.
func checkFixture(t *testing.T) (*Waiter, Target, *requestLog) {
	t.Helper()
	m := meta.NewDefaultRESTMapper(nil)
	m.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, meta.RESTScopeNamespace)
	for _, k := range []string{"Service", "ConfigMap", "Secret"} {
		m.Add(schema.GroupVersionKind{Version: "v1", Kind: k}, meta.RESTScopeNamespace)
	}
	m.Add(schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}, meta.RESTScopeRoot)
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		{Group: "apps", Version: "v1", Resource: "deployments"}:                       "DeploymentList",
		{Version: "v1", Resource: "services"}:                                         "ServiceList",
		{Version: "v1", Resource: "configmaps"}:                                       "ConfigMapList",
		{Version: "v1", Resource: "secrets"}:                                          "SecretList",
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}: "ClusterRoleList",
	},
		plain("v1", "Service", "app", "a"), plain("v1", "Service", "app", "b"),
		plain("v1", "Service", "other", "c"), // same name elsewhere: not ours
		plain("v1", "ConfigMap", "app", "x"), plain("v1", "ConfigMap", "app", "y"),
		plain("v1", "Secret", "app", "s"), plain("rbac.authorization.k8s.io/v1", "ClusterRole", "", "r"),
		deployment(true))
	log := &requestLog{n: map[string]int{}}
	dyn.PrependReactor("*", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		log.add(a.GetVerb() + " " + a.GetResource().Resource)
		return false, nil, nil
	})
	w := &Waiter{Dynamic: dyn, Client: fake.NewClientset(), Mapper: staticMapper{m}}
	target := Target{Component: "app", Objects: []kube.Ref{
		{Version: "v1", Kind: "Service", Namespace: "app", Name: "a"},
		{Version: "v1", Kind: "Service", Namespace: "app", Name: "b"},
		{Version: "v1", Kind: "Service", Namespace: "app", Name: "c"},
		{Version: "v1", Kind: "ConfigMap", Namespace: "app", Name: "x"},
		{Version: "v1", Kind: "ConfigMap", Namespace: "app", Name: "y"},
		{Version: "v1", Kind: "Secret", Namespace: "app", Name: "s"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole", Namespace: "app", Name: "r"},
		{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "app", Name: "web"},
	}}
	return w, target, log
}

type requestLog struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *requestLog) add(k string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n[k]++
}

func wantCheck(t *testing.T, sts []ResourceStatus) {
	t.Helper()
	got := map[string]string{}
	for _, s := range sts {
		got[s.Object.String()] = string(s.State) + " " + s.Message
	}
	want := map[string]string{
		"Service app/a": "ready ", "Service app/b": "ready ", "Service app/c": "progressing not created yet",
		"ConfigMap app/x": "ready ", "ConfigMap app/y": "ready ", "Secret app/s": "ready ",
		"ClusterRole r": "ready ", "Deployment app/web": "ready ",
	}
	if len(got) != len(want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}

// TestCheckListsAKindOnce: a kind with several objects in a namespace is
// read by one list, not a GET each (issue 18: one GET after the other made
// `status` take 9.5 s at 100 ms RTT); Secrets (whose list carries every
// Helm release) and cluster-scoped kinds are still read one by one.
func TestCheckListsAKindOnce(t *testing.T) {
	w, target, log := checkFixture(t)
	sts, err := w.Check(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	wantCheck(t, sts)
	// No CRD is asked for: rbac.authorization.k8s.io is built in
	// (statussub.go).
	want := map[string]int{"list services": 1, "list configmaps": 1, "get secrets": 1, "get clusterroles": 1, "get deployments": 1}
	if len(log.n) != len(want) {
		t.Errorf("requests %v, want %v", log.n, want)
	}
	for k, v := range want {
		if log.n[k] != v {
			t.Errorf("%s: %d requests, want %d (all: %v)", k, log.n[k], v, log.n)
		}
	}
}

// TestCheckFallsBackToGetsWhenListIsForbidden: a user allowed only `get`
// still gets the same answer.
func TestCheckFallsBackToGetsWhenListIsForbidden(t *testing.T) {
	w, target, log := checkFixture(t)
	w.Dynamic.(*dynamicfake.FakeDynamicClient).PrependReactor("list", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(a.GetResource().GroupResource(), "", nil)
	})
	sts, err := w.Check(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	wantCheck(t, sts)
	if log.n["get services"] != 3 || log.n["get configmaps"] != 2 {
		t.Errorf("requests %v, want a GET of each Service and ConfigMap after the forbidden lists", log.n)
	}
}
