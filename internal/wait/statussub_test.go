package wait

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/slipway-dev/slipway/internal/kube"
)

// countCRDGets counts the CRD reads w's client makes; fail, while set,
// makes them fail with a server error.
func countCRDGets(w *Waiter, fail *atomic.Bool) *atomic.Int32 {
	var n atomic.Int32
	w.Dynamic.(*dynamicfake.FakeDynamicClient).PrependReactor("get", "customresourcedefinitions", func(k8stesting.Action) (bool, runtime.Object, error) {
		n.Add(1)
		if fail != nil && fail.Load() {
			return true, nil, apierrors.NewInternalError(context.DeadlineExceeded)
		}
		return false, nil, nil
	})
	return &n
}

// TestStatusSubresourceIsReadOncePerResource: many objects of one custom
// kind, checked at once and again, read its CRD once (issue 18: every
// object asked, one verdict after the other).
func TestStatusSubresourceIsReadOncePerResource(t *testing.T) {
	var objs []runtime.Object
	var refs []kube.Ref
	for _, name := range []string{"a", "b", "c", "d", "e", "f"} {
		ref := widgetRef
		ref.Name = name
		refs = append(refs, ref)
		objs = append(objs, object(ref, 1, nil, nil))
	}
	w := customWaiter(objs...)
	n := countCRDGets(w, nil)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			sts, err := w.Check(context.Background(), Target{Component: "app", Objects: refs})
			if err != nil {
				t.Error(err)
				return
			}
			for _, s := range sts {
				// The CRD declares a status subresource: no status yet
				// is not ready, which only its CRD can tell.
				if s.State != Progressing || s.Message != notObserved {
					t.Errorf("%s: %s %q, want progressing %q", s.Object, s.State, s.Message, notObserved)
				}
			}
		})
	}
	wg.Wait()
	if got := n.Load(); got != 1 {
		t.Errorf("%d CRD reads, want 1", got)
	}
}

// TestStatusSubresourceSkipsBuiltinGroups: the groups Kubernetes serves
// itself are never looked up, dot or no dot; a group that only looks
// built in (Gateway API's CRDs live under networking.k8s.io's domain) is.
func TestStatusSubresourceSkipsBuiltinGroups(t *testing.T) {
	w := customWaiter()
	n := countCRDGets(w, nil)
	for _, gvr := range []schema.GroupVersionResource{
		{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"},
		{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"},
		{Group: "apps", Version: "v1", Resource: "deployments"},
		{Version: "v1", Resource: "services"},
	} {
		if w.hasStatusSubresource(context.Background(), gvr) {
			t.Errorf("%s: status subresource, want built in", gvr)
		}
	}
	if got := n.Load(); got != 0 {
		t.Errorf("%d CRD reads for built-in groups, want 0", got)
	}
	w.hasStatusSubresource(context.Background(), schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"})
	if got := n.Load(); got != 1 {
		t.Errorf("%d CRD reads for gateway.networking.k8s.io, want 1", got)
	}
}

// TestStatusSubresourceFailedReadIsNotRemembered: a read that failed (not
// a 404) is asked again, so a blip does not decide the rest of a wait.
func TestStatusSubresourceFailedReadIsNotRemembered(t *testing.T) {
	w := customWaiter()
	var fail atomic.Bool
	fail.Store(true)
	n := countCRDGets(w, &fail)
	gvr := schema.GroupVersionResource{Group: widgetRef.Group, Version: widgetRef.Version, Resource: "widgets"}
	if w.hasStatusSubresource(context.Background(), gvr) {
		t.Fatal("a failed read answered true")
	}
	fail.Store(false)
	if !w.hasStatusSubresource(context.Background(), gvr) {
		t.Error("after the failed read: false, want the CRD's true")
	}
	w.hasStatusSubresource(context.Background(), gvr)
	if got := n.Load(); got != 2 {
		t.Errorf("%d CRD reads, want 2 (the failed one, then one remembered)", got)
	}
}
