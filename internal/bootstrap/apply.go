package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/slipwayhq/slipway/internal/credentials"
	"github.com/slipwayhq/slipway/internal/inventory"
	"github.com/slipwayhq/slipway/internal/kube"
	"github.com/slipwayhq/slipway/internal/outcome"
	"github.com/slipwayhq/slipway/internal/plan"
	"github.com/slipwayhq/slipway/internal/profile"
	"github.com/slipwayhq/slipway/internal/release"
	"github.com/slipwayhq/slipway/internal/report"
	"github.com/slipwayhq/slipway/internal/ui"
	"github.com/slipwayhq/slipway/internal/wait"
)

// Report statuses.
const (
	statusReady    = "ready"
	statusFailed   = "failed"
	statusNotReady = "not-ready"
	statusSkipped  = "skipped"
	statusPlanned  = "planned"
)

// newReport makes one row per release, before anything happens, so that a
// failure still reports every component's state.
func (r *run) newReport() (*report.Up, map[string]*report.Component) {
	rep := &report.Up{Profile: r.plan.Profile, Version: r.plan.Version, DryRun: r.opts.DryRun, Notes: r.notes()}
	if r.cluster != nil {
		rep.Context = r.cluster.Context
	}
	rows := map[string]*report.Component{}
	for _, rel := range r.plan.Releases {
		rep.Components = append(rep.Components, report.Component{
			Name: rel.Component, Chart: rel.Chart.Name, Version: rel.Chart.Version,
			Namespace: rel.Namespace, Release: rel.Name, URL: rel.URL, Warning: rel.Warning,
			Status: statusPlanned,
		})
	}
	for i := range rep.Components {
		rows[rep.Components[i].Name] = &rep.Components[i]
	}
	return rep, rows
}

