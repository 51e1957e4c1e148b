package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/release"
	"github.com/slipway-dev/slipway/internal/ui"
)

// checkReleasesOwned refuses, before anything is written, to upgrade a
// release that has a component's name but was not installed by slipway
// (release.Foreign's rule): up upgrades with reset values, which would
// replace whatever its owner set, and `down` would later uninstall it.
// --adopt takes such releases over: the upgrade puts slipway's labels on
// them (issue 17, item 6). A dry run (and diff) says the same, since it
// shows what up would do.
func checkReleasesOwned(ctx context.Context, p *Prepared, d Deps, printer *ui.Printer) error {
	if d.Releases == nil {
		return nil
	}
	var foreign []string
	for _, rel := range p.Plan.Releases {
		mgr, err := d.Releases.For(rel.Namespace)
		if err != nil {
			return err
		}
		info, err := mgr.Get(ctx, rel.Name)
		if err != nil {
			return fmt.Errorf("%s: %w", rel.Component, err)
		}
		msg := release.Foreign(info, rel.Component)
		switch {
		case msg == "":
		case p.Options.Adopt:
			printer.Warnf("%s: --adopt: taking over release %s/%s (revision %d, chart %s@%s); its values are replaced by the plan's", rel.Component, rel.Namespace, rel.Name, info.Revision, info.Chart, info.ChartVersion)
		default:
			foreign = append(foreign, msg)
		}
	}
	if len(foreign) == 0 {
		return nil
	}
	return outcome.Input(errors.New("nothing was changed: " + strings.Join(foreign, "\n") +
		"\nup would upgrade it with the plan's values only, replacing its own; pass --adopt to take it over, or set another namespace or release name for the component in the profile"))
}
