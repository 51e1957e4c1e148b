package app

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/slipway-dev/slipway/internal/bootstrap"
	"github.com/slipway-dev/slipway/internal/bundle"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/internal/ui"
)

// bundleFlags are the plan-shaping flags of up that matter with no
// cluster (profile, choices, --without, values, sources, cache, logins).
func bundleFlags() []cli.Flag {
	return append(flagsWithout(planFlags(), "bundle", "output", "kubeconfig", "context", "password", "registry-username", "registry-password",
		"gitops-username", "gitops-password", "gitops-ssh-key", "gitops-known-hosts"),
		&cli.StringFlag{Name: "kube-version", Value: "v1.37.0", Usage: "Kubernetes `VERSION` the charts are rendered for (to list their images)"})
}

func bundleCommand() *cli.Command {
	return &cli.Command{
		Name:  "bundle",
		Usage: "pack a profile's charts, lock and image list into one file, for installs with no network",
		Description: `A bundle holds every chart of a profile at its resolved version (byte for
byte, as fetched), the lock that pins their digests and the digest of
images.txt: the container images the rendered manifests use. Copy it to a
machine with no internet and run slipway up --bundle FILE there; load the
images first.

What a bundle proves: that it agrees with itself. Every chart and images.txt
match the digests of the lock inside it, nothing else rides along, and a
damaged or half-edited bundle is refused (exit 2) before anything changes.
What it does not prove: who made it. Whoever can change a chart in it can
recompute the lock in it too. To pin a bundle, keep the lock bundle create
--lock wrote (or one you trust) apart from it and pass it: up --bundle B
--locked L (and bundle images) refuse a bundle whose lock differs from L in
any component, version or digest. images.txt names images by tag as the
charts render them; slipway neither pulls nor verifies images.

Examples:
  slipway bundle create --profile default@1.0.0 -o platform.tgz --lock platform.lock
  slipway bundle images --bundle platform.tgz --locked platform.lock | xargs -n1 kind load docker-image --name slipway
  slipway up --bundle platform.tgz --locked platform.lock`,
		Commands: []*cli.Command{bundleCreateCommand(), bundleImagesCommand()},
	}
}

func bundleCreateCommand() *cli.Command {
	return &cli.Command{
		Name:  "create",
		Usage: "write a bundle of the profile: charts, slipway.lock and images.txt",
		Description: `create resolves the profile as up would (same --profile, --ingress, --gitops,
--without, --set/-f, mirror and cache flags), fetches every chart, renders
the manifests with no cluster to list their images, and writes FILE
atomically with mode 0600.

Examples:
  slipway bundle create -o platform.tgz
  slipway bundle create --profile classic@1.0.0 --gitops flux -o classic.tgz
  slipway bundle create --locked slipway.lock -o platform.tgz   # exactly the locked charts
  slipway bundle create -o platform.tgz --lock platform.lock    # and its lock, to pin it with`,
		Flags: append(bundleFlags(),
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress on stderr (warnings and errors still show)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Required: true, Usage: "bundle `FILE` to write, e.g. platform.tgz", TakesFile: true},
			&cli.StringFlag{Name: "lock", Usage: "also write the bundle's lock (chart digests and the images.txt digest) to `FILE`, to keep apart from the bundle and pass to up --bundle B --locked FILE", TakesFile: true},
		),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			opts, err := upOptions(cmd)
			if err != nil {
				return err
			}
			printer := ui.New(cmd.Root().ErrWriter, cmd.Bool("quiet"))
			return exitCodeFor(ctx, bootstrap.BundleCreate(ctx, opts, printer, cmd.String("output"), cmd.String("kube-version")))
		},
	}
}

func bundleImagesCommand() *cli.Command {
	return &cli.Command{
		Name:  "images",
		Usage: "print the container images a profile (or a bundle) uses, one a line",
		Description: `images prints the sorted unique images of the rendered manifests, from a
bundle's images.txt (--bundle FILE) or by rendering a profile with no
cluster (same flags as up). Preload them so pods start without a registry:
into kind with kind load docker-image, or push them to a local registry.
A bundle is verified as up --bundle verifies it (with --locked, against
that lock too) before a line is printed; exit 2 if up would refuse it.

Examples:
  slipway bundle images --bundle platform.tgz --locked platform.lock
  slipway bundle images --profile default --gitops flux
  slipway bundle images | xargs -n1 kind load docker-image --name slipway`,
		Flags: append(bundleFlags(),
			&cli.StringFlag{Name: "bundle", Usage: "read the list from bundle `FILE` instead of rendering a profile", TakesFile: true},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "name", Usage: "result on stdout: `name` (one image a line), json or yaml"},
		),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			format, err := parseNameFormat(cmd.String("output"))
			if err != nil {
				return err
			}
			var images []string
			if file := cmd.String("bundle"); file != "" {
				if cmd.IsSet("profile") {
					return usageError("--bundle %s already says which profile; drop --profile", file)
				}
				if images, err = bundle.Images(file, cmd.String("locked")); err != nil {
					return withCode(2, err)
				}
			} else {
				opts, err := upOptions(cmd)
				if err != nil {
					return err
				}
				if images, err = bootstrap.BundleImages(ctx, opts, ui.New(cmd.Root().ErrWriter, true), cmd.String("kube-version")); err != nil {
					return exitCodeFor(ctx, err)
				}
			}
			return report.WriteImages(cmd.Root().Writer, format, images)
		},
	}
}
