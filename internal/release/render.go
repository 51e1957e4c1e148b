package release

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slipway-dev/slipway/internal/kube"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	helmkube "helm.sh/helm/v4/pkg/kube"
	rspb "helm.sh/helm/v4/pkg/release/v1"
)

// Render renders a release without a cluster (client-only dry run), for
// --dry-run and `slipway template`. kubeVersion is the target Kubernetes
// version ("" for Helm's default).
func Render(ctx context.Context, s Spec, kubeVersion string) (Result, error) {
	ch, err := loadChart(s.ChartPath)
	if err != nil {
		return Result{}, err
	}
	m := NewForTesting(s.Namespace)
	i := action.NewInstall(m.cfg)
	i.Namespace, i.ReleaseName = s.Namespace, s.Name
	i.DryRunStrategy = action.DryRunClient
	i.Replace = true
	i.IncludeCRDs = true
	i.Timeout, i.WaitStrategy = time.Minute, helmkube.HookOnlyStrategy
	if kubeVersion != "" {
		kv, err := common.ParseKubeVersion(kubeVersion)
		if err != nil {
			return Result{}, fmt.Errorf("kube version %q: %w", kubeVersion, err)
		}
		i.KubeVersion = kv
	}
	rel, err := i.RunWithContext(ctx, ch, s.Values)
	if err != nil {
		return Result{}, fmt.Errorf("render %s (chart %s@%s): %w", s.Name, ch.Metadata.Name, ch.Metadata.Version, err)
	}
	r, err := toV1(rel)
	if err != nil {
		return Result{}, err
	}
	res := result(Rendered, r)
	var hooks strings.Builder
	for _, h := range r.Hooks {
		// `helm test` hooks never run in an install or upgrade: their
		// images and requests are not the platform's.
		if len(h.Events) > 0 && !slices.ContainsFunc(h.Events, func(e rspb.HookEvent) bool { return e != rspb.HookTest }) {
			continue
		}
		fmt.Fprintf(&hooks, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
	}
	res.Manifest += hooks.String()
	return res, nil
}

// ParseObjects lists the resources in a rendered manifest. Objects with no
// namespace get ns; for cluster-scoped kinds the caller's REST mapper
// decides that the namespace does not apply.
func ParseObjects(manifest, ns string) []kube.Ref {
	var out []kube.Ref
	for _, doc := range strings.Split(manifest, "\n---") {
		// The head alone, when it says which object this is (most of a
		// chart's manifest is CRD schemas: see kube.ManifestHead).
		head, ok := kube.DecodeHead(doc, func(h *kube.ObjectID) bool { return h.Kind != "" && h.Metadata.Name != "" })
		if !ok {
			continue
		}
		o := kube.Ref{Kind: head.Kind, Name: head.Metadata.Name, Namespace: head.Metadata.Namespace, Version: head.APIVersion}
		if g, v, ok := strings.Cut(head.APIVersion, "/"); ok {
			o.Group, o.Version = g, v
		}
		if o.Namespace == "" {
			o.Namespace = ns
		}
		out = append(out, o)
	}
	return out
}
