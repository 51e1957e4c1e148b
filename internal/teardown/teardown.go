package teardown

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/release"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/internal/runlock"
	"github.com/slipway-dev/slipway/internal/ui"
)

// Options are the inputs of `slipway down`.
type Options struct {
	Components      []string // empty: all
	KeepCredentials bool
	DeleteCRDs      bool
	Timeout         time.Duration
	Kube            kube.Options
	// Confirm is asked before anything is removed; nil means yes.
	Confirm func(summary string) bool
	// WaitForLock waits (up to Timeout) for a run lock another run holds.
	WaitForLock bool
}

// Releases uninstalls the releases of one namespace (release.Manager).
type Releases interface {
	// Get returns the latest revision of a release, nil when there is none.
	Get(ctx context.Context, name string) (*release.Info, error)
	// CRDs lists the CRDs a release's chart installed from crds/.
	CRDs(ctx context.Context, name string) ([]string, error)
	Uninstall(ctx context.Context, name string, timeout time.Duration) error
}

// CRDs deletes CustomResourceDefinitions by name (the apiextensions
// clientset's CustomResourceDefinitionInterface).
type CRDs interface {
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
}

// Remover tears down what slipway installed, through the clients in its
// fields, so that a test can hand it fakes.
type Remover struct {
	Client kubernetes.Interface
	// Releases returns the release manager of one namespace.
	Releases func(namespace string) (Releases, error)
	CRDs     CRDs
	// Context names the cluster in messages.
	Context string
	// Poll is the interval between checks that namespaces are gone
	// (default 250ms).
	Poll time.Duration
}

// Run removes what o asks for from the cluster o.Kube selects and says
// what it removed.
func Run(ctx context.Context, o Options, printer *ui.Printer) (report.DownResult, error) {
	// The run lock is taken while the cluster is probed (issue 18).
	var res report.DownResult
	err := runlock.ConnectAndHold(ctx, o.Kube, 10*time.Second, runlock.Options{Command: "down", Wait: o.WaitForLock, Progress: printer.Infof}, o.Timeout,
		func(ctx context.Context, cluster *kube.Cluster) error {
			ext, err := apiextensions.NewForConfig(cluster.Config)
			if err != nil {
				return err
			}
			managers := release.ForCluster(cluster)
			r := &Remover{
				Client:   cluster.Client,
				Releases: func(ns string) (Releases, error) { return managers.For(ns) },
				CRDs:     ext.ApiextensionsV1().CustomResourceDefinitions(),
				Context:  cluster.Context,
			}
			res, err = r.Down(ctx, o, printer)
			return err
		})
	return res, err
}

