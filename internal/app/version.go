package app

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/slipway-dev/slipway/internal/buildinfo"
	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/profiles"
)

// urfave/cli's --version also answers to -v, which kubectl, kind and helm
// users read as verbosity: slipway's --version has no short form.
func init() {
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: "print the version (the version command says more)", HideDefault: true, Local: true}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print slipway's version, commit, Go, Helm SDK and client-go versions, and the newest built-in profiles",
		Description: `The version and commit come from the binary's build information, which
"go install github.com/slipway-dev/slipway/cmd/slipway@vX" and a build in a
Git checkout fill in; release builds set them at link time.

Examples:
  slipway version
  slipway version -o json | jq -r .commit`,
		Flags: []cli.Flag{outputFlag()},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			format, err := report.ParseFormat(cmd.String("output"))
			if err != nil {
				return usageError("%v", err)
			}
			if cmd.Args().Len() > 0 {
				return usageError("version takes no arguments, got %q", cmd.Args().First())
			}
			v, err := versionDoc(buildinfo.Read())
			if err != nil {
				return withCode(1, err)
			}
			return report.WriteVersion(cmd.Root().Writer, format, v)
		},
	}
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
