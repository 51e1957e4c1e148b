package app

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	"github.com/slipway-dev/slipway/internal/bootstrap"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/internal/status"
	"github.com/slipway-dev/slipway/internal/teardown"
	"github.com/slipway-dev/slipway/internal/ui"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show each installed component: release, readiness now, URL",
		Description: `status reads the cluster alone (slipway records what it installed), so it
works without the profile. A component that is not ready says why.

Exit codes: 0 every component is ready, 4 some component is not ready
(the report is still printed), 1 the cluster could not be read (nothing
installed by slipway included), 2 bad input; so a script can gate on it:
  slipway status -o json > status.json && echo "all ready"

Examples:
  slipway status
  slipway status -o json | jq '.components[] | select(.readiness != "ready")'`,
		Flags: append([]cli.Flag{outputFlag()}, kubeFlags()...),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			format, err := report.ParseFormat(cmd.String("output"))
			if err != nil {
				return usageError("%v", err)
			}
			rows, err := status.Run(ctx, kubeOptions(cmd))
			if err != nil {
				return withCode(1, err)
			}
			if err := report.WriteStatus(cmd.Root().Writer, format, rows); err != nil {
				return err
			}
			return notReady(rows)
		},
	}
}

// upOnlyFlags act on an install and its cluster: up takes them, the
// commands that only build a plan (diff, template, bundle) refuse them
// rather than accept and ignore them.
var upOnlyFlags = []string{"lock", "show-passwords", "dry-run", "create-cluster", "cluster-name", "kind-config",
	"skip-preflight", "rollback-on-failure", "timeout", "quiet", "wait-for-lock", "adopt"}

// planFlags are the flags that shape a plan, shared by up, diff and
// template. up's own (upOnlyFlags) are refused by the others rather than
// accepted and ignored.
func planFlags() []cli.Flag {
	return flagsWithout(upCommand().Flags, upOnlyFlags...)
}

// flagsWithout drops the flags with the given names.
func flagsWithout(flags []cli.Flag, names ...string) []cli.Flag {
	var out []cli.Flag
	for _, f := range flags {
		if !slices.Contains(names, f.Names()[0]) {
			out = append(out, f)
		}
	}
	return out
}

func diffCommand() *cli.Command {
	return &cli.Command{
		Name:    "diff",
		Aliases: []string{"plan"},
		Usage:   "show what `up` would change, without changing anything",
		Description: `diff builds the same plan as up (same flags) and compares it with the
cluster: per component install, upgrade (chart version, changed values with
secrets masked, and a manifest diff) or unchanged.

Exit codes: 0 nothing would change, 3 changes pending, 2 bad input, 1 error;
so a script can gate on it:
  slipway diff --set jenkins.controller.numExecutors=2 || [ $? -eq 3 ] && echo "changes pending"`,
		Flags: planFlags(),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			format, err := report.ParseFormat(cmd.String("output"))
			if err != nil {
				return usageError("%v", err)
			}
			opts, err := upOptions(cmd)
			if err != nil {
				return err
			}
			d, changes, err := bootstrap.Diff(ctx, opts, ui.New(cmd.Root().ErrWriter, true))
			if err != nil {
				return exitCodeFor(ctx, err)
			}
			if err := report.WriteDiff(cmd.Root().Writer, format, *d); err != nil {
				return err
			}
			if changes {
				return &exitError{code: 3, err: fmt.Errorf("changes pending (exit 3); `slipway up` with the same flags applies them")}
			}
			return nil
		},
	}
}

