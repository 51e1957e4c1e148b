package bootstrap

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/release"
	"github.com/slipway-dev/slipway/internal/ui"
)

// Waiting for the CRDs another component's controller creates.
//
// Some charts render objects of kinds that no chart installs: the Flux
// Operator creates the GitRepository and Kustomization CRDs only once it
// has reconciled the FluxInstance, so flux-repo applied right after
// flux-instance failed with Helm's "resource mapping not found" (issue
// 15). Before applying a release, the installer renders it (client-only),
// and waits, bounded by the up deadline, until the API server serves
// every custom kind in it that the chart does not define itself.

// crdPoll is how often the installer asks again whether a CRD is served.
const crdPoll = 500 * time.Millisecond

// awaitCRDs returns once every custom kind rel renders is served, or an
// outcome.Timeout error at the deadline.
func (in *installer) awaitCRDs(ctx context.Context, rel plan.Release) error {
	if in.d.CRDs == nil {
		return nil
	}
	manifest, ok := in.p.rendered[rel.Component] // the same chart and values
	if !ok {
		res, err := release.Render(ctx, release.Spec{Name: rel.Name, Namespace: rel.Namespace, ChartPath: in.p.chartPath(rel.Component), Values: rel.Values}, "")
		if err != nil {
			return nil // the install reports it, in Helm's words
		}
		manifest = res.Manifest
	}
	kinds := customKinds(manifest, rel.Namespace)
	if len(kinds) == 0 {
		return nil
	}
	ctx, cancel := context.WithDeadline(ctx, in.deadline)
	defer cancel()
	poll := in.crdPoll
	if poll == 0 {
		poll = crdPoll
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	var missing []string
	for {
		got, err := in.d.CRDs.Unserved(ctx, kinds)
		if err == nil {
			if len(got) == 0 {
				return nil
			}
			if !slices.Equal(got, missing) {
				in.ui.Update(rel.Component, ui.StateInstalling, "waiting for CRD "+strings.Join(got, ", "), nil)
			}
			missing = got
		}
		select {
		case <-ctx.Done():
			if len(missing) == 0 && err != nil {
				return fmt.Errorf("%s: checking its CRDs: %w", rel.Component, err)
			}
			return outcome.Timeout(fmt.Errorf("%s: the API server does not serve CRD %s yet; the controller that creates it (a dependency of %s) may not be running: look further with kubectl get crd",
				rel.Component, strings.Join(missing, ", "), rel.Component))
		case <-tick.C:
		}
	}
}

// customKinds lists one object per custom kind in manifest (a kind of a
// group with a dot that no CRD in the same manifest defines), sorted.
func customKinds(manifest, ns string) []kube.Ref {
	defined := map[schema.GroupKind]bool{}
	for _, doc := range strings.Split(manifest, "\n---") {
		var crd struct {
			Kind string `json:"kind"`
			Spec struct {
				Group string `json:"group"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
			} `json:"spec"`
		}
		if yaml.Unmarshal([]byte(doc), &crd) == nil && crd.Kind == "CustomResourceDefinition" {
			defined[schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}] = true
		}
	}
	seen := map[schema.GroupVersionKind]bool{}
	var out []kube.Ref
	for _, o := range release.ParseObjects(manifest, ns) {
		gvk := schema.GroupVersionKind{Group: o.Group, Version: o.Version, Kind: o.Kind}
		if !strings.Contains(o.Group, ".") || o.Group == "apiextensions.k8s.io" || defined[gvk.GroupKind()] || seen[gvk] {
			continue
		}
		seen[gvk] = true
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind+out[i].Group < out[j].Kind+out[j].Group })
	return out
}

// discoveryCRDs implements CRDs over the API server's discovery: a kind
// appears there once its CRD is Established.
type discoveryCRDs struct{ client discovery.DiscoveryInterface }

// Unserved reads each group version of kinds at the same time: one after
// the other they were a round trip each before every install (Traefik's
// chart renders kinds of two groups with a dot; issue 18).
func (d discoveryCRDs) Unserved(ctx context.Context, kinds []kube.Ref) ([]string, error) {
	served := map[string][]string{} // group/version → kinds
	for _, k := range kinds {
		served[schema.GroupVersion{Group: k.Group, Version: k.Version}.String()] = nil
	}
	var mu sync.Mutex
	g, _ := errgroup.WithContext(ctx)
	for gv := range served {
		g.Go(func() error {
			rl, err := d.client.ServerResourcesForGroupVersion(gv)
			if err != nil && !apierrors.IsNotFound(err) {
				return err
			}
			list := []string{}
			if rl != nil {
				for _, r := range rl.APIResources {
					if !strings.Contains(r.Name, "/") {
						list = append(list, r.Kind)
					}
				}
			}
			mu.Lock()
			served[gv] = list
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var missing []string
	for _, k := range kinds {
		gv := schema.GroupVersion{Group: k.Group, Version: k.Version}
		if !slices.Contains(served[gv.String()], k.Kind) {
			plural, _ := meta.UnsafeGuessKindToResource(gv.WithKind(k.Kind))
			missing = append(missing, plural.Resource+"."+k.Group)
		}
	}
	sort.Strings(missing)
	return missing, nil
}
