package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pmezard/go-difflib/difflib"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/slipwayhq/slipway/internal/credentials"
	"github.com/slipwayhq/slipway/internal/inventory"
	"github.com/slipwayhq/slipway/internal/kube"
	"github.com/slipwayhq/slipway/internal/outcome"
	"github.com/slipwayhq/slipway/internal/plan"
	"github.com/slipwayhq/slipway/internal/release"
	"github.com/slipwayhq/slipway/internal/report"
	"github.com/slipwayhq/slipway/internal/ui"
	slwait "github.com/slipwayhq/slipway/internal/wait"
)

// Status reports every installed component from the cluster alone: its
// release and its readiness now.
func Status(ctx context.Context, ko kube.Options) ([]report.Status, error) {
	cluster, err := kube.Connect(ctx, ko, 10*time.Second)
	if err != nil {
		return nil, err
	}
	entries, err := inventory.Load(ctx, cluster.Client)
	if err != nil {
		return nil, fmt.Errorf("context %s: %w", cluster.Context, err)
	}
	waiter, err := slwait.New(cluster.Config)
	if err != nil {
		return nil, err
	}
	var out []report.Status
	for _, e := range inventory.Ordered(entries) {
		st := report.Status{Component: e.Component, Namespace: e.Namespace, Release: e.Release, URL: e.URL, Profile: e.Profile + "@" + e.ProfileVersion}
		mgr, err := release.New(cluster.GetterFor(e.Namespace), e.Namespace, nil)
		if err != nil {
			return nil, err
		}
		info, err := mgr.Get(ctx, e.Release)
		switch {
		case err != nil:
			st.Readiness, st.Reason = "unknown", err.Error()
		case info == nil:
			st.Readiness, st.Reason = "missing", "no Helm release; `slipway up` installs it"
		default:
			st.Chart, st.Version, st.Revision, st.ReleaseStatus, st.Updated = info.Chart, info.ChartVersion, info.Revision, string(info.Status), info.Updated
			target := slwait.Target{Component: e.Component, Objects: release.ParseObjects(info.Manifest, e.Namespace)}
			sts, err := waiter.Check(ctx, target)
			if err != nil {
				st.Readiness, st.Reason = "unknown", err.Error()
				break
			}
			st.Readiness = "ready"
			var reasons []string
			for _, s := range sts {
				if s.State == slwait.Ready {
					continue
				}
				if st.Readiness != "failed" {
					st.Readiness = string(s.State)
				}
				reasons = append(reasons, strings.TrimSpace(s.Object.String()+": "+s.Message))
			}
			st.Reason = strings.Join(reasons, "; ")
			if info.Pending() {
				st.Readiness, st.Reason = "pending", "left "+string(info.Status)+" by an interrupted run; `slipway up` repairs it"
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// deleteGenerated removes the component's internal Secrets that slipway
// made; one made by something else (a chart hook of an earlier profile
// version) is left where it is.
func deleteGenerated(ctx context.Context, client kubernetes.Interface, e inventory.Entry) error {
	for _, name := range e.Generated {
		s, err := client.CoreV1().Secrets(e.Namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: read secret %s/%s: %w", e.Component, e.Namespace, name, err)
		}
		if s.Labels[kube.LabelManagedBy] != kube.ManagedBy {
			continue
		}
		if err := client.CoreV1().Secrets(e.Namespace).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("%s: delete secret %s/%s: %w", e.Component, e.Namespace, name, err)
		}
	}
	return nil
}

// Diff says what `up` with opts would change, per component. changes is
// true when anything would be installed or upgraded.
func Diff(ctx context.Context, opts Options, printer *ui.Printer) (*report.Diff, bool, error) {
	opts.DryRun = true
	p, deps, err := prepare(ctx, opts, printer)
	if err != nil {
		return nil, false, err
	}
	defer p.Close()
	if p.Cluster == nil {
		return nil, false, fmt.Errorf("diff needs the cluster to compare with: %w", kube.ErrUnreachable)
	}
	d := &report.Diff{Profile: p.Plan.Profile, Version: p.Plan.Version, Context: p.Cluster.Context}
	changes := false
	inPlan := map[string]bool{}
	for _, rel := range p.Plan.Releases {
		inPlan[rel.Component] = true
		c := report.ComponentDiff{Component: rel.Component, Namespace: rel.Namespace, Release: rel.Name, NewVersion: rel.Chart.Version}
		mgr, err := deps.Releases.For(rel.Namespace)
		if err != nil {
			return nil, false, err
		}
		cur, err := mgr.Get(ctx, rel.Name)
		if err != nil {
			return nil, false, err
		}
		mask := secretPaths(p, rel.Component)
		switch {
		case cur == nil:
			c.Action = string(release.Install)
		case upToDate(cur, rel.Digest()):
			c.Action, c.OldVersion = string(release.Unchanged), cur.ChartVersion
		default:
			c.Action, c.OldVersion = string(release.Upgrade), cur.ChartVersion
			if cur.Pending() {
				c.Note = "left " + string(cur.Status) + " by an interrupted run; up repairs it first"
			}
			c.Values = valuesDiff(cur.Values, rel.Values, mask)
			res, err := release.Render(ctx, release.Spec{Name: rel.Name, Namespace: rel.Namespace, ChartPath: p.chartPath(rel.Component), Values: rel.Values}, "")
			if err != nil {
				return nil, false, fmt.Errorf("%s: %w", rel.Component, err)
			}
			c.Manifest = manifestDiff(cur.Manifest, withoutHooks(res.Manifest))
		}
		if c.Action != string(release.Unchanged) {
			changes = true
		}
		d.Components = append(d.Components, c)
	}
	if entries, err := inventory.Load(ctx, p.Cluster.Client); err == nil {
		for _, e := range entries {
			if !inPlan[e.Component] {
				d.Components = append(d.Components, report.ComponentDiff{Component: e.Component, Namespace: e.Namespace, Release: e.Release,
					Action: "not in plan", OldVersion: e.Version, Note: "up leaves it installed; `slipway down " + e.Component + "` removes it"})
			}
		}
	}
	return d, changes, nil
}

// secretPaths are the values paths whose content must not be shown.
func secretPaths(p *Prepared, comp string) []string {
	c := p.component(comp)
	if c == nil || c.Credentials == nil {
		return nil
	}
	return slices.Concat(c.Credentials.Inject.Bcrypt)
}

// valuesDiff lists changed leaf values as "path: old → new", masking
// secrets and anything whose key says password.
func valuesDiff(old, new map[string]any, mask []string) []string {
	o, n := flatten(old, ""), flatten(new, "")
	keys := slices.Concat(slices.Collect(maps.Keys(o)), slices.Collect(maps.Keys(n)))
	slices.Sort(keys)
	keys = slices.Compact(keys)
	var out []string
	for _, k := range keys {
		ov, oOK := o[k]
		nv, nOK := n[k]
		if oOK && nOK && ov == nv {
			continue
		}
		if slices.Contains(mask, k) || strings.Contains(strings.ToLower(k), "password") {
			ov, nv = credentials.Mask, credentials.Mask
		}
		switch {
		case !oOK:
			out = append(out, fmt.Sprintf("+ %s: %s", k, nv))
		case !nOK:
			out = append(out, fmt.Sprintf("- %s: %s", k, ov))
		default:
			out = append(out, fmt.Sprintf("~ %s: %s → %s", k, ov, nv))
		}
	}
	return out
}

func flatten(v map[string]any, prefix string) map[string]string {
	out := map[string]string{}
	for k, x := range v {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		if m, ok := x.(map[string]any); ok && len(m) > 0 {
			for kk, vv := range flatten(m, p) {
				out[kk] = vv
			}
			continue
		}
		data, _ := yaml.Marshal(x)
		out[p] = strings.TrimSpace(string(data))
	}
	return out
}

// withoutHooks drops the hook documents Render appends, to compare like
// with like (a release's manifest has no hooks).
func withoutHooks(m string) string {
	var keep []string
	for _, doc := range strings.Split(m, "\n---") {
		if !strings.Contains(doc, "helm.sh/hook:") {
			keep = append(keep, doc)
		}
	}
	return strings.Join(keep, "\n---")
}

// manifestDiff is a unified diff of two manifests with Secret data masked.
func manifestDiff(old, new string) string {
	d := difflib.UnifiedDiff{
		A: difflib.SplitLines(maskSecrets(old)), B: difflib.SplitLines(maskSecrets(new)),
		FromFile: "deployed", ToFile: "planned", Context: 2,
	}
	text, _ := difflib.GetUnifiedDiffString(d)
	return text
}

// maskSecrets replaces the data of Secret documents.
func maskSecrets(m string) string {
	docs := strings.Split(m, "\n---")
	for i, doc := range docs {
		if !strings.Contains(doc, "\nkind: Secret") {
			continue
		}
		var lines []string
		inData := false
		for _, l := range strings.Split(doc, "\n") {
			if strings.HasPrefix(l, "data:") || strings.HasPrefix(l, "stringData:") {
				inData = true
				lines = append(lines, l)
				continue
			}
			if inData && strings.HasPrefix(l, "  ") {
				k, _, _ := strings.Cut(strings.TrimSpace(l), ":")
				lines = append(lines, "  "+k+": "+credentials.Mask)
				continue
			}
			inData = false
			lines = append(lines, l)
		}
		docs[i] = strings.Join(lines, "\n")
	}
	return strings.Join(docs, "\n---")
}

// Template renders every release of the plan without a cluster: to out,
// or one file per component under dir.
func Template(ctx context.Context, opts Options, printer *ui.Printer, out io.Writer, dir string) error {
	opts.DryRun, opts.NoCluster = true, true
	p, _, err := prepare(ctx, opts, printer)
	if err != nil {
		return err
	}
	defer p.Close()
	rendered, err := p.render(ctx, opts.KubeVersion)
	if err != nil {
		return err
	}
	for i, rel := range p.Plan.Releases {
		res := rendered[i]
		head := fmt.Sprintf("# slipway: component %s, chart %s@%s, release %s/%s\n", rel.Component, rel.Chart.Name, rel.Chart.Version, rel.Namespace, rel.Name)
		if reads := p.secretsRead(rel); len(reads) > 0 {
			head += fmt.Sprintf("# slipway: the chart reads Secret %s, which `slipway up` creates; applied by hand, create it first\n", strings.Join(reads, ", "))
		}
		if dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, rel.Component+".yaml"), []byte(head+res.Manifest), 0o600); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(out, "---\n%s%s\n", head, strings.TrimPrefix(res.Manifest, "---\n"))
	}
	return nil
}

// secretsRead lists, as namespace/name, the Secrets slipway creates that
// the release's chart reads: a credentials Secret handed to the chart by
// name, and the profile's generated secrets.
func (p *Prepared) secretsRead(rel plan.Release) []string {
	var out []string
	if c := p.component(rel.Component); c != nil && c.Credentials != nil && len(c.Credentials.Inject.ExistingSecret) > 0 {
		out = append(out, rel.Namespace+"/"+rel.Secret)
	}
	for _, g := range rel.Generated {
		out = append(out, rel.Namespace+"/"+g.Name)
	}
	return out
}

// DownOptions are the inputs of `slipway down`.
type DownOptions struct {
	Components      []string // empty: all
	KeepCredentials bool
	DeleteCRDs      bool
	Timeout         time.Duration
	Kube            kube.Options
	// Confirm is asked before anything is removed; nil means yes.
	Confirm func(summary string) bool
}

// Down uninstalls components in reverse needs order, waits for their
// resources to go, then removes the Secrets and namespaces slipway
// created. Removing what is not there is not an error.
func Down(ctx context.Context, o DownOptions, printer *ui.Printer) error {
	cluster, err := kube.Connect(ctx, o.Kube, 10*time.Second)
	if err != nil {
		return err
	}
	entries, err := inventory.Load(ctx, cluster.Client)
	if errors.Is(err, inventory.ErrEmpty) {
		printer.Infof("nothing to remove: %v", err)
		return nil
	}
	if err != nil {
		return err
	}
	var todo []inventory.Entry
	known := map[string]bool{}
	for _, e := range entries {
		known[e.Component] = true
		if len(o.Components) == 0 || slices.Contains(o.Components, e.Component) {
			todo = append(todo, e)
		}
	}
	var unknown []string
	for _, c := range o.Components {
		if !known[c] {
			unknown = append(unknown, c)
		}
	}
	if len(todo) == 0 {
		printer.Infof("nothing to remove: %s not installed by slipway in context %s", strings.Join(unknown, ", "), cluster.Context)
		return nil
	}
	if len(unknown) > 0 {
		printer.Warnf("not installed, skipped: %s", strings.Join(unknown, ", "))
	}
	ordered := inventory.Ordered(todo)
	slices.Reverse(ordered)
	var names []string
	for _, e := range ordered {
		names = append(names, e.Component)
	}
	if o.Confirm != nil && !o.Confirm(fmt.Sprintf("Remove %s from context %s?", strings.Join(names, ", "), cluster.Context)) {
		return outcome.ErrAborted
	}
	var crds []string
	for _, e := range ordered {
		mgr, err := release.New(cluster.GetterFor(e.Namespace), e.Namespace, nil)
		if err != nil {
			return err
		}
		if c, err := mgr.CRDs(ctx, e.Release); err == nil {
			crds = append(crds, c...)
		}
		printer.Infof("%s: uninstalling release %s/%s", e.Component, e.Namespace, e.Release)
		if err := mgr.Uninstall(ctx, e.Release, o.Timeout); err != nil {
			return fmt.Errorf("%s: %w", e.Component, err)
		}
		if e.Secret != "" && !o.KeepCredentials {
			err := cluster.Client.CoreV1().Secrets(e.Namespace).Delete(ctx, e.Secret, metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("%s: delete secret %s/%s: %w", e.Component, e.Namespace, e.Secret, err)
			}
		}
		if !o.KeepCredentials {
			if err := deleteGenerated(ctx, cluster.Client, e); err != nil {
				return err
			}
			if err := inventory.Remove(ctx, cluster.Client, e.Component); err != nil {
				return err
			}
		}
	}
	// Namespaces slipway created and nothing left uses.
	remaining, _ := inventory.Load(ctx, cluster.Client)
	inUse := map[string]bool{}
	for _, e := range remaining {
		inUse[e.Namespace] = true
	}
	var gone []string
	for _, e := range ordered {
		if inUse[e.Namespace] || slices.Contains(gone, e.Namespace) {
			continue
		}
		ns, err := cluster.Client.CoreV1().Namespaces().Get(ctx, e.Namespace, metav1.GetOptions{})
		if err != nil || ns.Labels[kube.LabelManagedBy] != kube.ManagedBy {
			continue
		}
		if err := cluster.Client.CoreV1().Namespaces().Delete(ctx, e.Namespace, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete namespace %s: %w", e.Namespace, err)
		}
		gone = append(gone, e.Namespace)
	}
	if len(remaining) == 0 {
		cluster.Client.CoreV1().Namespaces().Delete(ctx, inventory.Namespace, metav1.DeleteOptions{})
		gone = append(gone, inventory.Namespace)
	}
	if len(gone) > 0 {
		printer.Infof("waiting for namespaces %s to be deleted", strings.Join(gone, ", "))
		wctx, cancel := context.WithTimeout(ctx, o.Timeout)
		defer cancel()
		err := wait.PollUntilContextCancel(wctx, 250*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			for _, ns := range gone {
				if _, err := cluster.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
					return false, nil
				}
			}
			return true, nil
		})
		if err != nil {
			return fmt.Errorf("namespaces %s still terminating after %s: %w", strings.Join(gone, ", "), o.Timeout, err)
		}
	}
	crds = dedupe(crds)
	switch {
	case len(crds) > 0 && o.DeleteCRDs:
		for _, c := range crds {
			if err := deleteCRD(ctx, cluster, c); err != nil {
				return err
			}
		}
		printer.Infof("deleted CRDs: %s", strings.Join(crds, ", "))
	case len(crds) > 0:
		printer.Infof("kept CRDs (custom resources of other users may depend on them; --delete-crds removes them): %s", strings.Join(crds, ", "))
	}
	printer.Infof("removed %s", strings.Join(names, ", "))
	return nil
}

func dedupe(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func deleteCRD(ctx context.Context, c *kube.Cluster, name string) error {
	w, err := slwait.New(c.Config)
	if err != nil {
		return err
	}
	gvr := schemaCRD()
	err = w.Dynamic.Resource(gvr).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete CRD %s: %w", name, err)
	}
	return nil
}

func schemaCRD() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
}
