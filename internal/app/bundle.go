package app

import (
	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/internal/bootstrap"
	"github.com/slipway-dev/slipway/internal/bundle"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/internal/ui"
)

// addBundleFlags gives c the plan-shaping flags of up that matter with no
// cluster (profile, choices, --without, values, sources, cache, logins).
func addBundleFlags(c *cobra.Command) {
	addPlanFlags(c, "bundle", "output", "password", "registry-username", "registry-password",
		"gitops-username", "gitops-password", "gitops-ssh-key", "gitops-known-hosts")
	c.Flags().String("kube-version", "v1.37.0", "Kubernetes `VERSION` the charts are rendered for (to list their images)")
}

func bundleCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "bundle",
		Args:  cobra.ArbitraryArgs,
		RunE:  groupAction,
		Short: "pack a profile's charts, lock and image list into one file, for installs with no network",
		Long: `A bundle holds every chart of a profile at its resolved version (byte for
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
	}
	c.AddCommand(bundleCreateCommand(), bundleImagesCommand())
	return c
}

func bundleCreateCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "create",
		Args:  cobra.ArbitraryArgs,
		Short: "write a bundle of the profile: charts, slipway.lock and images.txt",
		Long: `create resolves the profile as up would (same --profile, --ingress, --gitops,
--without, --set/-f, mirror and cache flags), fetches every chart, renders
the manifests with no cluster to list their images, and writes FILE
atomically with mode 0600.

Examples:
  slipway bundle create -o platform.tgz
  slipway bundle create --profile classic@1.0.0 --gitops flux -o classic.tgz
  slipway bundle create --locked slipway.lock -o platform.tgz   # exactly the locked charts
  slipway bundle create -o platform.tgz --lock platform.lock    # and its lock, to pin it with`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if flagString(cmd, "output") == "" {
				return usageError("bundle create needs -o FILE, the bundle to write, e.g. slipway bundle create -o platform.tgz")
			}
			opts, err := upOptions(cmd, args)
			if err != nil {
				return err
			}
			printer := ui.New(cmd.ErrOrStderr(), flagBool(cmd, "quiet"))
			return exitCodeFor(ctx, bootstrap.BundleCreate(ctx, opts, printer, flagString(cmd, "output"), flagString(cmd, "kube-version")))
		},
	}
	addBundleFlags(c)
	fs := c.Flags()
	fs.BoolP("quiet", "q", false, "no progress on stderr (warnings and errors still show)")
	fs.StringP("output", "o", "", "bundle `FILE` to write, e.g. platform.tgz (required)")
	fs.String("lock", "", "also write the bundle's lock (chart digests and the images.txt digest) to `FILE`, to keep apart from the bundle and pass to up --bundle B --locked FILE")
	return grouped(c)
}

func bundleImagesCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "images",
		Args:  cobra.ArbitraryArgs,
		Short: "print the container images a profile (or a bundle) uses, one a line",
		Long: `images prints the sorted unique images of the rendered manifests, from a
bundle's images.txt (--bundle FILE) or by rendering a profile with no
cluster (same flags as up). Preload them so pods start without a registry:
into kind with kind load docker-image, or push them to a local registry.
A bundle is verified as up --bundle verifies it (with --locked, against
that lock too) before a line is printed; exit 2 if up would refuse it.

Examples:
  slipway bundle images --bundle platform.tgz --locked platform.lock
  slipway bundle images --profile default --gitops flux
  slipway bundle images | xargs -n1 kind load docker-image --name slipway`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			format, err := parseNameFormat(flagString(cmd, "output"))
			if err != nil {
				return err
			}
			var images []string
			if file := flagString(cmd, "bundle"); file != "" {
				if isSet(cmd, "profile") {
					return usageError("--bundle %s already says which profile; drop --profile", file)
				}
				if images, err = bundle.Images(file, flagString(cmd, "locked")); err != nil {
					return withCode(2, err)
				}
			} else {
				opts, err := upOptions(cmd, args)
				if err != nil {
					return err
				}
				if images, err = bootstrap.BundleImages(ctx, opts, ui.New(cmd.ErrOrStderr(), true), flagString(cmd, "kube-version")); err != nil {
					return exitCodeFor(ctx, err)
				}
			}
			return report.WriteImages(cmd.OutOrStdout(), format, images)
		},
	}
	addBundleFlags(c)
	c.Flags().String("bundle", "", "read the list from bundle `FILE` instead of rendering a profile")
	c.Flags().StringP("output", "o", "name", "result on stdout: `name` (one image a line), json or yaml")
	return grouped(c)
}
