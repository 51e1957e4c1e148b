package wait

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

var (
	deployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	webRef      = kube.Ref{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "app", Name: "web"}
	svcRef      = kube.Ref{Version: "v1", Kind: "Service", Namespace: "app", Name: "web"}
)

// requests counts a fake client's requests by verb and resource.
type requests struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *requests) count(a k8stesting.Action) (bool, runtime.Object, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n[a.GetVerb()+" "+a.GetResource().Resource]++
	return false, nil, nil
}

func (r *requests) get(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[key]
}

// countWatches makes dyn's watches count in r once they are registered
// with its tracker (the default reactor's work, done here so the count
// comes after it).
func (r *requests) countWatches(dyn *dynamicfake.FakeDynamicClient) {
	dyn.PrependWatchReactor("*", func(a k8stesting.Action) (bool, watch.Interface, error) {
		var opts metav1.ListOptions
		if wa, ok := a.(k8stesting.WatchActionImpl); ok {
			opts = wa.ListOptions
		}
		wi, err := dyn.Tracker().Watch(a.GetResource(), a.GetNamespace(), opts)
		if err != nil {
			return true, nil, err
		}
		r.count(a)
		return true, wi, nil
	})
}

// watching returns once n watches of resource are registered. The fake
// tracker sends a change only to the watches registered when it is made
// and replays no delete to a later one, so a test that changes objects
// before the informer's watch is in place waits for an event that never
// comes; it fails the test after 20 s (a hang, not a timing check).
func (r *requests) watching(t *testing.T, resource string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for r.get("watch "+resource) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d watches of %s, want %d", r.get("watch "+resource), resource, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// watchWaiter serves objs (Deployments, Services, Pods) from a fake
// dynamic client that counts its requests.
func watchWaiter(objs ...runtime.Object) (*Waiter, *dynamicfake.FakeDynamicClient, *requests) {
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		deployments:                           "DeploymentList",
		{Version: "v1", Resource: "services"}: "ServiceList",
		podsResource:                          "PodList",
	}, objs...)
	reqs := &requests{n: map[string]int{}}
	dyn.PrependReactor("*", "*", reqs.count)
	reqs.countWatches(dyn)
	return &Waiter{Dynamic: dyn, Client: fake.NewClientset(), Mapper: newMapper(), Interval: time.Hour}, dyn, reqs
}

// waitAsync runs Wait on targets and hands back its progress events and
// its result.
func waitAsync(t *testing.T, w *Waiter, targets ...Target) (<-chan Event, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	events := make(chan Event, 100)
	result := make(chan error, 1)
	go func() {
		defer cancel()
		result <- w.Wait(ctx, targets, func(ev Event) { events <- ev })
	}()
	return events, result
}

// until reads events until one has a pending message containing msg; it
// fails the test when none has come in 20 s (a hang, not a timing check).
func until(t *testing.T, events <-chan Event, msg string) {
	t.Helper()
	var seen []string
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev := <-events:
			for _, p := range ev.Pending {
				if strings.Contains(p.Message, msg) {
					return
				}
				seen = append(seen, p.Message)
			}
		case <-timeout:
			t.Fatalf("no progress event says %q; they said %q", msg, seen)
		}
	}
}

// noWatchesLeft fails unless every informer the waits started has ended.
func noWatchesLeft(t *testing.T, w *Waiter) {
	t.Helper()
	done := make(chan struct{})
	go func() { w.watches.running.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("watches still running after the wait ended")
	}
	if len(w.watches.m) != 0 {
		t.Errorf("%d informers still registered", len(w.watches.m))
	}
}

func updateDeployment(t *testing.T, dyn *dynamicfake.FakeDynamicClient, u *unstructured.Unstructured) {
	t.Helper()
	if err := dyn.Tracker().Update(deployments, u, "app"); err != nil {
		t.Fatal(err)
	}
}

// TestWaitFollowsTheWatch: readiness comes from the watch's events, with
// no GET and one list and one watch per kind and namespace, however many
// waits share it; the watches end with the waits.
func TestWaitFollowsTheWatch(t *testing.T) {
	svc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": "web", "namespace": "app"},
		"spec":     map[string]any{"type": "ClusterIP"},
	}}
	w, dyn, reqs := watchWaiter(svc, deployment(false))
	events, result := waitAsync(t, w, Target{Component: "web", Objects: []kube.Ref{svcRef, webRef}})
	events2, result2 := waitAsync(t, w, Target{Component: "other", Objects: []kube.Ref{webRef}})
	until(t, events, "Updated: 0/1")
	until(t, events2, "Updated: 0/1")
	reqs.watching(t, "deployments", 1)
	updateDeployment(t, dyn, deployment(true))
	for _, r := range []<-chan error{result, result2} {
		if err := <-r; err != nil {
			t.Fatal(err)
		}
	}
	for key, want := range map[string]int{"get deployments": 0, "get services": 0, "list deployments": 1, "watch deployments": 1, "list services": 1} {
		if got := reqs.get(key); got != want {
			t.Errorf("%s: %d requests, want %d", key, got, want)
		}
	}
	noWatchesLeft(t, w)
}

