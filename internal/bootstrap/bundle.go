package bootstrap

import (
	"context"
	"fmt"
	"slices"

	"github.com/slipway-dev/slipway/internal/bundle"
	"github.com/slipway-dev/slipway/internal/release"
	"github.com/slipway-dev/slipway/internal/ui"
)

// BundleCreate writes a bundle of the profile opts select to out: every
// chart at its resolved version, the lock, and the images the rendered
// manifests use (rendered as `slipway template` would, for kubeVersion,
// with no cluster); and, when opts.Lock names a file, the bundle's lock
// there too.
func BundleCreate(ctx context.Context, opts Options, printer *ui.Printer, out, kubeVersion string) error {
	p, images, err := prepareImages(ctx, opts, printer, kubeVersion)
	if err != nil {
		return err
	}
	defer p.Close()
	lf := p.lockOf()
	var chs []bundle.Chart
	for _, e := range lf.Charts {
		chs = append(chs, bundle.Chart{Lock: e, Path: p.chartPath(e.Component)})
	}
	if err := bundle.Write(out, lf, chs, images); err != nil {
		return err
	}
	printer.Infof("wrote bundle %s: profile %s@%s, %d charts, %d images; install it with `slipway up --bundle %s`", out, p.Profile.Name, p.Profile.Version, len(chs), len(images), out)
	if opts.Lock == "" {
		return nil
	}
	// The bundle's own lock, images digest included, to keep apart from
	// the bundle: up --bundle B --locked L refuses a B changed since.
	if err := lf.Write(opts.Lock); err != nil {
		return err
	}
	printer.Infof("wrote lock file %s: keep it where the bundle's carriers cannot change it, and install with `slipway up --bundle %s --locked %s`", opts.Lock, out, opts.Lock)
	return nil
}

// BundleImages lists the images the profile's rendered manifests use.
func BundleImages(ctx context.Context, opts Options, printer *ui.Printer, kubeVersion string) ([]string, error) {
	p, images, err := prepareImages(ctx, opts, printer, kubeVersion)
	if err != nil {
		return nil, err
	}
	p.Close()
	return images, nil
}

func prepareImages(ctx context.Context, opts Options, printer *ui.Printer, kubeVersion string) (*Prepared, []string, error) {
	opts.DryRun, opts.NoCluster = true, true
	p, _, err := prepare(ctx, opts, printer)
	if err != nil {
		return nil, nil, err
	}
	rendered, err := p.render(ctx, kubeVersion)
	if err != nil {
		p.Close()
		return nil, nil, fmt.Errorf("render for the image list: %w", err)
	}
	var images []string
	for _, res := range rendered {
		images = append(images, bundle.ImagesOf(res.Manifest)...)
	}
	slices.Sort(images)
	return p, slices.Compact(images), nil
}

// render renders every release of the plan without a cluster, in plan
// order, for kubeVersion ("" for Helm's default).
func (p *Prepared) render(ctx context.Context, kubeVersion string) ([]release.Result, error) {
	out := make([]release.Result, 0, len(p.Plan.Releases))
	for _, rel := range p.Plan.Releases {
		res, err := release.Render(ctx, release.Spec{Name: rel.Name, Namespace: rel.Namespace, ChartPath: p.chartPath(rel.Component), Values: rel.Values}, kubeVersion)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rel.Component, err)
		}
		out = append(out, res)
	}
	return out, nil
}