// apply installs every release as soon as the releases it needs are
// ready, so the total time follows the depth of the needs graph rather
// than the number of components.
func (r *run) apply(ctx context.Context) (*report.Up, error) {
	rep, rows := r.newReport()
	// gates[c] opens when the releases that need c may start: once c is
	// Ready, or once it is applied if its profile says dependents start
	// when it is installed.
	gates := map[string]*gate{}
	for _, rel := range r.plan.Releases {
		gates[rel.Component] = &gate{ch: make(chan struct{}), onApply: rel.DependentsStart == profile.StartWhenInstalled}
	}
	for _, rel := range r.plan.Releases {
		if rel.Warning != "" {
			r.ui.Warnf("%s: %s", rel.Component, rel.Warning)
		}
		r.ui.Update(rel.Component, ui.StatePending, rel.Chart.Name+"@"+rel.Chart.Version+startsAfter(rel, gates), nil)
	}
	waiter, err := wait.New(r.cluster.Config)
	if err != nil {
		return rep, err
	}
	// Record what is about to be installed first, so that credentials,
	// status and down find it even if this run is killed half-way.
	if err := inventory.Upsert(ctx, r.cluster.Client, r.inventoryEntries()...); err != nil {
		return rep, err
	}
	store := &credentials.Store{Client: r.cluster.Client, Now: func() time.Time { return r.started }}
	deadline := time.Now().Add(r.opts.Timeout)
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	stopTicker := r.ui.StartTicker(250 * time.Millisecond)

	var mu sync.Mutex
	results := map[string]error{}
	defer func() {
		for i := range rep.Components {
			if a, ok := r.actions.Load(rep.Components[i].Name); ok {
				rep.Components[i].Action = string(a.(release.Action))
			}
		}
	}()
	var wg sync.WaitGroup
	for _, rel := range r.plan.Releases {
		wg.Go(func() {
			g := gates[rel.Component]
			// applyOne opens the gate with nil when dependents may start;
			// on any other way out they never will.
			defer g.open(errNotReady)
			for _, n := range rel.Needs {
				if err := gates[n].wait(); err != nil {
					mu.Lock()
					results[rel.Component] = fmt.Errorf("%s: skipped because %s %s", rel.Component, n, err)
					rows[rel.Component].Status = statusSkipped
					mu.Unlock()
					r.ui.Update(rel.Component, ui.StateSkipped, "needs "+n, nil)
					return
				}
			}
			err := r.applyOne(wctx, waiter, store, rel, deadline, g)
			mu.Lock()
			results[rel.Component] = err
			row := rows[rel.Component]
			switch {
			case err == nil:
				row.Status = statusReady
			case errors.Is(err, outcome.ErrTimeout):
				row.Status = statusNotReady
			default:
				row.Status = statusFailed
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	stopTicker()
	r.ui.Finish()

	for i := range rep.Components {
		c := &rep.Components[i]
		if cred, ok := r.creds[c.Name]; ok {
			c.Username, c.Password, c.Secret = cred.Username, cred.Password, cred.Namespace+"/"+cred.Secret
		}
	}
	var errs []error
	timedOut := false
	defer func() {
		// A failed run reports state, not logins: passwords are printed only
		// in the report of a successful up (and by `slipway credentials`).
		if len(errs) > 0 {
			for i := range rep.Components {
				if rep.Components[i].Password != "" {
					rep.Components[i].Password = credentials.Mask
				}
			}
			rep.Notes = append(rep.Notes, "passwords are hidden because the platform is not ready; `slipway credentials` prints them")
		}
	}()
	for _, rel := range r.plan.Releases {
		err := results[rel.Component]
		if err == nil {
			continue
		}
		if errors.Is(err, outcome.ErrTimeout) {
			timedOut = true
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		r.ui.Infof("platform ready in %s", time.Since(r.started).Round(100*time.Millisecond))
		return rep, nil
	}
	err = errors.Join(errs...)
	if timedOut && ctx.Err() == nil {
		return rep, fmt.Errorf("not ready within --timeout %s:\n%w", r.opts.Timeout, err)
	}
	return rep, err
}

// applyOne installs or upgrades one release and waits for it.
func (r *run) applyOne(ctx context.Context, waiter *wait.Waiter, store *credentials.Store, rel plan.Release, deadline time.Time, g *gate) error {
	comp := rel.Component
	r.ui.Update(comp, ui.StateInstalling, rel.Chart.Name+"@"+rel.Chart.Version, nil)
	fail := func(err error) error {
		r.ui.Update(comp, ui.StateFailed, "", nil)
		return err
	}
	// An install that meets an API server that stopped answering (a
	// restart, a blip) is tried again once it answers: the release it left
	// is repaired or upgraded by the next attempt, as a re-run would.
	var res release.Result
	var cur *release.Info
	var mgr *release.Manager
	var err error
	for attempt := 1; ; attempt++ {
		res, cur, mgr, err = r.install(ctx, store, rel, deadline)
		if err == nil || attempt == maxInstallAttempts || !kube.Transient(err) {
			break
		}
		r.ui.Warnf("%s: the API server stopped answering during the install (%s); trying again when it is back", comp, firstLine(err))
		if werr := r.waitForAPI(ctx); werr != nil {
			break
		}
	}
	if err != nil {
		return fail(err)
	}
	r.actions.Store(comp, res.Action)
	if g.onApply {
		g.open(nil)
	}
	r.ui.Update(comp, ui.StateWaiting, string(res.Action)+" revision "+fmt.Sprint(res.Revision), nil)
	target := wait.Target{Component: comp, Objects: res.Objects}
	err = waiter.Wait(ctx, []wait.Target{target}, func(ev wait.Event) {
		var pending []string
		for _, p := range ev.Pending {
			line := fmt.Sprintf("%s %s/%s", p.Object.Kind, p.Object.Namespace, p.Object.Name)
			if p.Message != "" {
				line += ": " + p.Message
			}
			pending = append(pending, line)
		}
		r.ui.Update(comp, ui.StateWaiting, fmt.Sprintf("%d/%d ready", ev.Ready, ev.Total), pending)
	})
	if err != nil {
		r.ui.Update(comp, ui.StateFailed, "", nil)
		if res.Action == release.Upgrade {
			err = r.maybeRollback(context.WithoutCancel(ctx), mgr, rel, cur, time.Now().Add(5*time.Minute), err)
		}
		var te *wait.TimeoutError
		if errors.As(err, &te) {
			return outcome.Timeout(err)
		}
		return fmt.Errorf("%s: %w", comp, err)
	}
	r.ui.Update(comp, ui.StateReady, string(res.Action)+" "+rel.Chart.Name+"@"+rel.Chart.Version, nil)
	g.open(nil)
	return nil
}

// maxInstallAttempts bounds the tries of one install against an API
// server that stops answering.
const maxInstallAttempts = 3

// install makes one release match the plan: its namespace, its
// credentials Secret, a repair of what an interrupted run left, then a
// Helm install or upgrade, or nothing when the release already has this
// plan's values.
func (r *run) install(ctx context.Context, store *credentials.Store, rel plan.Release, deadline time.Time) (release.Result, *release.Info, *release.Manager, error) {
	comp := rel.Component
	wrap := func(err error) error { return fmt.Errorf("%s: %w", comp, err) }
	if err := kube.EnsureNamespace(ctx, r.cluster.Client, rel.Namespace); err != nil {
		return release.Result{}, nil, nil, wrap(err)
	}
	if spec, ok := r.specs[comp]; ok {
		r.mu.Lock()
		want := r.creds[comp].Password
		r.mu.Unlock()
		cred, err := store.Ensure(ctx, spec, want, false)
		if err != nil {
			return release.Result{}, nil, nil, wrap(err)
		}
		r.mu.Lock()
		r.creds[comp] = cred
		r.mu.Unlock()
	}
	for _, g := range rel.Generated {
		in := credentials.Internal{Component: comp, Namespace: rel.Namespace, Name: g.Name, Key: g.Key, Length: g.Length}
		if _, err := store.EnsureInternal(ctx, in); err != nil {
			return release.Result{}, nil, nil, wrap(err)
		}
	}
	mgr, err := release.New(r.cluster.GetterFor(rel.Namespace), rel.Namespace, nil)
	if err != nil {
		return release.Result{}, nil, nil, err
	}
	cur, err := mgr.Get(ctx, rel.Name)
	if err != nil {
		return release.Result{}, nil, mgr, wrap(err)
	}
	// A release an interrupted run left pending would refuse every
	// operation: repair it first, and say what was done.
	if cur != nil && cur.Pending() {
		if did, err := mgr.Repair(ctx, rel.Name, time.Until(deadline)); err != nil {
			return release.Result{}, nil, mgr, wrap(err)
		} else if did != "" {
			r.ui.Warnf("%s: %s", comp, did)
		}
		if cur, err = mgr.Get(ctx, rel.Name); err != nil {
			return release.Result{}, nil, mgr, wrap(err)
		}
	}
	digest := rel.Digest()
	if upToDate(cur, digest) {
		// Nothing changed since the last run: no Helm upgrade at all,
		// only the readiness check.
		return release.Result{Action: release.Unchanged, Revision: cur.Revision, ChartVersion: cur.ChartVersion, Objects: release.ParseObjects(cur.Manifest, rel.Namespace)}, cur, mgr, nil
	}
	res, err := mgr.Apply(ctx, release.Spec{
		Name: rel.Name, Namespace: rel.Namespace, ChartPath: r.chartPath(comp), Values: rel.Values,
		Timeout: time.Until(deadline), Wait: false,
		Labels: map[string]string{LabelProfile: r.plan.Profile, LabelProfileVersion: r.plan.Version, LabelComponent: comp, LabelDigest: digest},
	})
	if err != nil {
		if kube.Transient(err) {
			return res, cur, mgr, wrap(err)
		}
		return res, cur, mgr, r.maybeRollback(ctx, mgr, rel, cur, deadline, wrap(err))
	}
	return res, cur, mgr, nil
}

// upToDate reports whether a stored release is deployed with the chart
// and values whose digest is given (the label install sets).
func upToDate(cur *release.Info, digest string) bool {
	return cur != nil && cur.Status == release.StatusDeployed && cur.Labels[LabelDigest] == digest
}

// waitForAPI returns once the API server answers /readyz again, or when
// ctx ends.
func (r *run) waitForAPI(ctx context.Context) error {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := r.cluster.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// startsAfter says what a queued release waits for, e.g.
// ", starts when traefik is installed".
func startsAfter(rel plan.Release, gates map[string]*gate) string {
	var after []string
	for _, n := range rel.Needs {
		when := "Ready"
		if gates[n].onApply {
			when = "installed"
		}
		after = append(after, n+" is "+when)
	}
	if len(after) == 0 {
		return ""
	}
	return ", starts when " + strings.Join(after, " and ")
}

// errNotReady is why dependents of a failed component do not start.
var errNotReady = errors.New("is not ready")

// gate lets the releases that need a component start. It opens once:
// with nil when they may start, with an error when they never will.
type gate struct {
	ch      chan struct{}
	once    sync.Once
	err     error
	onApply bool // open when the release is applied, not when it is Ready
}

func (g *gate) open(err error) {
	g.once.Do(func() {
		g.err = err
		close(g.ch)
	})
}

func (g *gate) wait() error {
	<-g.ch
	return g.err
}

// dryRun renders every release without a cluster and reports the plan.
// Passwords are masked: a dry run prints nothing secret.
func (r *run) dryRun(ctx context.Context) (*report.Up, error) {
	rep, rows := r.newReport()
	for _, rel := range r.plan.Releases {
		if rel.Warning != "" {
			r.ui.Warnf("%s: %s", rel.Component, rel.Warning)
		}
	}
	var errs []error
	for _, rel := range r.plan.Releases {
		if _, err := release.Render(ctx, release.Spec{Name: rel.Name, Namespace: rel.Namespace, ChartPath: r.chartPath(rel.Component), Values: rel.Values}, ""); err != nil {
			errs = append(errs, fmt.Errorf("%s: render %s@%s: %w", rel.Component, rel.Chart.Name, rel.Chart.Version, err))
			rows[rel.Component].Status = statusFailed
		}
		if cred, ok := r.creds[rel.Component]; ok {
			rows[rel.Component].Username, rows[rel.Component].Password = cred.Username, credentials.Mask
		}
	}
	return rep, errors.Join(errs...)
}

func generatedNames(gs []profile.GeneratedSecret) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Name)
	}
	return out
}

func (r *run) inventoryEntries() []inventory.Entry {
	var out []inventory.Entry
	for _, rel := range r.plan.Releases {
		e := inventory.Entry{
			Component: rel.Component, Namespace: rel.Namespace, Release: rel.Name,
			Chart: rel.Chart.Name, Version: rel.Chart.Version, Needs: rel.Needs,
			Secret: rel.Secret, URL: rel.URL,
			Generated: generatedNames(rel.Generated),
			Profile:   r.plan.Profile, ProfileVersion: r.plan.Version,
		}
		if c := r.component(rel.Component); c != nil && c.Credentials != nil {
			e.BcryptPaths, e.MtimePaths = c.Credentials.Inject.Bcrypt, c.Credentials.Inject.BcryptMtime
		}
		out = append(out, e)
	}
	return out
}

// maybeRollback rolls a failed upgrade back when --rollback-on-failure
// asked for it, and says so in the error either way.
func (r *run) maybeRollback(ctx context.Context, mgr *release.Manager, rel plan.Release, before *release.Info, deadline time.Time, cause error) error {
	if before == nil || before.Status != release.StatusDeployed {
		return cause
	}
	if !r.opts.RollbackOnFailure {
		return fmt.Errorf("%w\n(release %s/%s left as it is for inspection; --rollback-on-failure would have rolled it back to revision %d)", cause, rel.Namespace, rel.Name, before.Revision)
	}
	if err := mgr.Rollback(ctx, rel.Name, before.Revision, time.Until(deadline)); err != nil {
		return fmt.Errorf("%w\n(rollback to revision %d failed too: %v)", cause, before.Revision, err)
	}
	return fmt.Errorf("%w\n(rolled back to revision %d, --rollback-on-failure)", cause, before.Revision)
}
