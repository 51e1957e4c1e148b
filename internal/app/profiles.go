package app

import (
	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/profiles"
)

func profilesCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "profiles",
		Args:  cobra.ArbitraryArgs,
		RunE:  groupAction,
		Short: "list and show the versioned profiles built into slipway",
		Long: `A profile names the charts slipway installs, their version constraints,
default values and hostnames. Every released version is kept, so
--profile default@1.0.0 always means the same platform.

Examples:
  slipway profiles list
  slipway profiles show default
  slipway profiles show default@1.2.0 > my-profile.yaml   # then: slipway up --profile ./my-profile.yaml`,
	}
	list := &cobra.Command{
		Use:   "list",
		Args:  noArgs,
		Short: "list profiles with their versions and descriptions",
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := report.ParseFormat(flagString(cmd, "output"))
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
			return report.WriteProfiles(cmd.OutOrStdout(), format, rows)
		},
	}
	addOutputFlag(list.Flags(), "table")
	show := &cobra.Command{
		Use:   "show NAME[@VERSION]",
		Args:  cobra.ArbitraryArgs,
		Short: "print a profile as YAML (or -o json), after defaults",
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := report.ParseFormat(flagString(cmd, "output"), report.YAML, report.JSON)
			if err != nil {
				return usageError("%v", err)
			}
			if len(args) != 1 {
				return usageError("profiles show takes one profile, e.g. slipway profiles show default@1.0.0")
			}
			p, err := profile.NewCatalog(profiles.FS).Resolve(args[0])
			if err != nil {
				return withCode(2, err)
			}
			// A profile is already a document with apiVersion and kind.
			return report.Encode(cmd.OutOrStdout(), format, p)
		},
	}
	show.Flags().StringP("output", "o", "yaml", "`yaml` (a profile file up --profile reads) or json")
	c.AddCommand(list, show)
	return c
}