func templateCommand() *cli.Command {
	return &cli.Command{
		Name:  "template",
		Usage: "render every manifest of a profile, with no cluster",
		Description: `template resolves the profile's chart versions and renders all releases
as up would, without a cluster or kubeconfig.

Examples:
  slipway template > platform.yaml
  slipway template --profile classic --output-dir rendered/ --kube-version v1.34.0
  slipway template --locked slipway.lock --offline`,
		Flags: append(flagsWithout(planFlags(), "output", "kubeconfig", "context"),
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "yaml", Usage: "`yaml`: manifests are YAML documents, as helm template prints them"},
			&cli.StringFlag{Name: "output-dir", Usage: "write one file per component into `DIR` instead of stdout", TakesFile: true},
			&cli.StringFlag{Name: "kube-version", Value: "v1.37.0", Usage: "Kubernetes `VERSION` the charts are rendered for"},
		),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if o := cmd.String("output"); o != "yaml" {
				return usageError("template -o %s: template prints Kubernetes manifests, which are YAML only (-o yaml); `slipway diff -o json` or `slipway up --dry-run -o json` print the plan as JSON", o)
			}
			opts, err := upOptions(cmd)
			if err != nil {
				return err
			}
			opts.KubeVersion = cmd.String("kube-version")
			err = bootstrap.Template(ctx, opts, ui.New(cmd.Root().ErrWriter, true), cmd.Root().Writer, cmd.String("output-dir"))
			return exitCodeFor(ctx, err)
		},
	}
}

func downCommand() *cli.Command {
	return &cli.Command{
		Name:      "down",
		Usage:     "uninstall the platform (or some components) and what slipway created for it",
		ArgsUsage: "[COMPONENT...]",
		Description: `down uninstalls in reverse "needs" order, waits until the resources are
gone, and removes the namespaces and credential Secrets slipway created.
CRDs the charts installed are listed and kept unless --delete-crds.
Running it again when nothing is installed is a no-op.

Examples:
  slipway down                 # asks for confirmation on a terminal
  slipway down --yes argocd
  slipway down --yes --keep-credentials`,
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"},
			&cli.BoolFlag{Name: "keep-credentials", Usage: "keep the credential Secrets (and their namespaces)"},
			&cli.BoolFlag{Name: "delete-crds", Usage: "also delete the CRDs the charts installed"},
			&cli.DurationFlag{Name: "timeout", Value: 10 * time.Minute, Usage: "time to wait for resources to be deleted, e.g. `5m`"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress on stderr"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "none", Usage: "result on stdout: `none` (progress on stderr says what was removed), json or yaml"},
			waitForLockFlag(),
		}, kubeFlags()...),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			format, err := report.ParseFormat(cmd.String("output"), report.JSON, report.YAML)
			if cmd.String("output") == "none" {
				format, err = report.Table, nil
			}
			if err != nil {
				return usageError("unknown output format %q: use one of none, json, yaml", cmd.String("output"))
			}
			if err := checkTimeout(cmd.Duration("timeout")); err != nil {
				return usageError("%w", err)
			}
			o := teardown.Options{
				Components: cmd.Args().Slice(), KeepCredentials: cmd.Bool("keep-credentials"),
				DeleteCRDs: cmd.Bool("delete-crds"), Timeout: cmd.Duration("timeout"), Kube: kubeOptions(cmd),
				WaitForLock: cmd.Bool("wait-for-lock"),
			}
			if !cmd.Bool("yes") {
				in, ok := cmd.Root().Reader.(*os.File)
				if !ok || !term.IsTerminal(int(in.Fd())) {
					return usageError("down removes releases, namespaces and Secrets: pass --yes to confirm when not on a terminal")
				}
				o.Confirm = func(summary string) bool {
					fmt.Fprintf(cmd.Root().ErrWriter, "%s [y/N] ", summary)
					line, _ := bufio.NewReader(in).ReadString('\n')
					return strings.EqualFold(strings.TrimSpace(line), "y") || strings.EqualFold(strings.TrimSpace(line), "yes")
				}
			}
			res, err := teardown.Run(ctx, o, ui.New(cmd.Root().ErrWriter, cmd.Bool("quiet")))
			if err == nil {
				err = report.WriteDown(cmd.Root().Writer, format, res)
			}
			return exitCodeFor(ctx, err)
		},
	}
}
