package bootstrap

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/charts"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/plan"
)

// fakeCRDs reports the kinds asked about as unserved for the first
// `missing` calls, then as served.
type fakeCRDs struct {
	c       *calls
	mu      sync.Mutex
	missing int
	asked   []kube.Ref
}

func (f *fakeCRDs) Unserved(_ context.Context, kinds []kube.Ref) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = kinds
	if f.missing == 0 {
		return nil, nil
	}
	f.missing--
	f.c.add("crds unserved")
	return []string{"gitrepositories.source.toolkit.fluxcd.io", "kustomizations.kustomize.toolkit.fluxcd.io"}, nil
}

// fluxWiring is an install test of the embedded gitops-wiring chart for
// Flux, which renders a GitRepository and a Kustomization.
func fluxWiring(t *testing.T, crds *fakeCRDs) *installTest {
	it := newInstallTest(t)
	dst := filepath.Join(t.TempDir(), "gitops-wiring")
	if err := os.CopyFS(dst, os.DirFS("../../charts/gitops-wiring")); err != nil {
		t.Fatal(err)
	}
	crds.c = it.c
	it.in.d.CRDs = crds
	it.in.crdPoll = time.Millisecond
	it.in.p.Charts["flux-repo"] = Chart{Resolved: charts.Resolved{Name: "gitops-wiring", Version: "1.0.0"}, Fetched: charts.Fetched{Path: dst}}
	it.rel = plan.Release{Component: "flux-repo", Namespace: "flux-system", Name: "flux-repo", Chart: plan.Chart{Name: "gitops-wiring", Version: "1.0.0"},
		Values: map[string]any{"agent": "flux", "repo": map[string]any{"url": "http://git.example/r.git", "path": "apps"}}}
	return it
}

// TestInstallWaitsForCRDs: a chart whose kinds are not served yet is
// applied only once they are, and the progress says which CRD it waits for.
func TestInstallWaitsForCRDs(t *testing.T) {
	crds := &fakeCRDs{missing: 2}
	it := fluxWiring(t, crds)
	if _, err := it.run(t); err != nil {
		t.Fatal(err)
	}
	// The CRD wait runs while the namespace is made: only the order of
	// the wait (after the apply) is fixed.
	calls := strings.Split(it.c.String(), "; ")
	slices.Sort(calls[:len(calls)-1])
	if got, want := strings.Join(calls, "; "), "crds unserved; crds unserved; namespace flux-system; wait flux-repo (2 objects)"; got != want {
		t.Errorf("calls: %s\nwant (the first three in any order):  %s", it.c, want)
	}
	if len(crds.asked) != 2 || crds.asked[0].Kind != "GitRepository" || crds.asked[1].Kind != "Kustomization" {
		t.Errorf("asked about %v, want the GitRepository and Kustomization kinds", crds.asked)
	}
	if want := "flux-repo: installing (waiting for CRD gitrepositories.source.toolkit.fluxcd.io, kustomizations.kustomize.toolkit.fluxcd.io)"; !strings.Contains(it.log.String(), want) {
		t.Errorf("progress does not say %q:\n%s", want, it.log)
	}
	if strings.Count(it.log.String(), "waiting for CRD") != 1 {
		t.Errorf("the same wait was reported more than once:\n%s", it.log)
	}
}

// TestInstallCRDsNeverServed: at the deadline the install ends as a
// timeout (exit 124) naming the CRDs, and nothing was applied.
func TestInstallCRDsNeverServed(t *testing.T) {
	it := fluxWiring(t, &fakeCRDs{missing: 1 << 30})
	it.in.deadline = time.Now().Add(20 * time.Millisecond)
	_, err := it.run(t)
	if !errors.Is(err, outcome.ErrTimeout) || !strings.Contains(err.Error(), "flux-repo: the API server does not serve CRD gitrepositories.source.toolkit.fluxcd.io, kustomizations.kustomize.toolkit.fluxcd.io yet") {
		t.Fatalf("got %v, want a timeout naming the CRDs", err)
	}
	if strings.Contains(it.c.String(), "wait") {
		t.Errorf("calls: %s; want no wait (nothing applied)", it.c)
	}
}

// TestCustomKinds: kinds a chart defines with its own CRDs, and built-in
// kinds, are not waited for.
func TestCustomKinds(t *testing.T) {
	manifest := `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec: {group: example.com, names: {kind: Widget, plural: widgets}}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: a}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: b}
`
	got := customKinds(manifest, "ns")
	if len(got) != 2 || got[0].Kind != "Application" || got[1].Kind != "Ingress" {
		t.Errorf("got %v, want Application once and Ingress (served or not, discovery decides)", got)
	}
}
