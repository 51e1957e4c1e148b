package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slipway-dev/slipway/internal/cluster"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/release"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/internal/ui"
)

// Up runs `slipway up`: prepare → schedule → report. The returned report
// is non-nil whenever something is worth printing (also on failure, with
// each component's state).
func Up(ctx context.Context, opts Options, printer *ui.Printer) (*report.Up, error) {
	if opts.CreateCluster {
		create := func(ctx context.Context, c ClusterOptions) (string, error) { return CreateCluster(ctx, c, printer) }
		if err := createClusterFirst(ctx, &opts, create); err != nil {
			return nil, err
		}
	}
	// A run whose lock is taken over (it could not renew it for the
	// lease's duration) stops, and says why.
	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	opts.lockLost = stop
	p, deps, err := prepare(runCtx, opts, printer)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	var rep *report.Up
	if opts.DryRun {
		rep, err = dryRun(runCtx, p, printer)
	} else {
		rep, err = apply(runCtx, p, deps, printer)
		if err == nil {
			var notes []string
			notes, err = registryNotes(runCtx, p, realClusterDeps(), printer)
			rep.Notes = append(rep.Notes, notes...)
		}
	}
	if err != nil && runCtx.Err() != nil && ctx.Err() == nil {
		err = context.Cause(runCtx)
	}
	// --lock records what was (or, with --dry-run, would be) installed.
	if err == nil && opts.Lock != "" {
		err = p.writeLock(opts.Lock, printer)
	}
	return rep, err
}

// apply records what it is about to install, runs every release through
// the scheduler, and reports each one's outcome.
func apply(ctx context.Context, p *Prepared, d Deps, printer *ui.Printer) (*report.Up, error) {
	rep := newReport(p)
	for _, rel := range p.Plan.Releases {
		if rel.Warning != "" {
			printer.Warnf("%s: %s", rel.Component, rel.Warning)
		}
		printer.Update(rel.Component, ui.StatePending, rel.Chart.Name+"@"+rel.Chart.Version+startsAfter(rel, p.Plan.Releases), nil)
	}
	// Record what is about to be installed first, so that credentials,
	// status and down find it even if this run is killed half-way.
	if err := d.Record(ctx, inventoryEntries(p)...); err != nil {
		return rep, err
	}
	deadline := time.Now().Add(p.Options.Timeout)
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	in := &installer{p: p, d: d, ui: printer, deadline: deadline, rollback: p.Options.RollbackOnFailure}

	var mu sync.Mutex
	done := map[string]installed{}
	stopTicker := printer.StartTicker(250 * time.Millisecond)
	results := schedule(p.Plan.Releases,
		func(rel plan.Release, applied func()) error {
			out, err := in.run(wctx, rel, readRegistryAhead(ctx, p, rel, applied))
			mu.Lock()
			done[rel.Component] = out
			mu.Unlock()
			return err
		},
		func(rel plan.Release, need string) {
			printer.Update(rel.Component, ui.StateSkipped, "needs "+need, nil)
		})
	stopTicker()
	printer.Finish()
	return rep, finishReport(ctx, rep, p, results, done, printer)
}

// dryRun renders every release without changing anything and reports the
// plan. Passwords are masked: a dry run prints nothing secret.
func dryRun(ctx context.Context, p *Prepared, printer *ui.Printer) (*report.Up, error) {
	rep := newReport(p)
	var errs []error
	for i, rel := range p.Plan.Releases {
		if rel.Warning != "" {
			printer.Warnf("%s: %s", rel.Component, rel.Warning)
		}
		row := &rep.Components[i]
		if _, err := release.Render(ctx, release.Spec{Name: rel.Name, Namespace: rel.Namespace, ChartPath: p.chartPath(rel.Component), Values: rel.Values}, ""); err != nil {
			errs = append(errs, fmt.Errorf("%s: render %s@%s: %w", rel.Component, rel.Chart.Name, rel.Chart.Version, err))
			row.Status = statusFailed
		}
		if cred, ok := p.Credentials[rel.Component]; ok {
			row.Username, row.Password = cred.Username, maskedPassword
		}
	}
	return rep, errors.Join(errs...)
}

// createClusterFirst runs `up --create-cluster`'s first step and points
// the rest of up at the new cluster's context.
func createClusterFirst(ctx context.Context, opts *Options, create func(context.Context, ClusterOptions) (string, error)) error {
	if opts.DryRun {
		return outcome.Input(errors.New("--create-cluster with --dry-run: a dry run changes nothing; drop one of them"))
	}
	name := opts.Cluster.Name
	if name == "" {
		name = cluster.DefaultName
	}
	if opts.Kube.Context != "" && opts.Kube.Context != cluster.ContextName(name) {
		return outcome.Input(fmt.Errorf("--create-cluster installs into the new cluster's context %s, not --context %s: drop --context", cluster.ContextName(name), opts.Kube.Context))
	}
	c := opts.Cluster
	c.Name, c.Kubeconfig, c.SkipPreflight = name, opts.Kube.Kubeconfig, opts.SkipPreflight
	ctxName, err := create(ctx, c)
	if err != nil {
		return err
	}
	opts.Kube.Context = ctxName
	return nil
}
