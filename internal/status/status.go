package status

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/kubernetes"

	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/release"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/internal/wait"
)

// Releases reads the releases of one namespace (release.Manager).
type Releases interface {
	Get(ctx context.Context, name string) (*release.Info, error)
}

// Readiness checks a component's objects once, without waiting
// (wait.Waiter).
type Readiness interface {
	Check(ctx context.Context, t wait.Target) ([]wait.ResourceStatus, error)
}

// Reporter builds the status report from its clients, so that a test can
// hand it fakes.
type Reporter struct {
	Client kubernetes.Interface
	// Releases returns the release reader of one namespace.
	Releases  func(namespace string) (Releases, error)
	Readiness Readiness
	// Context names the cluster in errors.
	Context string
}

// Run reports every installed component of the cluster ko selects.
//
// Everything that does not depend on an earlier answer is read at once:
// the inventory while the cluster is probed, then every component's
// release while the API's discovery is read (the readiness checks need
// it; the releases do not), then each component's objects (see
// wait.Waiter.Check). One read after the other made `status` about 90
// round trips, 9.5 s on a cluster 100 ms away (issue 18).
func Run(ctx context.Context, ko kube.Options) ([]report.Status, error) {
	var (
		entries []inventory.Entry
		waiter  *wait.Waiter
	)
	cluster, err := kube.ConnectAnd(ctx, ko, 10*time.Second, func(ctx context.Context, c *kube.Cluster) error {
		var err error
		if waiter, err = wait.New(c.Config); err != nil {
			return err
		}
		// Discovery takes no context: it is not waited for here, and
		// the first readiness check waits for it (the mapper's lock).
		go waiter.Discover()
		if entries, err = inventory.Load(ctx, c.Client); err != nil {
			return fmt.Errorf("context %s: %w", c.Context, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	managers := release.ForCluster(cluster)
	r := &Reporter{
		Client:    cluster.Client,
		Releases:  func(ns string) (Releases, error) { return managers.For(ns) },
		Readiness: waiter,
		Context:   cluster.Context,
	}
	return r.Report(ctx, entries)
}

// Status reports every installed component, in needs order, from the
// cluster alone: its release and its readiness now.
func (r *Reporter) Status(ctx context.Context) ([]report.Status, error) {
	entries, err := inventory.Load(ctx, r.Client)
	if err != nil {
		return nil, fmt.Errorf("context %s: %w", r.Context, err)
	}
	return r.Report(ctx, entries)
}

// Report is Status from inventory entries already read. The components
// are read at the same time, a few at once; the rows keep needs order.
func (r *Reporter) Report(ctx context.Context, entries []inventory.Entry) ([]report.Status, error) {
	ordered := inventory.Ordered(entries)
	out := make([]report.Status, len(ordered))
	var g errgroup.Group
	g.SetLimit(componentConcurrency)
	for i, e := range ordered {
		g.Go(func() error {
			st := report.Status{Component: e.Component, Namespace: e.Namespace, Release: e.Release, URL: e.URL, InCluster: e.InCluster, Profile: e.Profile + "@" + e.ProfileVersion}
			mgr, err := r.Releases(e.Namespace)
			if err != nil {
				return err
			}
			info, err := mgr.Get(ctx, e.Release)
			switch {
			case err != nil:
				st.Readiness, st.Reason = "unknown", err.Error()
			case info == nil:
				st.Readiness, st.Reason = "missing", "no Helm release; `slipway up` installs it"
			default:
				st.Chart, st.Version, st.Revision, st.ReleaseStatus, st.Updated = info.Chart, info.ChartVersion, info.Revision, string(info.Status), info.Updated
				st.Readiness, st.Reason = r.readiness(ctx, e, info)
			}
			out[i] = st
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// componentConcurrency bounds the components read at once; each has up
// to a few requests of its own in flight (wait's checkConcurrency).
const componentConcurrency = 4

// readiness is the component's worst state and why: "failed" wins over
// any other state; a release an interrupted run left pending says so
// whatever its objects look like.
func (r *Reporter) readiness(ctx context.Context, e inventory.Entry, info *release.Info) (state, reason string) {
	target := wait.Target{Component: e.Component, Objects: release.ParseObjects(info.Manifest, e.Namespace)}
	sts, err := r.Readiness.Check(ctx, target)
	if err != nil {
		return "unknown", err.Error()
	}
	state = string(wait.Ready)
	var reasons []string
	for _, s := range sts {
		if s.State == wait.Ready {
			continue
		}
		if state != string(wait.Failed) {
			state = string(s.State)
		}
		reasons = append(reasons, strings.TrimSpace(s.Object.String()+": "+s.Message))
	}
	reason = strings.Join(reasons, "; ")
	if info.Pending() {
		state, reason = "pending", "left "+string(info.Status)+" by an interrupted run; `slipway up` repairs it"
	}
	return state, reason
}
