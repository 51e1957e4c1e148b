package app

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v3"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/profiles"
)

func profilesCommand() *cli.Command {
	return &cli.Command{
		Name:  "profiles",
		Usage: "list and show the versioned profiles built into slipway",
		Description: `A profile names the charts slipway installs, their version constraints,
default values and hostnames. Every released version is kept, so
--profile default@1.0.0 always means the same platform.

Examples:
  slipway profiles list
  slipway profiles show default
  slipway profiles show default@1.2.0 > my-profile.yaml   # then: slipway up --profile ./my-profile.yaml`,
		Commands: []*cli.Command{
			{
				Name:  "list",
				Usage: "list profiles with their versions and descriptions",
				Flags: []cli.Flag{outputFlag()},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					format, err := report.ParseFormat(cmd.String("output"))
					if err != nil {
						return usageError("%v", err)
					}
					list, err := profile.NewCatalog(profiles.FS).List()
					if err != nil {
						return withCode(1, err)
					}
					out := cmd.Root().Writer
					if format != report.Table {
						return report.Encode(out, format, map[string]any{"profiles": list})
					}
					tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "NAME\tVERSIONS\tDESCRIPTION")
					for _, s := range list {
						fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, strings.Join(s.Versions, ", "), s.Description)
					}
					return tw.Flush()
				},
			},
			{
				Name:      "show",
				Usage:     "print a profile as YAML, after defaults",
				ArgsUsage: "NAME[@VERSION]",
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if cmd.Args().Len() != 1 {
						return usageError("profiles show takes one profile, e.g. slipway profiles show default@1.0.0")
					}
					p, err := profile.NewCatalog(profiles.FS).Resolve(cmd.Args().First())
					if err != nil {
						return withCode(2, err)
					}
					data, err := yaml.Marshal(p)
					if err != nil {
						return err
					}
					_, err = cmd.Root().Writer.Write(data)
					return err
				},
			},
		},
	}
}
