package app

import (
	"context"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/slipway-dev/slipway/internal/bootstrap"
	"github.com/slipway-dev/slipway/internal/cluster"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/internal/ui"
)

func clusterCommand() *cli.Command {
	name := func() cli.Flag {
		return &cli.StringFlag{Name: "name", Value: cluster.DefaultName, Usage: "kind cluster `NAME` (its kubeconfig context is kind-NAME)"}
	}
	kubeconfig := func() cli.Flag {
		return &cli.StringFlag{Name: "kubeconfig", Usage: "kubeconfig `FILE` to write the context to or remove it from (default: $KUBECONFIG or ~/.kube/config)", TakesFile: true}
	}
	skip := func() cli.Flag {
		return &cli.BoolFlag{Name: "skip-preflight", Usage: "do not check the container engine (and, for create, the host ports) first"}
	}
	return &cli.Command{
		Name:  "cluster",
		Usage: "create or delete a local kind cluster shaped for slipway",
		Description: `A kind cluster runs Kubernetes in containers on Docker or Podman. slipway
creates it with kind's Go library (no kind binary needed) from the
repository's kind-config.yaml, built in: one control-plane node labelled
ingress-ready=true that maps host ports 80 and 443, so hostnames like
jenkins.127.0.0.1.sslip.io reach the ingress from this machine.

Examples:
  slipway cluster create                      # cluster "slipway", context kind-slipway
  slipway cluster create --name dev --config my-kind.yaml
  slipway up --create-cluster                 # create (if missing), then install
  slipway cluster list
  slipway cluster delete`,
		Commands: []*cli.Command{
			{
				Name:  "create",
				Usage: "create a kind cluster (a no-op if it exists), wait for its control plane and make it the current kubeconfig context",
				Description: `Before creating, slipway checks that Docker or Podman answers and that the
host ports the configuration maps (80 and 443 by default) are free, and
lists every problem at once (exit 2). KIND_EXPERIMENTAL_PROVIDER=podman
selects Podman, as with the kind CLI.

Examples:
  slipway cluster create
  slipway cluster create --name dev --config my-kind.yaml --wait 10m
  slipway cluster create --kubeconfig ./dev.kubeconfig

Exit codes: 0 created or already there, 1 failed, 2 preflight failed or bad input.`,
				Flags: []cli.Flag{
					name(),
					&cli.StringFlag{Name: "config", Usage: "kind configuration `FILE` (default: the built-in kind-config.yaml)", TakesFile: true},
					&cli.DurationFlag{Name: "wait", Value: 5 * time.Minute, Usage: "how long to wait for the control plane, e.g. `10m`"},
					kubeconfig(), skip(),
					&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress on stderr"},
					&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "name", Usage: "result on stdout: `name` (the kubeconfig context), json or yaml"},
				},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					format, err := parseNameFormat(cmd.String("output"))
					if err != nil {
						return err
					}
					if cmd.Args().Len() > 0 {
						return usageError("cluster create takes no arguments; did you mean --name %s?", cmd.Args().First())
					}
					printer := ui.New(cmd.Root().ErrWriter, cmd.Bool("quiet"))
					ctxName, err := bootstrap.CreateCluster(ctx, clusterOptions(cmd), printer)
					if err != nil {
						return exitCodeFor(ctx, err)
					}
					return report.WriteCluster(cmd.Root().Writer, format, report.Cluster{Name: cmd.String("name"), Context: ctxName})
				},
			},
			{
				Name:  "delete",
				Usage: "delete a kind cluster and its kubeconfig context (a no-op if it does not exist)",
				Description: `Examples:
  slipway cluster delete
  slipway cluster delete --name dev`,
				Flags: []cli.Flag{name(), kubeconfig(), skip()},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if cmd.Args().Len() > 0 {
						return usageError("cluster delete takes no arguments; did you mean --name %s?", cmd.Args().First())
					}
					return exitCodeFor(ctx, bootstrap.DeleteCluster(ctx, clusterOptions(cmd), ui.New(cmd.Root().ErrWriter, false)))
				},
			},
			{
				Name:  "list",
				Usage: "list the kind clusters on this machine",
				Flags: []cli.Flag{skip(),
					&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "name", Usage: "result on stdout: `name` (one a line), json or yaml"},
				},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					format, err := parseNameFormat(cmd.String("output"))
					if err != nil {
						return err
					}
					names, err := bootstrap.ListClusters(ctx, cmd.Bool("skip-preflight"))
					if err != nil {
						return exitCodeFor(ctx, err)
					}
					clusters := make([]report.Cluster, 0, len(names))
					for _, n := range names {
						clusters = append(clusters, report.Cluster{Name: n, Context: cluster.ContextName(n)})
					}
					return report.WriteClusters(cmd.Root().Writer, format, clusters)
				},
			},
		},
	}
}

func clusterOptions(cmd *cli.Command) bootstrap.ClusterOptions {
	return bootstrap.ClusterOptions{
		Name: cmd.String("name"), ConfigFile: cmd.String("config"), Kubeconfig: cmd.String("kubeconfig"),
		Wait: cmd.Duration("wait"), SkipPreflight: cmd.Bool("skip-preflight"),
	}
}