// Down uninstalls components in reverse needs order, waits for their
// resources to go, then removes the Secrets and namespaces slipway
// created. Removing what is not there is not an error. The result lists
// what was removed, for `down -o json`.
func (r *Remover) Down(ctx context.Context, o Options, printer *ui.Printer) (report.DownResult, error) {
	res := report.DownResult{Context: r.Context}
	entries, err := inventory.Load(ctx, r.Client)
	if errors.Is(err, inventory.ErrEmpty) {
		printer.Infof("nothing to remove: %v", err)
		return res, nil
	}
	if err != nil {
		return res, err
	}
	todo, unknown := selectEntries(entries, o.Components)
	res.Skipped = unknown
	if len(todo) == 0 {
		printer.Infof("nothing to remove: %s not installed by slipway in context %s", strings.Join(unknown, ", "), r.Context)
		return res, nil
	}
	if len(unknown) > 0 {
		printer.Warnf("not installed, skipped: %s", strings.Join(unknown, ", "))
	}
	// Dependents go before what they need.
	ordered := inventory.Ordered(todo)
	slices.Reverse(ordered)
	var names []string
	for _, e := range ordered {
		names = append(names, e.Component)
	}
	if err := r.checkOwned(ctx, ordered, o); err != nil {
		return res, err
	}
	if o.Confirm != nil && !o.Confirm(fmt.Sprintf("Remove %s from context %s?", strings.Join(names, ", "), r.Context)) {
		return res, outcome.ErrAborted
	}
	var crds []string
	for _, e := range ordered {
		c, err := r.uninstall(ctx, e, o, printer)
		if err != nil {
			return res, err
		}
		crds = append(crds, c...)
		res.Removed = append(res.Removed, report.Removed{Component: e.Component, Namespace: e.Namespace, Release: e.Release})
	}
	// What stays in the inventory: with --keep-credentials every entry
	// stays (the Secrets are kept, and their namespaces with them).
	stay := remaining(entries, ordered)
	if o.KeepCredentials {
		stay = entries
	}
	if err := r.deleteNamespaces(ctx, ordered, stay, o.Timeout, printer); err != nil {
		return res, err
	}
	crds = dedupe(crds)
	switch {
	case len(crds) > 0 && o.DeleteCRDs:
		for _, c := range crds {
			if err := r.CRDs.Delete(ctx, c, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return res, fmt.Errorf("delete CRD %s: %w", c, err)
			}
		}
		res.DeletedCRDs = crds
		printer.Infof("deleted CRDs: %s", strings.Join(crds, ", "))
	case len(crds) > 0:
		res.KeptCRDs = crds
		printer.Infof("kept CRDs (custom resources of other users may depend on them; --delete-crds removes them): %s", strings.Join(crds, ", "))
	}
	printer.Infof("removed %s", strings.Join(names, ", "))
	return res, nil
}

// remaining are the entries that stay installed once removed are gone,
// from the inventory read before anything was removed: a second read
// that failed was taken for an empty inventory, and the namespaces of
// components that stay were deleted (issue 17, item 6).
func remaining(entries, removed []inventory.Entry) []inventory.Entry {
	var out []inventory.Entry
	for _, e := range entries {
		if !slices.ContainsFunc(removed, func(x inventory.Entry) bool { return x.Component == e.Component }) {
			out = append(out, e)
		}
	}
	return out
}

// selectEntries picks the entries of the components asked for (all when
// none are named) and lists the names asked for that are not installed.
func selectEntries(entries []inventory.Entry, components []string) (todo []inventory.Entry, unknown []string) {
	known := map[string]bool{}
	for _, e := range entries {
		known[e.Component] = true
		if len(components) == 0 || slices.Contains(components, e.Component) {
			todo = append(todo, e)
		}
	}
	for _, c := range components {
		if !known[c] {
			unknown = append(unknown, c)
		}
	}
	return todo, unknown
}

// uninstall removes one component's release and, unless the credentials
// are kept, its Secrets and inventory entry. It returns the CRDs the
// release's chart installed, which Helm leaves behind.
func (r *Remover) uninstall(ctx context.Context, e inventory.Entry, o Options, printer *ui.Printer) ([]string, error) {
	mgr, err := r.Releases(e.Namespace)
	if err != nil {
		return nil, err
	}
	crds, err := mgr.CRDs(ctx, e.Release)
	if err != nil {
		crds = nil // best effort: a release that cannot be read has none to list
	}
	printer.Infof("%s: uninstalling release %s/%s", e.Component, e.Namespace, e.Release)
	if err := mgr.Uninstall(ctx, e.Release, o.Timeout); err != nil {
		return nil, fmt.Errorf("%s: %w", e.Component, err)
	}
	if o.KeepCredentials {
		return crds, nil
	}
	if e.Secret != "" {
		err := r.Client.CoreV1().Secrets(e.Namespace).Delete(ctx, e.Secret, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%s: delete secret %s/%s: %w", e.Component, e.Namespace, e.Secret, err)
		}
	}
	if err := deleteGenerated(ctx, r.Client, e); err != nil {
		return nil, err
	}
	if err := inventory.Remove(ctx, r.Client, e.Component); err != nil {
		return nil, err
	}
	return crds, nil
}

func dedupe(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
