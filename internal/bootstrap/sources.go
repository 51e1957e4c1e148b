package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/slipway-dev/slipway/internal/charts"
	"github.com/slipway-dev/slipway/internal/lock"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/profile"
)

// Chart is one component's chart: resolved to an exact version, then
// fetched to disk.
type Chart struct {
	charts.Resolved
	Fetched charts.Fetched
}

// planChart is what the planner records of it.
func (c Chart) planChart() plan.Chart {
	return plan.Chart{Name: c.Name, Version: c.Version, Ref: c.Ref, Digest: c.Digest}
}

// resolveCharts turns every component's constraint into one exact chart
// version: from the lock when there is one (a bundle's charts are used as
// they are), else the highest matching version its source offers.
func resolveCharts(ctx context.Context, loc *charts.Locator, p *profile.Profile, ls lockSource) (map[string]Chart, error) {
	if ls.file != nil {
		var comps []lock.Component
		for _, c := range p.Components {
			lc := lock.Component{Name: c.Name, Constraint: c.Chart.Version}
			if c.Chart.Path == "" {
				lc.Chart = sourceOf(c, p).ChartName()
			}
			comps = append(comps, lc)
		}
		if err := ls.file.Match(ls.name, p.Name, p.Version, comps); err != nil {
			return nil, outcome.Input(err)
		}
	}
	resolved := make([]charts.Resolved, len(p.Components))
	err := eachComponent(p, func(i int, c profile.Component) (err error) {
		resolved[i], err = resolveOne(ctx, loc, sourceOf(c, p), c, ls)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]Chart{}
	for i, c := range p.Components {
		out[c.Name] = Chart{Resolved: resolved[i]}
	}
	return out, nil
}

func resolveOne(ctx context.Context, loc *charts.Locator, src charts.Source, c profile.Component, ls lockSource) (charts.Resolved, error) {
	if ls.file == nil {
		return loc.Resolve(ctx, src, c.Chart.Version)
	}
	e, _ := ls.file.Get(c.Name) // Match made sure it is there
	if p, ok := ls.bundlePaths[c.Name]; ok {
		return charts.Resolved{Name: e.Name, Version: e.Version, Ref: p}, nil
	}
	res, err := loc.Resolve(ctx, src, "="+e.Version)
	if err != nil {
		return res, err
	}
	// A repository that now publishes another digest for the locked
	// version fails here, before any download.
	if res.Digest != "" && e.Format == lock.FormatArchive && res.Digest != e.Digest {
		return res, &lock.MismatchError{File: ls.name, Chart: e, Actual: res.Digest + " (published in the repository's index)"}
	}
	return res, nil
}

// fetchCharts brings every chart to disk (from the cache when it is
// there) and checks it against the lock, so that no component is
// installed unless every chart is present and verified. It fills in
// each Chart's Fetched.
func fetchCharts(ctx context.Context, loc *charts.Locator, p *profile.Profile, ls lockSource, chs map[string]Chart) error {
	got := make([]charts.Fetched, len(p.Components))
	err := eachComponent(p, func(i int, c profile.Component) (err error) {
		got[i], err = loc.Get(ctx, chs[c.Name].Resolved)
		if err == nil && ls.file != nil {
			err = ls.file.Verify(ls.name, c.Name, got[i].Digest)
		}
		return err
	})
	if err != nil {
		return err
	}
	for i, c := range p.Components {
		ch := chs[c.Name]
		ch.Fetched = got[i]
		chs[c.Name] = ch
	}
	return nil
}

// eachComponent runs fn for every component at once and joins their
// errors, each naming its component. A chart missing from the cache,
// refused in the form its source gave it, or differing from the lock is
// bad input (nothing was changed).
func eachComponent(p *profile.Profile, fn func(i int, c profile.Component) error) error {
	errs := make([]error, len(p.Components))
	var wg sync.WaitGroup
	for i, c := range p.Components {
		wg.Go(func() {
			if err := fn(i, c); err != nil {
				errs[i] = fmt.Errorf("component %s: %w", c.Name, err)
			}
		})
	}
	wg.Wait()
	err := errors.Join(errs...)
	var mm *lock.MismatchError
	if errors.Is(err, charts.ErrNotCached) || errors.Is(err, charts.ErrRefused) || errors.As(err, &mm) {
		return outcome.Input(err)
	}
	return err
}
