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
	"sigs.k8s.io/yaml"
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
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		// The head alone first: a CRD's schema is most of Argo CD's
		// 1.9 MB manifest, and decoding all of it took 0.1-0.3 s between
		// an install and its readiness wait (issue 18).
		if err := yaml.Unmarshal([]byte(docHead(doc)), &head); err != nil || head.Kind == "" || head.Metadata.Name == "" {
			head.Kind, head.Metadata.Name = "", ""
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil || head.Kind == "" || head.Metadata.Name == "" {
				continue
			}
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

// docHead keeps the lines of a YAML document's top-level apiVersion,
// kind and metadata keys. A line that starts in the first column is a
// top-level key (or a comment, or an entry of a top-level sequence):
// every value's own lines are indented. A document written otherwise
// (flow style, JSON) yields no kind, and ParseObjects decodes it whole.
func docHead(doc string) string {
	var b strings.Builder
	keep := false
	for line := range strings.Lines(doc) {
		if c := line[0]; c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '#' {
			keep = strings.HasPrefix(line, "apiVersion:") || strings.HasPrefix(line, "kind:") || strings.HasPrefix(line, "metadata:")
		}
		if keep {
			b.WriteString(line)
		}
	}
	return b.String()
}
