package app

import (
	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/internal/buildinfo"
	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/profiles"
)

func versionCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "version",
		Args:  cobra.ArbitraryArgs,
		Short: "print slipway's version, commit, Go, Helm SDK and client-go versions, and the newest built-in profiles",
		Long: `The version and commit come from the binary's build information, which
"go install github.com/slipway-dev/slipway/cmd/slipway@vX" and a build in a
Git checkout fill in; release builds set them at link time.

Examples:
  slipway version
  slipway version -o json | jq -r .commit`,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := report.ParseFormat(flagString(cmd, "output"))
			if err != nil {
				return usageError("%v", err)
			}
			if len(args) > 0 {
				return usageError("version takes no arguments, got %q", args[0])
			}
			v, err := versionDoc(buildinfo.Read())
			if err != nil {
				return withCode(1, err)
			}
			return report.WriteVersion(cmd.OutOrStdout(), format, v)
		},
	}
	addOutputFlag(c.Flags(), "table")
	return c
}

// versionDoc is the build information plus the newest version of each
// built-in profile (what `up --profile NAME` installs).
func versionDoc(b buildinfo.Info) (report.Version, error) {
	list, err := profile.NewCatalog(profiles.FS).List()
	if err != nil {
		return report.Version{}, err
	}
	v := report.Version{
		Version: b.Version, Commit: b.Commit, CommitDate: b.CommitDate, Dirty: b.Dirty,
		GoVersion: b.GoVersion, Platform: b.Platform, Helm: b.Helm, ClientGo: b.ClientGo,
	}
	for _, s := range list {
		if len(s.Versions) > 0 {
			v.Profiles = append(v.Profiles, report.VersionProfile{Name: s.Name, Version: s.Versions[0]})
		}
	}
	return v, nil
}