// TestWaitResumesADroppedWatch: a watch that ends (an API server restart,
// a timeout) is resumed from where it was, without a new list, and the
// wait neither fails nor misses what comes after.
func TestWaitResumesADroppedWatch(t *testing.T) {
	w, dyn, reqs := watchWaiter(deployment(false))
	first := watch.NewRaceFreeFake()
	resumed := make(chan string, 1)
	calls := 0
	dyn.PrependWatchReactor("deployments", func(a k8stesting.Action) (bool, watch.Interface, error) {
		calls++
		if calls == 1 {
			return true, first, nil
		}
		resumed <- a.(k8stesting.WatchActionImpl).WatchRestrictions.ResourceVersion
		return false, nil, nil
	})
	events, result := waitAsync(t, w, Target{Component: "web", Objects: []kube.Ref{webRef}})
	until(t, events, "Updated: 0/1")
	// The watch delivers a change, then ends (a watch that ends at once
	// with nothing is taken as an error and lists again).
	seen := deployment(false)
	seen.SetResourceVersion("7")
	first.Modify(seen)
	first.Stop()
	if rv := <-resumed; rv != "7" {
		t.Errorf("the watch resumed from resourceVersion %q, want 7", rv)
	}
	reqs.watching(t, "deployments", 1)
	updateDeployment(t, dyn, deployment(true))
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	if got := reqs.get("list deployments"); got != 1 {
		t.Errorf("%d lists, want 1: a dropped watch resumes, it does not list again", got)
	}
	noWatchesLeft(t, w)
}

// TestWaitRelistsOn410Gone: when the watch's resourceVersion is too old
// (410 Gone), the informer lists again and the wait sees what changed
// while it was not watching.
func TestWaitRelistsOn410Gone(t *testing.T) {
	w, dyn, reqs := watchWaiter(deployment(false))
	first := watch.NewRaceFreeFake()
	calls := 0
	dyn.PrependWatchReactor("deployments", func(k8stesting.Action) (bool, watch.Interface, error) {
		calls++
		if calls == 1 {
			return true, first, nil
		}
		return false, nil, nil
	})
	events, result := waitAsync(t, w, Target{Component: "web", Objects: []kube.Ref{webRef}})
	until(t, events, "Updated: 0/1")
	updateDeployment(t, dyn, deployment(true)) // not seen by the first watch
	gone := apierrors.NewResourceExpired("too old resource version")
	first.Error(&gone.ErrStatus)
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	if got := reqs.get("list deployments"); got != 2 {
		t.Errorf("%d lists, want 2: 410 Gone lists again", got)
	}
	noWatchesLeft(t, w)
}

// TestWaitSeesDeleteAndRecreate: an object deleted while waited on is
// "not created yet" until it is back, and judged as it comes back.
func TestWaitSeesDeleteAndRecreate(t *testing.T) {
	w, dyn, reqs := watchWaiter(deployment(false))
	events, result := waitAsync(t, w, Target{Component: "web", Objects: []kube.Ref{webRef}})
	until(t, events, "Updated: 0/1")
	reqs.watching(t, "deployments", 1)
	if err := dyn.Tracker().Delete(deployments, "app", "web"); err != nil {
		t.Fatal(err)
	}
	until(t, events, "not created yet")
	if err := dyn.Tracker().Create(deployments, deployment(true), "app"); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	noWatchesLeft(t, w)
}

