package bootstrap

import (
	"context"
	"fmt"
	"slices"

	"github.com/slipwayhq/slipway/internal/bundle"
	"github.com/slipwayhq/slipway/internal/ui"
)

// BundleCreate writes a bundle of the profile opts select to out: every
// chart at its resolved version, the lock, and the images the rendered
// manifests use (rendered as `slipway template` would, for kubeVersion,
// with no cluster).
func BundleCreate(ctx context.Context, opts Options, printer *ui.Printer, out, kubeVersion string) error {
	r, images, err := prepareImages(ctx, opts, printer, kubeVersion)
	if err != nil {
		return err
	}
	defer r.close()
	lf := r.lockOf()
	var chs []bundle.Chart
	for _, e := range lf.Charts {
		chs = append(chs, bundle.Chart{Lock: e, Path: r.chartPath(e.Component)})
	}
	if err := bundle.Write(out, lf, chs, images); err != nil {
		return err
	}
	printer.Infof("wrote bundle %s: profile %s@%s, %d charts, %d images; install it with `slipway up --bundle %s`", out, r.profile.Name, r.profile.Version, len(chs), len(images), out)
	return nil
}

// BundleImages lists the images the profile's rendered manifests use.
func BundleImages(ctx context.Context, opts Options, printer *ui.Printer, kubeVersion string) ([]string, error) {
	r, images, err := prepareImages(ctx, opts, printer, kubeVersion)
	if err != nil {
		return nil, err
	}
	r.close()
	return images, nil
}

func prepareImages(ctx context.Context, opts Options, printer *ui.Printer, kubeVersion string) (*run, []string, error) {
	opts.DryRun, opts.NoCluster = true, true
	r, err := prepare(ctx, opts, printer)
	if err != nil {
		return nil, nil, err
	}
	rendered, err := r.render(ctx, kubeVersion)
	if err != nil {
		r.close()
		return nil, nil, fmt.Errorf("render for the image list: %w", err)
	}
	var images []string
	for _, res := range rendered {
		images = append(images, bundle.ImagesOf(res.Manifest)...)
	}
	slices.Sort(images)
	return r, slices.Compact(images), nil
}
