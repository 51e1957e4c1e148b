package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/slipwayhq/slipway/internal/bundle"
	"github.com/slipwayhq/slipway/internal/charts"
	"github.com/slipwayhq/slipway/internal/lock"
	"github.com/slipwayhq/slipway/internal/outcome"
	"github.com/slipwayhq/slipway/internal/plan"
	"github.com/slipwayhq/slipway/internal/profile"
	"github.com/slipwayhq/slipway/internal/release"
)

// close removes what the run extracted (a bundle's charts).
func (r *run) close() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	r.cleanups = nil
}

// readLock reads --locked, or extracts and verifies --bundle, before
// anything else: a damaged bundle fails before the cluster is contacted.
// Without --profile, the lock's own profile and version are used.
func (r *run) readLock(context.Context) error {
	switch {
	case r.opts.Bundle != "" && r.opts.Locked != "":
		return outcome.Input(fmt.Errorf("--bundle %s already carries its lock; drop --locked %s", r.opts.Bundle, r.opts.Locked))
	case r.opts.Bundle != "":
		dir, err := os.MkdirTemp("", "slipway-bundle-")
		if err != nil {
			return err
		}
		r.cleanups = append(r.cleanups, func() { os.RemoveAll(dir) })
		c, err := bundle.Read(r.opts.Bundle, dir)
		if err != nil {
			return outcome.Input(err)
		}
		r.lock, r.lockFile, r.bundlePaths = c.Lock, r.opts.Bundle+":"+bundle.LockName, c.Paths
		r.opts.Offline = true // everything comes from the bundle
		r.ui.Infof("bundle %s: %d charts verified against its lock", r.opts.Bundle, len(c.Paths))
	case r.opts.Locked != "":
		lf, err := lock.Read(r.opts.Locked)
		if err != nil {
			return outcome.Input(err)
		}
		r.lock, r.lockFile = lf, r.opts.Locked
	}
	if r.opts.Profile == "" {
		r.opts.Profile = "default"
		if r.lock != nil {
			r.opts.Profile = r.lock.Profile + "@" + r.lock.ProfileVersion
		}
	}
	return nil
}

// chartSources checks the chart flags (--chart-mirror, --charts-dir)
// before the cluster is contacted, so a typo there is not hidden behind
// an unreachable cluster.
func (r *run) chartSources(context.Context) error {
	loc, err := charts.New(charts.Options{
		Mirror: r.opts.ChartMirror, ChartsDir: r.opts.ChartsDir,
		CacheDir: r.opts.CacheDir, Offline: r.opts.Offline,
		RegistryConfig: r.opts.RegistryConfig, RepositoryConfig: r.opts.RepositoryConfig,
	})
	if err != nil {
		return outcome.Input(err)
	}
	r.charts = loc
	return nil
}

// resolveCharts turns every component's constraint into one exact chart
// version: from the lock when there is one (a bundle's charts are used as
// they are), else the highest matching version its source offers.
func (r *run) resolveCharts(ctx context.Context) error {
	if r.lock != nil {
		var comps []lock.Component
		for _, c := range r.profile.Components {
			lc := lock.Component{Name: c.Name, Constraint: c.Chart.Version}
			if c.Chart.Path == "" {
				lc.Chart = sourceOf(c, r.profile).ChartName()
			}
			comps = append(comps, lc)
		}
		if err := r.lock.Match(r.lockFile, r.profile.Name, r.profile.Version, comps); err != nil {
			return outcome.Input(err)
		}
	}
	resolved := make([]charts.Resolved, len(r.profile.Components))
	err := r.eachComponent(func(i int, c profile.Component) (err error) {
		resolved[i], err = r.resolveOne(ctx, c)
		return err
	})
	if err != nil {
		return err
	}
	r.resolvedCharts = map[string]plan.Chart{}
	for i, c := range r.profile.Components {
		r.resolvedCharts[c.Name] = plan.Chart{Name: resolved[i].Name, Version: resolved[i].Version, Ref: resolved[i].Ref, Digest: resolved[i].Digest}
		r.resolvedRepos[c.Name] = resolved[i].Repo
	}
	return nil
}

