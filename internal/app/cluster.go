package app

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/slipway-dev/slipway/internal/bootstrap"
	"github.com/slipway-dev/slipway/internal/cluster"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/internal/ui"
)

func clusterCommand() *cobra.Command {
	name := func(fs *pflag.FlagSet) {
		fs.String("name", cluster.DefaultName, "kind cluster `NAME` (its kubeconfig context is kind-NAME)")
	}
	kubeconfig := func(fs *pflag.FlagSet) {
		fs.String("kubeconfig", "", "kubeconfig `FILE` to write the context to or remove it from (default: $KUBECONFIG or ~/.kube/config)")
	}
	skip := func(fs *pflag.FlagSet) {
		fs.Bool("skip-preflight", false, "do not check the container engine (and, for create, the host ports) first")
	}
	c := &cobra.Command{
		Use:   "cluster",
		Short: "create or delete a local kind cluster shaped for slipway",
		Args:  cobra.ArbitraryArgs,
		RunE:  groupAction,
		Long: `A kind cluster runs Kubernetes in containers on Docker or Podman. slipway
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
	}
	create := &cobra.Command{
		Use:   "create",
		Args:  cobra.ArbitraryArgs,
		Short: "create a kind cluster (a no-op if it exists), wait for its control plane and make it the current kubeconfig context",
		Long: `Before creating, slipway checks that Docker or Podman answers and that the
host ports the configuration maps (80 and 443 by default) are free, and
lists every problem at once (exit 2). KIND_EXPERIMENTAL_PROVIDER=podman
selects Podman, as with the kind CLI.

Examples:
  slipway cluster create
  slipway cluster create --name dev --config my-kind.yaml --wait 10m
  slipway cluster create --kubeconfig ./dev.kubeconfig

Exit codes: 0 created or already there, 1 failed, 2 preflight failed or bad input.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			format, err := parseNameFormat(flagString(cmd, "output"))
			if err != nil {
				return err
			}
			if len(args) > 0 {
				return usageError("cluster create takes no arguments; did you mean --name %s?", args[0])
			}
			printer := ui.New(cmd.ErrOrStderr(), flagBool(cmd, "quiet"))
			ctxName, err := bootstrap.CreateCluster(ctx, clusterOptions(cmd), printer)
			if err != nil {
				return exitCodeFor(ctx, err)
			}
			return report.WriteCluster(cmd.OutOrStdout(), format, report.Cluster{Name: flagString(cmd, "name"), Context: ctxName})
		},
	}
	fs := create.Flags()
	name(fs)
	fs.String("config", "", "kind configuration `FILE` (default: the built-in kind-config.yaml)")
	fs.Duration("wait", 5*time.Minute, "how long to wait for the control plane, e.g. `10m`")
	kubeconfig(fs)
	skip(fs)
	fs.BoolP("quiet", "q", false, "no progress on stderr")
	fs.StringP("output", "o", "name", "result on stdout: `name` (the kubeconfig context), json or yaml")

	del := &cobra.Command{
		Use:   "delete",
		Args:  cobra.ArbitraryArgs,
		Short: "delete a kind cluster and its kubeconfig context (a no-op if it does not exist)",
		Long: `Examples:
  slipway cluster delete
  slipway cluster delete --name dev`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if len(args) > 0 {
				return usageError("cluster delete takes no arguments; did you mean --name %s?", args[0])
			}
			return exitCodeFor(ctx, bootstrap.DeleteCluster(ctx, clusterOptions(cmd), ui.New(cmd.ErrOrStderr(), false)))
		},
	}
	name(del.Flags())
	kubeconfig(del.Flags())
	skip(del.Flags())

	list := &cobra.Command{
		Use:   "list",
		Args:  noArgs,
		Short: "list the kind clusters on this machine",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			format, err := parseNameFormat(flagString(cmd, "output"))
			if err != nil {
				return err
			}
			names, err := bootstrap.ListClusters(ctx, flagBool(cmd, "skip-preflight"))
			if err != nil {
				return exitCodeFor(ctx, err)
			}
			clusters := make([]report.Cluster, 0, len(names))
			for _, n := range names {
				clusters = append(clusters, report.Cluster{Name: n, Context: cluster.ContextName(n)})
			}
			return report.WriteClusters(cmd.OutOrStdout(), format, clusters)
		},
	}
	skip(list.Flags())
	list.Flags().StringP("output", "o", "name", "result on stdout: `name` (one a line), json or yaml")
	c.AddCommand(create, del, list)
	return c
}

func clusterOptions(cmd *cobra.Command) bootstrap.ClusterOptions {
	return bootstrap.ClusterOptions{
		Name: flagString(cmd, "name"), ConfigFile: flagString(cmd, "config"), Kubeconfig: flagString(cmd, "kubeconfig"),
		Wait: flagDuration(cmd, "wait"), SkipPreflight: flagBool(cmd, "skip-preflight"),
	}
}
