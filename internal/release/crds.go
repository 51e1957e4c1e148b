package release

import (
	"bytes"
	"fmt"
	"time"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	helmkube "helm.sh/helm/v4/pkg/kube"
	"k8s.io/apimachinery/pkg/api/meta"
)

// crdEstablishTimeout is how long an install waits for its chart's CRDs
// to be served, as Helm's own install does.
const crdEstablishTimeout = 60 * time.Second

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
func (m *Manager) installCRDs(ch *chartv2.Chart) (bool, error) {
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
	if err := waiter.Wait(all, crdEstablishTimeout); err != nil {
		return true, err
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
