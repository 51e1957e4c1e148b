package wait

import (
	"context"
	"strings"
	"sync"

	"github.com/slipway-dev/slipway/internal/kube"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// Whether a custom resource's CRD declares a status subresource decides
// how its readiness is read (see custom.go), and costs a GET of the CRD.
// On a cluster 100 ms away those GETs were most of `status`'s and a no-op
// `up`'s round trips (issue 18): every networking.k8s.io and
// rbac.authorization.k8s.io kind was looked up as if it were a CRD (the
// group has a dot), one object after the other, the same CRD by several
// objects at once. So:
//
//   - the API groups Kubernetes itself serves are never looked up;
//   - a lookup is made once per resource, shared by every caller that
//     asks while it is in flight, and remembered (a CRD's subresources do
//     not change while a command runs; a failed read is not remembered);
//   - lookupStatusSubresources starts the lookups of a whole target at
//     once, alongside its reads, not one verdict after the other.

// builtinGroups are served by the API server itself, not by CRDs: the
// groups of client-go's scheme (every built-in kind) and the two the
// API server adds that the scheme leaves out.
func builtinGroup(group string) bool {
	switch group {
	case "apiextensions.k8s.io", "apiregistration.k8s.io":
		return true
	}
	return scheme.Scheme.IsGroupRegistered(group)
}

// mayBeCustom says whether gvr could be served by a CRD whose status
// subresource matters: a CRD's group always has a dot, and the Argo CD
// and Flux kinds slipway reads by their own rules never ask (customVerdict).
func mayBeCustom(gvr schema.GroupVersionResource) bool {
	if !strings.Contains(gvr.Group, ".") || builtinGroup(gvr.Group) || fluxGroups[gvr.Group] {
		return false
	}
	return !(gvr.Group == "argoproj.io" && gvr.Resource == "applications")
}

// statusSubLookup is one CRD read, shared while it is in flight.
type statusSubLookup struct {
	done chan struct{}
	has  bool
}

// hasStatusSubresource says whether gvr is a custom resource whose CRD
// declares a status subresource at gvr's version. Built-in kinds, and
// CRDs slipway may not read, answer false: kstatus decides for them.
func (w *Waiter) hasStatusSubresource(ctx context.Context, gvr schema.GroupVersionResource) bool {
	if !strings.Contains(gvr.Group, ".") || builtinGroup(gvr.Group) {
		return false // a CRD's group always has a dot
	}
	l := &statusSubLookup{done: make(chan struct{})}
	if prev, loaded := w.statusSub.LoadOrStore(gvr, l); loaded {
		l = prev.(*statusSubLookup)
		select {
		case <-l.done:
			return l.has
		case <-ctx.Done():
			return false
		}
	}
	has, known := w.readStatusSubresource(ctx, gvr)
	l.has = has
	if !known {
		w.statusSub.Delete(gvr) // the next caller asks again
	}
	close(l.done)
	return has
}

// readStatusSubresource reads gvr's CRD; known is false when the answer
// is not worth remembering (the read failed for another reason than
// the CRD not existing).
func (w *Waiter) readStatusSubresource(ctx context.Context, gvr schema.GroupVersionResource) (has, known bool) {
	crd, err := w.Dynamic.Resource(kube.CRDs).Get(ctx, gvr.Resource+"."+gvr.Group, metav1.GetOptions{})
	if err != nil {
		return false, apierrors.IsNotFound(err) // not found: served another way (an aggregated API)
	}
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for _, item := range versions {
		v, _ := item.(map[string]any)
		if name, _, _ := unstructured.NestedString(v, "name"); name != gvr.Version {
			continue
		}
		_, has, _ = unstructured.NestedMap(v, "subresources", "status")
	}
	return has, true
}

// lookupStatusSubresources reads the CRDs of gvrs that may need one, all
// at once, and returns when they are known: the verdicts that follow find
// them remembered.
func (w *Waiter) lookupStatusSubresources(ctx context.Context, gvrs []schema.GroupVersionResource) {
	var wg sync.WaitGroup
	seen := map[schema.GroupVersionResource]bool{}
	for _, gvr := range gvrs {
		if seen[gvr] || !mayBeCustom(gvr) {
			continue
		}
		seen[gvr] = true
		wg.Go(func() { w.hasStatusSubresource(ctx, gvr) })
	}
	wg.Wait()
}