func (r *run) resolveOne(ctx context.Context, c profile.Component) (charts.Resolved, error) {
	if r.lock == nil {
		return r.charts.Resolve(ctx, sourceOf(c, r.profile), c.Chart.Version)
	}
	e, _ := r.lock.Get(c.Name) // Match made sure it is there
	if p, ok := r.bundlePaths[c.Name]; ok {
		return charts.Resolved{Name: e.Name, Version: e.Version, Ref: p}, nil
	}
	res, err := r.charts.Resolve(ctx, sourceOf(c, r.profile), "="+e.Version)
	if err != nil {
		return res, err
	}
	// A repository that now publishes another digest for the locked
	// version fails here, before any download.
	if res.Digest != "" && e.Format == lock.FormatArchive && res.Digest != e.Digest {
		return res, &lock.MismatchError{File: r.lockFile, Chart: e, Actual: res.Digest + " (published in the repository's index)"}
	}
	return res, nil
}

// fetchCharts brings every chart to disk (from the cache when it is
// there) and checks it against the lock, so that no component is
// installed unless every chart is present and verified.
func (r *run) fetchCharts(ctx context.Context) error {
	got := make([]charts.Fetched, len(r.profile.Components))
	err := r.eachComponent(func(i int, c profile.Component) (err error) {
		ch := r.resolvedCharts[c.Name]
		got[i], err = r.charts.Get(ctx, charts.Resolved{Name: ch.Name, Version: ch.Version, Ref: ch.Ref, Digest: ch.Digest, Repo: r.resolvedRepos[c.Name]})
		if err == nil && r.lock != nil {
			err = r.lock.Verify(r.lockFile, c.Name, got[i].Digest)
		}
		return err
	})
	if err != nil {
		return err
	}
	r.fetched = map[string]charts.Fetched{}
	for i, c := range r.profile.Components {
		r.fetched[c.Name] = got[i]
	}
	return nil
}

// eachComponent runs fn for every component at once and joins their
// errors, each naming its component. A chart missing from the cache or
// differing from the lock is bad input (nothing was changed).
func (r *run) eachComponent(fn func(i int, c profile.Component) error) error {
	errs := make([]error, len(r.profile.Components))
	var wg sync.WaitGroup
	for i, c := range r.profile.Components {
		wg.Go(func() {
			if err := fn(i, c); err != nil {
				errs[i] = fmt.Errorf("component %s: %w", c.Name, err)
			}
		})
	}
	wg.Wait()
	err := errors.Join(errs...)
	var mm *lock.MismatchError
	if errors.Is(err, charts.ErrNotCached) || errors.As(err, &mm) {
		return outcome.Input(err)
	}
	return err
}

// chartPath is where a component's chart was fetched to.
func (r *run) chartPath(comp string) string { return r.fetched[comp].Path }

// lockOf is the lock of what this run installs.
func (r *run) lockOf() *lock.File {
	lf := lock.New(r.profile.Name, r.profile.Version)
	for _, c := range r.profile.Components {
		ch, f := r.resolvedCharts[c.Name], r.fetched[c.Name]
		e := lock.Chart{Component: c.Name, Name: ch.Name, Version: ch.Version, Source: ch.Ref, Digest: f.Digest, Format: lock.FormatArchive}
		if f.Dir {
			e.Format = lock.FormatDirectory
		}
		switch src := sourceOf(c, r.profile); {
		case r.bundlePaths[c.Name] != "":
			old, _ := r.lock.Get(c.Name)
			e.Source = old.Source
		case src.Embedded != nil:
			e.Source = "slipway:charts/" + src.Path
		}
		lf.Charts = append(lf.Charts, e)
	}
	return lf
}

// writeLock writes the lock of this run to path.
func (r *run) writeLock(path string) error {
	if err := r.lockOf().Write(path); err != nil {
		return err
	}
	r.ui.Infof("wrote lock file %s (%d charts); `slipway up --locked %s` installs exactly these", path, len(r.profile.Components), path)
	return nil
}

// render renders every release of the plan without a cluster, in plan
// order, for kubeVersion ("" for Helm's default).
func (r *run) render(ctx context.Context, kubeVersion string) ([]release.Result, error) {
	out := make([]release.Result, 0, len(r.plan.Releases))
	for _, rel := range r.plan.Releases {
		res, err := release.Render(ctx, release.Spec{Name: rel.Name, Namespace: rel.Namespace, ChartPath: r.chartPath(rel.Component), Values: rel.Values}, kubeVersion)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rel.Component, err)
		}
		out = append(out, res)
	}
	return out, nil
}
