package bootstrap

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"golang.org/x/sync/errgroup"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/credentials"
	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/release"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/internal/ui"
)

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
	// Every release, and the inventory, is read at the same time: one
	// round trip, not one per component, on a remote cluster (issue 18).
	rows := make([]report.ComponentDiff, len(p.Plan.Releases))
	var entries []inventory.Entry
	var g errgroup.Group
	g.SetLimit(readConcurrency)
	g.Go(func() error {
		entries, _ = inventory.Load(ctx, p.Cluster.Client) // none: nothing outside the plan
		return nil
	})
	errs := make([]error, len(p.Plan.Releases))
	for i, rel := range p.Plan.Releases {
		g.Go(func() error {
			rows[i], errs[i] = diffRelease(ctx, p, deps, rel)
			return nil
		})
	}
	_ = g.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, false, err // the first in plan order
		}
	}
	changes := false
	inPlan := map[string]bool{}
	for _, c := range rows {
		inPlan[c.Component] = true
		if c.Action != string(release.Unchanged) {
			changes = true
		}
		d.Components = append(d.Components, c)
	}
	for _, e := range entries {
		if !inPlan[e.Component] {
			d.Components = append(d.Components, report.ComponentDiff{Component: e.Component, Namespace: e.Namespace, Release: e.Release,
				Action: "not in plan", OldVersion: e.Version, Note: "up leaves it installed; `slipway down " + e.Component + "` removes it"})
		}
	}
	return d, changes, nil
}

// diffRelease compares one release of the plan with the cluster.
func diffRelease(ctx context.Context, p *Prepared, deps Deps, rel plan.Release) (report.ComponentDiff, error) {
	c := report.ComponentDiff{Component: rel.Component, Namespace: rel.Namespace, Release: rel.Name, NewVersion: rel.Chart.Version}
	mgr, err := deps.Releases.For(rel.Namespace)
	if err != nil {
		return c, err
	}
	cur, err := mgr.Get(ctx, rel.Name)
	if err != nil {
		return c, err
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
			return c, fmt.Errorf("%s: %w", rel.Component, err)
		}
		c.Manifest = manifestDiff(cur.Manifest, withoutHooks(res.Manifest))
	}
	return c, nil
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