// TestWaitJudgesWhatARelistBrings: an object deleted and created again
// under its name while the watch was down (an API server restart) comes
// back from the relist as one object changed, not one deleted and one
// added; the wait judges the new one (its UID, its spec), not the one it
// had cached. (Controllers that keep state per object, unlike a wait, get
// this wrong: see TestFaultRepairAfterOutage.)
func TestWaitJudgesWhatARelistBrings(t *testing.T) {
	old := deployment(false)
	old.SetUID("old")
	w, dyn, reqs := watchWaiter(old)
	first := watch.NewRaceFreeFake()
	calls := 0
	dyn.PrependWatchReactor("deployments", func(k8stesting.Action) (bool, watch.Interface, error) {
		calls++
		if calls == 1 {
			return true, first, nil
		}
		return false, nil, nil
	})
	events, result := waitAsync(t, w, Target{Component: "web", Objects: []kube.Ref{webRef}})
	until(t, events, "Updated: 0/1")
	if err := dyn.Tracker().Delete(deployments, "app", "web"); err != nil {
		t.Fatal(err)
	}
	recreated := deployment(false)
	recreated.SetUID("new")
	if err := unstructured.SetNestedField(recreated.Object, int64(2), "spec", "replicas"); err != nil {
		t.Fatal(err)
	}
	if err := dyn.Tracker().Create(deployments, recreated, "app"); err != nil {
		t.Fatal(err)
	}
	gone := apierrors.NewResourceExpired("too old resource version")
	first.Error(&gone.ErrStatus)
	until(t, events, "Replicas: 1/2")
	reqs.watching(t, "deployments", 1)
	w.watches.mu.Lock()
	inf := w.watches.m[watchKey{gvr: deployments, namespace: "app"}]
	w.watches.mu.Unlock()
	u, _ := inf.object("app", "web", schema.GroupVersionKind{})
	if u == nil || u.GetUID() != "new" {
		t.Fatalf("cached after the relist: %v, want the object with UID new", u)
	}
	updateDeployment(t, dyn, deployment(true))
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	noWatchesLeft(t, w)
}

// TestWaitOnCustomResourcesWithoutStatus: a custom resource whose CRD
// declares no status subresource is ready as it is (Traefik's
// Middleware); one whose CRD declares one waits for its controller's
// status, seen from the watch.
func TestWaitOnCustomResourcesWithoutStatus(t *testing.T) {
	mwRef := kube.Ref{Group: "traefik.io", Version: "v1alpha1", Kind: "Middleware", Namespace: "app", Name: "mw"}
	widgets := schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}
	m := meta.NewDefaultRESTMapper(nil)
	for _, r := range []struct {
		ref kube.Ref
		gvr schema.GroupVersionResource
	}{{mwRef, schema.GroupVersionResource{Group: "traefik.io", Version: "v1alpha1", Resource: "middlewares"}}, {widgetRef, widgets}} {
		m.AddSpecific(schema.GroupVersionKind{Group: r.ref.Group, Version: r.ref.Version, Kind: r.ref.Kind}, r.gvr, r.gvr, meta.RESTScopeNamespace)
	}
	crd := func(name string, status bool) *unstructured.Unstructured {
		v := map[string]any{"name": "v1", "served": true, "storage": true}
		if status {
			v["subresources"] = map[string]any{"status": map[string]any{}}
		}
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
			"metadata": map[string]any{"name": name}, "spec": map[string]any{"versions": []any{v}},
		}}
	}
	mw := object(mwRef, 1, map[string]any{"stripPrefix": map[string]any{}}, nil)
	widget := object(widgetRef, 1, map[string]any{"size": int64(1)}, nil)
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		kube.CRDs: "CustomResourceDefinitionList",
		{Group: "traefik.io", Version: "v1alpha1", Resource: "middlewares"}: "MiddlewareList",
		widgets: "WidgetList",
	}, mw, widget, crd("middlewares.traefik.io", false), crd("widgets.example.com", true))
	reqs := &requests{n: map[string]int{}}
	reqs.countWatches(dyn)
	w := &Waiter{Dynamic: dyn, Client: fake.NewClientset(), Mapper: staticMapper{m}, Interval: time.Hour}
	events, result := waitAsync(t, w, Target{Component: "c", Objects: []kube.Ref{mwRef, widgetRef}})
	for ev := range events {
		if ev.Ready == 1 && len(ev.Pending) == 1 && ev.Pending[0].Object == widgetRef && ev.Pending[0].Message == notObserved {
			break
		}
	}
	reqs.watching(t, "widgets", 1)
	widget.Object["status"] = map[string]any{"observedGeneration": int64(1)}
	if err := dyn.Tracker().Update(widgets, widget, "app"); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	noWatchesLeft(t, w)
}

// TestWaitWatchesPodsForTrouble: a pending workload's pods come from a
// watch of its namespace, and a crash loop there fails the wait once the
// grace period is over.
func TestWaitWatchesPodsForTrouble(t *testing.T) {
	pod, err := runtime.DefaultUnstructuredConverter.ToUnstructured(crashingPod("web-1", "web"))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: pod}
	u.SetAPIVersion("v1")
	u.SetKind("Pod")
	w, _, reqs := watchWaiter(deployment(false), u)
	w.Interval, w.FailGrace = time.Millisecond, time.Nanosecond
	_, result := waitAsync(t, w, Target{Component: "web", Objects: []kube.Ref{webRef}})
	err = <-result
	if err == nil || !strings.Contains(err.Error(), "CrashLoopBackOff") {
		t.Fatalf("got %v, want the crash loop", err)
	}
	if got := reqs.get("watch pods"); got != 1 {
		t.Errorf("%d pod watches, want 1", got)
	}
	noWatchesLeft(t, w)
}
