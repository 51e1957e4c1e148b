package bootstrap

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/ui"
)

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
