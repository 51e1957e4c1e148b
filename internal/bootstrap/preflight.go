package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipwayhq/slipway/internal/cluster"
	"github.com/slipwayhq/slipway/internal/hostip"
	"github.com/slipwayhq/slipway/internal/outcome"
	"github.com/slipwayhq/slipway/internal/plan"
	"github.com/slipwayhq/slipway/internal/preflight"
	"github.com/slipwayhq/slipway/internal/release"
)

// createClusterFirst runs `up --create-cluster`'s first step and points
// the rest of up at the new cluster's context.
func createClusterFirst(ctx context.Context, opts *Options, create func(context.Context, ClusterOptions) (string, error)) error {
	if opts.DryRun {
		return outcome.Input(errors.New("--create-cluster with --dry-run: a dry run changes nothing; drop one of them"))
	}
	name := opts.Cluster.Name
	if name == "" {
		name = cluster.DefaultName
	}
	if opts.Kube.Context != "" && opts.Kube.Context != cluster.ContextName(name) {
		return outcome.Input(fmt.Errorf("--create-cluster installs into the new cluster's context %s, not --context %s: drop --context", cluster.ContextName(name), opts.Kube.Context))
	}
	c := opts.Cluster
	c.Name, c.Kubeconfig, c.SkipPreflight = name, opts.Kube.Kubeconfig, opts.SkipPreflight
	ctxName, err := create(ctx, c)
	if err != nil {
		return err
	}
	opts.Kube.Context = ctxName
	return nil
}

// chooseIP resolves --ip auto into an address, before anything uses it.
func (r *run) chooseIP(ctx context.Context) error {
	if r.opts.IP != "auto" {
		return nil
	}
	if r.cluster == nil {
		r.opts.IP = hostip.Loopback
		r.ui.Infof("--ip auto: %s, as for kind's port mappings (no cluster to look at)", hostip.Loopback)
		return nil
	}
	ns := ""
	for _, c := range r.profile.Components {
		if c.Group == "ingress" {
			ns = c.Namespace
		}
	}
	choice, err := hostip.Choose(ctx, r.cluster.Client, r.cluster.Context, ns)
	if err != nil {
		return outcome.Input(err)
	}
	r.opts.IP = choice.IP
	r.ui.Infof("--ip auto: hostnames use %s: %s", choice.IP, choice.Reason)
	return nil
}

// preflight checks, after the plan and before anything is written, that
// the plan can work on this cluster: charts' kubeVersion, memory, and the
// ingress-ready node. It renders every chart (from the chart cache) to
// see the workloads. The DNS check runs in the background, only warns,
// and is waited for at the end of up (it is bounded by DNSTimeout).
func (r *run) preflight(ctx context.Context) error {
	if r.opts.DryRun || r.cluster == nil || r.opts.SkipPreflight {
		return nil
	}
	var hosts []string
	for _, rel := range r.plan.Releases {
		if rel.Host != "" {
			hosts = append(hosts, rel.Host)
		}
	}
	var resolver preflight.Resolver = net.DefaultResolver
	if r.resolver != nil {
		resolver = r.resolver
	}
	done := make(chan struct{})
	r.dnsDone = done
	go func() {
		defer close(done)
		if w := preflight.Hostnames(ctx, resolver, r.opts.IP, hosts, preflight.DNSTimeout); w != "" {
			r.ui.Warnf("%s", w)
		}
	}()

	nodes, err := r.cluster.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("preflight: list nodes: %w (slipway needs `list` on nodes for its checks; --skip-preflight skips them)", err)
	}
	ver, err := r.cluster.Client.Discovery().ServerVersion()
	if err != nil {
		return fmt.Errorf("preflight: server version: %w", err)
	}
	metas := make([]release.ChartMeta, len(r.plan.Releases))
	workloads := make([][]preflight.Workload, len(r.plan.Releases))
	errs := make([]error, len(r.plan.Releases))
	var wg sync.WaitGroup
	for i, rel := range r.plan.Releases {
		wg.Go(func() {
			// The fetch stage already brought every chart to disk and
			// verified it.
			path := r.chartPath(rel.Component)
			var err error
			if metas[i], err = release.LoadMeta(path); err != nil {
				errs[i] = fmt.Errorf("%s: %w", rel.Component, err)
				return
			}
			if preflight.KubeVersion(ver.GitVersion, []preflight.Chart{{KubeVersion: metas[i].KubeVersion}}) != nil {
				return // reported below; Helm would not render it either
			}
			manifest := r.deployedManifest(ctx, rel)
			if manifest == "" {
				// A chart that does not render fails the install with
				// Helm's own message; preflight then has nothing to count
				// for it.
				res, err := release.Render(ctx, release.Spec{Name: rel.Name, Namespace: rel.Namespace, ChartPath: path, Values: rel.Values}, ver.GitVersion)
				if err != nil {
					return
				}
				manifest = res.Manifest
			}
			ws, err := preflight.Workloads(manifest, rel.Namespace)
			if err != nil {
				return
			}
			for j := range ws {
				ws[j].Component = rel.Component
			}
			workloads[i] = ws
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var chartList []preflight.Chart
	var all, ingress []preflight.Workload
	for i, rel := range r.plan.Releases {
		chartList = append(chartList, preflight.Chart{Component: rel.Component, Name: rel.Chart.Name, Version: rel.Chart.Version, KubeVersion: metas[i].KubeVersion})
		all = append(all, workloads[i]...)
		if c := r.component(rel.Component); c != nil && c.Group == "ingress" {
			ingress = append(ingress, workloads[i]...)
		}
	}
	var failed []error
	for _, err := range []error{
		preflight.KubeVersion(ver.GitVersion, chartList),
		preflight.Memory(nodes.Items, all),
		preflight.IngressNode(nodes.Items, ingress),
	} {
		if err != nil {
			failed = append(failed, err)
		}
	}
	return preflightFailed(failed)
}

// deployedManifest returns the manifest of the release as deployed when it
// already has this plan's chart and values (its digest label matches), so
// that preflight counts the workloads from it instead of rendering the
// chart again: the render was most of a no-op run's time with the real
// charts. It returns "" when the release is absent, not deployed, or
// differs from the plan.
func (r *run) deployedManifest(ctx context.Context, rel plan.Release) string {
	mgr, err := release.New(r.cluster.GetterFor(rel.Namespace), rel.Namespace, nil)
	if err != nil {
		return ""
	}
	cur, err := mgr.Get(ctx, rel.Name)
	if err != nil || !upToDate(cur, rel.Digest()) {
		return ""
	}
	return cur.Manifest
}

// waitDNS waits for the background DNS check, so its warning is not lost.
func (r *run) waitDNS() {
	if r.dnsDone != nil {
		select {
		case <-r.dnsDone:
		case <-time.After(2 * preflight.DNSTimeout):
		}
	}
}
