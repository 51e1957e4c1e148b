package app

import (
	"context"

	"github.com/urfave/cli/v3"

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
					rows := make([]report.ProfileSummary, 0, len(list))
					for _, p := range list {
						rows = append(rows, report.ProfileSummary{Name: p.Name, Versions: p.Versions, Description: p.Description})
					}
					return report.WriteProfiles(cmd.Root().Writer, format, rows)
				},
			},
			{
				Name:      "show",
				Usage:     "print a profile as YAML (or -o json), after defaults",
				ArgsUsage: "NAME[@VERSION]",
				Flags:     []cli.Flag{&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "yaml", Usage: "`yaml` (a profile file up --profile reads) or json"}},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					format, err := report.ParseFormat(cmd.String("output"), report.YAML, report.JSON)
					if err != nil {
						return usageError("%v", err)
					}
					if cmd.Args().Len() != 1 {
						return usageError("profiles show takes one profile, e.g. slipway profiles show default@1.0.0")
					}
					p, err := profile.NewCatalog(profiles.FS).Resolve(cmd.Args().First())
					if err != nil {
						return withCode(2, err)
					}
					// A profile is already a document with apiVersion and kind.
					return report.Encode(cmd.Root().Writer, format, p)
				},
			},
		},
	}
}
