package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slipway-dev/slipway/internal/kube"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	helmkube "helm.sh/helm/v4/pkg/kube"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// crdEstablishTimeout is how long an install waits for its chart's CRDs
// to be served, as Helm's own install does.
const crdEstablishTimeout = 60 * time.Second

// crdStallWait is how long an install waits for its CRDs before it looks
// for stalled ones (see nudgeStalledCRDs). The API server establishes a
// CRD milliseconds after accepting its names, 5 s after when it runs as
// several replicas.
const crdStallWait = 10 * time.Second

// nudgeAnnotation is set on a stalled CRD and removed at once: the two
// updates are what makes the API server establish it.
const nudgeAnnotation = "slipway.dev/establish"

// installCRDs applies the CRDs of ch's crds/ directory, all at once, and
// waits until they are served; the install then skips them. Helm applies
// them one file after the other: Traefik's chart has 25, a round trip
// each on the critical path of a cold `up` on a remote cluster (2.5 s at
// 100 ms; issue 18). Otherwise it is what Helm's install does: server-side
// apply without forcing conflicts, the same field manager, the same
// wait (kstatus) and bound, and a REST mapper that learns the new kinds.
// It returns false when it leaves the CRDs to Helm: when there are none,
// and when a subchart has some (Helm installs those only if the subchart
// is enabled, which it decides from the values as it installs).
func (m *Manager) installCRDs(ctx context.Context, ch *chartv2.Chart) (bool, error) {
	for _, dep := range ch.Dependencies() {
		if len(dep.CRDObjects()) > 0 {
			return false, nil
		}
	}
	crds := ch.CRDObjects()
	if len(crds) == 0 {
		return false, nil
	}
	var all helmkube.ResourceList
	for _, obj := range crds {
		if obj.File == nil || obj.File.Data == nil {
			return true, fmt.Errorf("failed to install CRD %s: file is empty", obj.Name)
		}
		res, err := m.cfg.KubeClient.Build(bytes.NewBuffer(obj.File.Data), false)
		if err != nil {
			return true, fmt.Errorf("failed to install CRD %s: %w", obj.Name, err)
		}
		all = append(all, res...)
	}
	if len(all) == 0 {
		return true, nil
	}
	// Create applies the objects of one kind at the same time.
	if _, err := m.cfg.KubeClient.Create(all, helmkube.ClientCreateOptionServerSideApply(true, false)); err != nil {
		return true, fmt.Errorf("failed to install CRDs: %w", err)
	}
	waiter, err := m.cfg.KubeClient.GetWaiter(helmkube.StatusWatcherStrategy)
	if err != nil {
		return true, fmt.Errorf("unable to get waiter: %w", err)
	}
	if err := waiter.Wait(all, crdStallWait); err != nil {
		if _, nerr := m.nudgeStalledCRDs(ctx, all); nerr != nil {
			return true, errors.Join(err, nerr)
		}
		if err := waiter.Wait(all, crdEstablishTimeout-crdStallWait); err != nil {
			return true, err
		}
	}
	if m.cfg.RESTClientGetter != nil {
		if mapper, err := m.cfg.RESTClientGetter.ToRESTMapper(); err == nil {
			if r, ok := mapper.(meta.ResettableRESTMapper); ok {
				r.Reset()
			}
		}
	}
	return true, nil
}

// nudgeStalledCRDs makes the API server establish the CRDs of crds (ones
// this install applied) that it never will by itself, and returns their
// names. The API server establishes a CRD when its informer sees an
// update of it with the names accepted and not yet Established; one it
// was stopped between those two status writes comes back from the
// restart's list as an add, which it does not act on, so the CRD stays
// "Installing" until something updates it (kube-apiserver's
// apiextensions crdHandler; found by TestFaultAPIServerOutage, where up
// then failed after its 60 s wait, twice). Setting and removing an
// annotation is that update and leaves the CRD as it was.
func (m *Manager) nudgeStalledCRDs(ctx context.Context, crds helmkube.ResourceList) ([]string, error) {
	if m.dynamic == nil {
		return nil, nil
	}
	client, err := m.dynamic()
	if err != nil {
		return nil, err
	}
	c := client.Resource(kube.CRDs)
	var nudged []string
	var errs []error
	for _, info := range crds {
		u, err := c.Get(ctx, info.Name, metav1.GetOptions{})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !stalledCRD(u) {
			continue
		}
		for _, value := range []string{`"` + time.Now().UTC().Format(time.RFC3339Nano) + `"`, "null"} {
			patch := []byte(`{"metadata":{"annotations":{"` + nudgeAnnotation + `":` + value + `}}}`)
			if _, err = c.Patch(ctx, info.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager}); err != nil {
				break
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		nudged = append(nudged, info.Name)
	}
	return nudged, errors.Join(errs...)
}

// stalledCRD reports whether u, a CRD, has its names accepted and is not
// Established: the state the API server leaves it in when it restarts
// between the two (see nudgeStalledCRDs).
func stalledCRD(u *unstructured.Unstructured) bool {
	conditions, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	status := map[string]string{}
	for _, c := range conditions {
		if m, ok := c.(map[string]any); ok {
			t, _ := m["type"].(string)
			s, _ := m["status"].(string)
			status[t] = s
		}
	}
	return status["NamesAccepted"] == "True" && status["Established"] != "True"
}
