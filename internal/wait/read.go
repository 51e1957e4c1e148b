package wait

import (
	"context"
	"sync"

	"github.com/slipway-dev/slipway/internal/kube"
	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// read is one object as the API server has it now.
type read struct {
	obj     kube.Ref // the object, with the namespace its scope gives it
	gvr     schema.GroupVersionResource
	u       *unstructured.Unstructured // nil: it does not exist
	noMatch bool                       // its kind is not served (yet)
}

// listBatch is the most objects a list may return; a longer list falls
// back to one GET per object, so a namespace full of unrelated objects
// costs requests, not memory.
const listBatch = 500

// readAll reads objs, all requests at once up to checkConcurrency. The
// objects of one kind in one namespace are read by a single list when
// there are several, since charts render many of a kind (Argo CD: a dozen
// ConfigMaps, Services and Roles), except for:
//   - Secrets, whose list would carry every Helm release revision of the
//     namespace (each the whole gzipped chart and manifest);
//   - cluster-scoped kinds (a cluster-wide list of CRDs or ClusterRoles
//     is large and needs permissions that a GET does not).
//
// A list the caller may not make (403) falls back to GETs too, so the
// permissions a command needs do not grow.
func (w *Waiter) readAll(ctx context.Context, objs []kube.Ref) ([]read, error) {
	out := make([]read, len(objs))
	type group struct {
		ri  dynamic.ResourceInterface
		gvk schema.GroupVersionKind
		idx []int
	}
	groups := map[schema.GroupVersionResource]map[string]*group{}
	var singles []int
	for i, o := range objs {
		ri, obj, gvr, err := w.mapping(o)
		if meta.IsNoMatchError(err) {
			out[i] = read{obj: o, noMatch: true}
			continue
		}
		if err != nil {
			return nil, err
		}
		out[i] = read{obj: *obj, gvr: gvr}
		if obj.Namespace == "" || gvr.Group == "" && gvr.Resource == "secrets" {
			singles = append(singles, i)
			continue
		}
		if groups[gvr] == nil {
			groups[gvr] = map[string]*group{}
		}
		g := groups[gvr][obj.Namespace]
		if g == nil {
			g = &group{ri: ri, gvk: schema.GroupVersionKind{Group: o.Group, Version: gvr.Version, Kind: o.Kind}}
			groups[gvr][obj.Namespace] = g
		}
		g.idx = append(g.idx, i)
	}
	var mu sync.Mutex // guards singles appended by lists that fell back
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(checkConcurrency)
	// The CRDs the verdicts will ask about are read with the objects,
	// not after them.
	gvrs := make([]schema.GroupVersionResource, 0, len(out))
	for _, r := range out {
		if !r.noMatch {
			gvrs = append(gvrs, r.gvr)
		}
	}
	crds := make(chan struct{})
	go func() {
		defer close(crds)
		w.lookupStatusSubresources(ctx, gvrs)
	}()
	defer func() { <-crds }()
	get := func(ctx context.Context, i int) error {
		ri, _, _, err := w.mapping(objs[i])
		if err != nil {
			return err
		}
		u, err := ri.Get(ctx, objs[i].Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		out[i].u = u
		return nil
	}
	var fallback []int
	for _, byNS := range groups {
		for _, g := range byNS {
			if len(g.idx) == 1 {
				singles = append(singles, g.idx[0])
				continue
			}
			eg.Go(func() error {
				list, err := g.ri.List(ectx, metav1.ListOptions{Limit: listBatch})
				if apierrors.IsForbidden(err) || err == nil && list.GetContinue() != "" {
					mu.Lock()
					fallback = append(fallback, g.idx...)
					mu.Unlock()
					return nil
				}
				if err != nil {
					return err
				}
				byName := make(map[string]*unstructured.Unstructured, len(list.Items))
				for k := range list.Items {
					item := &list.Items[k]
					// A list's items may come without kind and
					// apiVersion; kstatus decides by kind.
					item.SetGroupVersionKind(g.gvk)
					byName[item.GetName()] = item
				}
				for _, i := range g.idx {
					out[i].u = byName[objs[i].Name]
				}
				return nil
			})
		}
	}
	for _, i := range singles {
		eg.Go(func() error { return get(ectx, i) })
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	if len(fallback) > 0 {
		eg, ectx := errgroup.WithContext(ctx)
		eg.SetLimit(checkConcurrency)
		for _, i := range fallback {
			eg.Go(func() error { return get(ectx, i) })
		}
		if err := eg.Wait(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
