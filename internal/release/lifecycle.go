package release

import (
	"context"
	"errors"
	"fmt"
	"time"

	"helm.sh/helm/v4/pkg/action"
	helmkube "helm.sh/helm/v4/pkg/kube"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	"helm.sh/helm/v4/pkg/storage/driver"
)

// Repair unlocks a release an interrupted run left in pending-install,
// pending-upgrade or pending-rollback: it rolls back to the last deployed
// revision, or marks a release that was never deployed failed, so that
// the next Apply upgrades it over what the interrupted install left. It
// returns what it did, or "" when the release needed nothing.
func (m *Manager) Repair(ctx context.Context, name string, timeout time.Duration) (string, error) {
	info, err := m.Get(ctx, name)
	if err != nil || info == nil || !info.Pending() {
		return "", err
	}
	h := action.NewHistory(m.cfg)
	rels, err := h.Run(name)
	if err != nil {
		return "", err
	}
	lastDeployed := 0
	for _, x := range rels {
		r, err := toV1(x)
		if err != nil {
			return "", err
		}
		if r.Info != nil && (r.Info.Status == rcommon.StatusDeployed || r.Info.Status == rcommon.StatusSuperseded) && r.Version > lastDeployed && r.Version != info.Revision {
			lastDeployed = r.Version
		}
	}
	if lastDeployed == 0 {
		// Not uninstalled and installed afresh: that deletes and
		// recreates every object under the same name, and a controller
		// whose watch was down meanwhile (the API server restarting: the
		// interruption was often that) relists and sees one object
		// changed, not one deleted and a new one. The garbage collector
		// then never deletes the old StatefulSet's pod, and the new
		// StatefulSet cannot create its own of that name: it stayed
		// "Replicas: 0/1" past the timeout (TestFaultAPIServerOutage).
		// Marked failed, the release is upgraded in place by Apply
		// (Helm upgrades a release whose only revision failed), so
		// what the interrupted install created is kept and updated.
		if err := m.markFailed(name, info.Revision, "interrupted before it was deployed; marked failed by slipway, to be upgraded"); err != nil {
			return "", err
		}
		return fmt.Sprintf("release %s/%s was left %s by an interrupted run and never deployed: marked it failed, it will be upgraded in place", m.namespace, name, info.Status), nil
	}
	// Helm refuses to roll back over a pending revision; mark it failed
	// first (what `helm rollback` users do by hand).
	if err := m.markFailed(name, info.Revision, "interrupted; marked failed by slipway before rollback"); err != nil {
		return "", err
	}
	rb := action.NewRollback(m.cfg)
	rb.Version = lastDeployed
	rb.Timeout, rb.WaitStrategy = timeout, helmkube.HookOnlyStrategy
	rb.ServerSideApply = "true"
	if err := rb.Run(name); err != nil {
		return "", fmt.Errorf("roll back release %s/%s to revision %d: %w", m.namespace, name, lastDeployed, err)
	}
	return fmt.Sprintf("release %s/%s was left %s (revision %d) by an interrupted run: rolled back to revision %d", m.namespace, name, info.Status, info.Revision, lastDeployed), nil
}

// markFailed sets revision rev of release name to failed, with why as
// its description.
func (m *Manager) markFailed(name string, rev int, why string) error {
	x, err := m.cfg.Releases.Get(name, rev)
	if err != nil {
		return err
	}
	r, err := toV1(x)
	if err != nil || r.Info == nil {
		return err
	}
	r.Info.Status, r.Info.Description = rcommon.StatusFailed, why
	if err := m.cfg.Releases.Update(r); err != nil {
		return fmt.Errorf("mark release %s/%s revision %d failed: %w", m.namespace, name, rev, err)
	}
	return nil
}

// Uninstall removes a release and waits until its resources are gone. A
// release that does not exist is not an error.
func (m *Manager) Uninstall(ctx context.Context, name string, timeout time.Duration) error {
	u := action.NewUninstall(m.cfg)
	u.Timeout, u.WaitStrategy = timeout, helmkube.StatusWatcherStrategy
	u.IgnoreNotFound = true
	if _, err := u.Run(name); err != nil {
		return fmt.Errorf("uninstall %s/%s: %w", m.namespace, name, err)
	}
	return nil
}

// Reapply upgrades a release with the chart it already has and its
// recorded values changed by edit; `credentials rotate` uses it to put a
// new password hash in place without needing the profile.
func (m *Manager) Reapply(ctx context.Context, name string, timeout time.Duration, edit func(values map[string]any)) (Result, error) {
	x, err := action.NewGet(m.cfg).Run(name)
	if err != nil {
		return Result{}, fmt.Errorf("read release %s/%s: %w", m.namespace, name, err)
	}
	cur, err := toV1(x)
	if err != nil {
		return Result{}, err
	}
	values := map[string]any{}
	for k, v := range cur.Config {
		values[k] = v
	}
	edit(values)
	u := action.NewUpgrade(m.cfg)
	u.Namespace = m.namespace
	u.Timeout, u.WaitStrategy = timeout, helmkube.HookOnlyStrategy
	u.ServerSideApply = "true"
	u.Labels = userLabels(cur.Labels)
	u.MaxHistory = maxHistory()
	u.ResetValues = true
	u.DryRunStrategy = action.DryRunNone
	rel, err := u.RunWithContext(ctx, name, cur.Chart, values)
	if err != nil {
		return Result{}, explain(Spec{Name: name, Namespace: m.namespace}, cur.Chart, Upgrade, err)
	}
	r, err := toV1(rel)
	if err != nil {
		return Result{}, err
	}
	return result(Upgrade, r), nil
}

// Rollback rolls a release back to revision.
func (m *Manager) Rollback(ctx context.Context, name string, revision int, timeout time.Duration) error {
	rb := action.NewRollback(m.cfg)
	rb.Version = revision
	rb.Timeout, rb.WaitStrategy = timeout, helmkube.HookOnlyStrategy
	rb.ServerSideApply = "true"
	if err := rb.Run(name); err != nil {
		return fmt.Errorf("roll back %s/%s to revision %d: %w", m.namespace, name, revision, err)
	}
	return nil
}

// CRDs lists the CustomResourceDefinitions a release's chart installed
// from its crds/ directory (Helm never deletes those itself).
func (m *Manager) CRDs(ctx context.Context, name string) ([]string, error) {
	x, err := action.NewGet(m.cfg).Run(name)
	if err != nil {
		if errors.Is(err, driver.ErrReleaseNotFound) {
			return nil, nil
		}
		return nil, err
	}
	r, err := toV1(x)
	if err != nil || r.Chart == nil {
		return nil, err
	}
	var out []string
	for _, crd := range r.Chart.CRDObjects() {
		for _, o := range ParseObjects(string(crd.File.Data), "") {
			if o.Kind == "CustomResourceDefinition" {
				out = append(out, o.Name)
			}
		}
	}
	return out, nil
}
