package app

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/slipway-dev/slipway/internal/bootstrap"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/internal/status"
	"github.com/slipway-dev/slipway/internal/teardown"
	"github.com/slipway-dev/slipway/internal/ui"
)

func statusCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "status",
		Short: "show each installed component: release, readiness now, URL",
		Long: `status reads the cluster alone (slipway records what it installed), so it
works without the profile. A component that is not ready says why.

Exit codes: 0 every component is ready, 4 some component is not ready
(the report is still printed), 1 the cluster could not be read (nothing
installed by slipway included), 2 bad input; so a script can gate on it:
  slipway status -o json > status.json && echo "all ready"

Examples:
  slipway status
  slipway status -o json | jq '.components[] | select(.readiness != "ready")'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			format, err := report.ParseFormat(flagString(cmd, "output"))
			if err != nil {
				return usageError("%v", err)
			}
			ko, err := kubeOptions(cmd)
			if err != nil {
				return err
			}
			rows, err := status.Run(ctx, ko)
			if err != nil {
				return withCode(1, err)
			}
			if err := report.WriteStatus(cmd.OutOrStdout(), format, rows); err != nil {
				return err
			}
			return notReady(rows)
		},
	}
	addOutputFlag(c.Flags(), "table")
	addKubeFlags(c)
	return c
}

// upOnlyFlags act on an install and its cluster: up takes them, the
// commands that only build a plan (diff, template, bundle) refuse them
// rather than accept and ignore them.
var upOnlyFlags = []string{"lock", "show-passwords", "dry-run", "create-cluster", "cluster-name", "kind-config",
	"skip-preflight", "rollback-on-failure", "timeout", "quiet", "wait-for-lock", "adopt"}

// addPlanFlags gives c the flags that shape a plan, shared by up, diff
// and template, except those named. up's own (upOnlyFlags) are refused
// by the others rather than accepted and ignored.
func addPlanFlags(c *cobra.Command, except ...string) {
	copyFlags(c.Flags(), upFlags(), append(except, upOnlyFlags...)...)
}

func diffCommand() *cobra.Command {
	c := &cobra.Command{
		Use:     "diff",
		Aliases: []string{"plan"},
		Short:   "show what `up` would change, without changing anything",
		Long: `diff builds the same plan as up (same flags) and compares it with the
cluster: per component install, upgrade (chart version, changed values with
secrets masked, and a manifest diff) or unchanged.

Exit codes: 0 nothing would change, 3 changes pending, 2 bad input, 1 error;
so a script can gate on it:
  slipway diff --set jenkins.controller.numExecutors=2 || [ $? -eq 3 ] && echo "changes pending"`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			format, err := report.ParseFormat(flagString(cmd, "output"))
			if err != nil {
				return usageError("%v", err)
			}
			opts, err := upOptions(cmd, args)
			if err != nil {
				return err
			}
			d, changes, err := bootstrap.Diff(ctx, opts, ui.New(cmd.ErrOrStderr(), true))
			if err != nil {
				return exitCodeFor(ctx, err)
			}
			if err := report.WriteDiff(cmd.OutOrStdout(), format, *d); err != nil {
				return err
			}
			if changes {
				return &exitError{code: 3, err: fmt.Errorf("changes pending (exit 3); `slipway up` with the same flags applies them")}
			}
			return nil
		},
	}
	addPlanFlags(c)
	addKubeFlags(c)
	return grouped(c)
}

func templateCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "template",
		Short: "render every manifest of a profile, with no cluster",
		Long: `template resolves the profile's chart versions and renders all releases
as up would, without a cluster or kubeconfig.

Examples:
  slipway template > platform.yaml
  slipway template --profile classic --output-dir rendered/ --kube-version v1.34.0
  slipway template --locked slipway.lock --offline`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if o := flagString(cmd, "output"); o != "yaml" {
				return usageError("template -o %s: template prints Kubernetes manifests, which are YAML only (-o yaml); `slipway diff -o json` or `slipway up --dry-run -o json` print the plan as JSON", o)
			}
			opts, err := upOptions(cmd, args)
			if err != nil {
				return err
			}
			opts.KubeVersion = flagString(cmd, "kube-version")
			err = bootstrap.Template(ctx, opts, ui.New(cmd.ErrOrStderr(), true), cmd.OutOrStdout(), flagString(cmd, "output-dir"))
			return exitCodeFor(ctx, err)
		},
	}
	addPlanFlags(c, "output")
	fs := c.Flags()
	fs.StringP("output", "o", "yaml", "`yaml`: manifests are YAML documents, as helm template prints them")
	fs.String("output-dir", "", "write one file per component into `DIR` instead of stdout")
	fs.String("kube-version", "v1.37.0", "Kubernetes `VERSION` the charts are rendered for")
	return grouped(c)
}

func downCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "down [COMPONENT...]",
		Short: "uninstall the platform (or some components) and what slipway created for it",
		Long: `down uninstalls in reverse "needs" order, waits until the resources are
gone, and removes the namespaces and credential Secrets slipway created.
CRDs the charts installed are listed and kept unless --delete-crds.
Running it again when nothing is installed is a no-op.

Examples:
  slipway down                 # asks for confirmation on a terminal
  slipway down --yes argocd
  slipway down --yes --keep-credentials`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			format, err := report.ParseFormat(flagString(cmd, "output"), report.JSON, report.YAML)
			if flagString(cmd, "output") == "none" {
				format, err = report.Table, nil
			}
			if err != nil {
				return usageError("unknown output format %q: use one of none, json, yaml", flagString(cmd, "output"))
			}
			if err := checkTimeout(flagDuration(cmd, "timeout")); err != nil {
				return usageError("%w", err)
			}
			ko, err := kubeOptions(cmd)
			if err != nil {
				return err
			}
			o := teardown.Options{
				Components: args, KeepCredentials: flagBool(cmd, "keep-credentials"),
				DeleteCRDs: flagBool(cmd, "delete-crds"), Timeout: flagDuration(cmd, "timeout"), Kube: ko,
				WaitForLock: flagBool(cmd, "wait-for-lock"),
			}
			if !flagBool(cmd, "yes") {
				in, ok := cmd.InOrStdin().(*os.File)
				if !ok || !term.IsTerminal(int(in.Fd())) {
					return usageError("down removes releases, namespaces and Secrets: pass --yes to confirm when not on a terminal")
				}
				o.Confirm = func(summary string) bool {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s [y/N] ", summary)
					line, _ := bufio.NewReader(in).ReadString('\n')
					return strings.EqualFold(strings.TrimSpace(line), "y") || strings.EqualFold(strings.TrimSpace(line), "yes")
				}
			}
			res, err := teardown.Run(ctx, o, ui.New(cmd.ErrOrStderr(), flagBool(cmd, "quiet")))
			if err == nil {
				err = report.WriteDown(cmd.OutOrStdout(), format, res)
			}
			return exitCodeFor(ctx, err)
		},
	}
	fs := c.Flags()
	fs.BoolP("yes", "y", false, "do not ask for confirmation")
	fs.Bool("keep-credentials", false, "keep the credential Secrets (and their namespaces)")
	fs.Bool("delete-crds", false, "also delete the CRDs the charts installed")
	fs.Duration("timeout", 10*time.Minute, "time to wait for resources to be deleted, e.g. `5m`")
	fs.BoolP("quiet", "q", false, "no progress on stderr")
	fs.StringP("output", "o", "none", "result on stdout: `none` (progress on stderr says what was removed), json or yaml")
	addWaitForLockFlag(fs)
	addKubeFlags(c)
	return c
}
