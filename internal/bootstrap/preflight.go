package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/preflight"
	"github.com/slipway-dev/slipway/internal/release"
	"github.com/slipway-dev/slipway/internal/ui"
)

// runPreflight checks, after the plan and before anything is written, that
// the plan can work on this cluster: charts' kubeVersion, memory, and the
// ingress-ready node. It renders every chart (from the chart cache) to
// see the workloads. The DNS check runs in the background, only warns,
// and is waited for at the end of up (it is bounded by DNSTimeout).
func runPreflight(ctx context.Context, p *Prepared, d Deps, printer *ui.Printer) (dns <-chan struct{}, err error) {
	if p.Options.DryRun || p.Cluster == nil || p.Options.SkipPreflight {
		return nil, nil
	}
	var hosts []string
	for _, rel := range p.Plan.Releases {
		if rel.Host != "" {
			hosts = append(hosts, rel.Host)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if w := preflight.Hostnames(ctx, d.Resolver, p.Options.IP, hosts, preflight.DNSTimeout); w != "" {
			printer.Warnf("%s", w)
		}
	}()
	return done, checkPlan(ctx, p, d)
}

// checkPlan runs the checks that read the cluster and every chart.
func checkPlan(ctx context.Context, p *Prepared, d Deps) error {
	// The node list has been read since connect (listNodes); the
	// server's version came with Connect's probe.
	nodesOf := p.nodes
	if nodesOf == nil {
		nodesOf = listNodes(ctx, p.Cluster.Client)
	}
	ver := p.Cluster.Version
	if ver == nil {
		var err error
		if ver, err = p.Cluster.Client.Discovery().ServerVersion(); err != nil {
			nodesOf()
			return fmt.Errorf("preflight: server version: %w", err)
		}
	}
	metas := make([]release.ChartMeta, len(p.Plan.Releases))
	rendered := make([]string, len(p.Plan.Releases))
	workloads := make([][]preflight.Workload, len(p.Plan.Releases))
	errs := make([]error, len(p.Plan.Releases))
	var wg sync.WaitGroup
	for i, rel := range p.Plan.Releases {
		wg.Go(func() {
			// The fetch stage already brought every chart to disk and
			// verified it.
			path := p.chartPath(rel.Component)
			var err error
			if metas[i], err = release.LoadMeta(path); err != nil {
				errs[i] = fmt.Errorf("%s: %w", rel.Component, err)
				return
			}
			if preflight.KubeVersion(ver.GitVersion, []preflight.Chart{{KubeVersion: metas[i].KubeVersion}}) != nil {
				return // reported below; Helm would not render it either
			}
			manifest := deployedManifest(ctx, d.Releases, rel)
			if manifest == "" {
				// A chart that does not render fails the install with
				// Helm's own message; preflight then has nothing to count
				// for it.
				res, err := release.Render(ctx, release.Spec{Name: rel.Name, Namespace: rel.Namespace, ChartPath: path, Values: rel.Values}, ver.GitVersion)
				if err != nil {
					return
				}
				manifest = res.Manifest
				rendered[i] = manifest
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
	p.rendered = map[string]string{}
	for i, rel := range p.Plan.Releases {
		if rendered[i] != "" {
			p.rendered[rel.Component] = rendered[i]
		}
	}
	nodes, nodesErr := nodesOf()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if nodesErr != nil {
		return fmt.Errorf("preflight: list nodes: %w (slipway needs `list` on nodes for its checks; --skip-preflight skips them)", nodesErr)
	}
	var chartList []preflight.Chart
	var all, ingress []preflight.Workload
	for i, rel := range p.Plan.Releases {
		chartList = append(chartList, preflight.Chart{Component: rel.Component, Name: rel.Chart.Name, Version: rel.Chart.Version, KubeVersion: metas[i].KubeVersion})
		all = append(all, workloads[i]...)
		if c := p.component(rel.Component); c != nil && c.Group == "ingress" {
			ingress = append(ingress, workloads[i]...)
		}
	}
	all = append(all, pipelinePods(p)...)
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

// listNodes starts listing the cluster's nodes and returns a function
// that waits for the answer: prepare starts it right after connect, so
// that preflight's list is not a round trip of its own after the plan
// (issue 18).
func listNodes(ctx context.Context, c kubernetes.Interface) func() (*corev1.NodeList, error) {
	var (
		nodes *corev1.NodeList
		err   error
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		nodes, err = c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	}()
	return func() (*corev1.NodeList, error) {
		<-done
		return nodes, err
	}
}

// deployedManifest returns the manifest of the release as deployed when it
// already has this plan's chart and values (its digest label matches), so
// that preflight counts the workloads from it instead of rendering the
// chart again: the render was most of a no-op run's time with the real
// charts. It returns "" when the release is absent, not deployed, or
// differs from the plan.
func deployedManifest(ctx context.Context, rels Releases, rel plan.Release) string {
	mgr, err := rels.For(rel.Namespace)
	if err != nil {
		return ""
	}
	cur, err := mgr.Get(ctx, rel.Name)
	if err != nil || !upToDate(cur, rel.Digest()) {
		return ""
	}
	return cur.Manifest
}

// waitDNS waits, bounded, for the background DNS check, so its warning is
// not lost.
func waitDNS(done <-chan struct{}) {
	if done != nil {
		select {
		case <-done:
		case <-time.After(2 * preflight.DNSTimeout):
		}
	}
}

// pipelinePods is one running sample-pipeline pod per CI server with a
// pipeline, at the requests its profile declares: a build is what the
// platform is for, so the memory it needs is part of what must fit.
func pipelinePods(p *Prepared) []preflight.Workload {
	var out []preflight.Workload
	for _, rel := range p.Plan.Releases {
		c := p.component(rel.Component)
		if c == nil || c.Pipeline == nil {
			continue
		}
		mem, err := resource.ParseQuantity(c.Pipeline.Requests.Memory)
		if err != nil {
			continue // the profile was validated
		}
		out = append(out, preflight.Workload{Component: rel.Component, Kind: "Pod", Namespace: rel.Namespace, Name: "sample-pipeline agent", Replicas: 1, Memory: mem})
	}
	return out
}
