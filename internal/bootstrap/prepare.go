package bootstrap

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/slipway-dev/slipway/internal/credentials"
	"github.com/slipway-dev/slipway/internal/hostip"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/lock"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/runlock"
	"github.com/slipway-dev/slipway/internal/ui"
	"github.com/slipway-dev/slipway/internal/wait"
)

// Prepared is everything up decides before it changes anything: built
// once by prepare, then only read by apply, the report, Diff, Template
// and the bundle commands.
type Prepared struct {
	Options Options // as run: the profile filled in, --ip auto resolved
	Profile *profile.Profile
	Plan    *plan.Plan
	// Charts are every component's chart: the exact version, where it came
	// from, and where it is on disk, verified against the lock.
	Charts map[string]Chart
	// Credentials are the admin logins that exist, or were generated in
	// memory for components installed for the first time; Specs say how
	// each is stored.
	Credentials map[string]credentials.Credential
	Specs       map[string]credentials.Spec
	// RegistryLogin is the user's login to --registry, kept in the
	// pipeline's docker-registry Secret; nil without one.
	RegistryLogin *credentials.RegistryLogin
	// RepoAuth is the GitOps repository credential: kept, created by this
	// run, or none (nil without a GitOps wiring component).
	RepoAuth *repoAuth
	Lock     lockSource
	Cluster  *kube.Cluster // nil when there is none (template, a dry run without one)
	// runLock is held from connect until Close by a run that changes the
	// cluster (nil for a dry run, diff and template).
	runLock     *runlock.Lock
	releaseWarn func(error)
	Started     time.Time
	// rendered are the manifests preflight rendered (client-only, for
	// the server's version) of the releases that are not up to date, by
	// component: the install looks at them for the custom kinds it must
	// wait for instead of rendering the chart a second time.
	rendered map[string]string
	// nodes returns the cluster's nodes, listed since connect for
	// preflight (nil when preflight does not run).
	nodes func() (*corev1.NodeList, error)
	// DNS is closed when the background hostname check is done (nil when
	// none runs); its warning is printed by then.
	DNS <-chan struct{}
}

// Close removes what prepare extracted (a bundle's charts) and waits,
// bounded, for the background DNS check so that its warning is not lost.
func (p *Prepared) Close() {
	p.Lock.close()
	waitDNS(p.DNS)
	if err := p.runLock.Release(); err != nil {
		p.releaseWarn(err)
	}
	p.runLock = nil
}

// prepare runs the stages that decide what up will do. Only preflight's
// reads and, for a dry run, nothing else touch the cluster; nothing is
// written:
//
//	inputs (lock, profile, overrides, chart sources: local only)
//	→ connect → choose address → resolve charts → fetch charts
//	→ credentials (read existing, generate missing, in memory; the GitOps
//	  repository's: kept, or planned from the flags)
//	→ plan (pure) → preflight
//
// The returned Deps reach the cluster prepare connected to (zero without
// one).
func prepare(ctx context.Context, opts Options, printer *ui.Printer) (*Prepared, Deps, error) {
	p := &Prepared{Started: time.Now().UTC().Truncate(time.Second)}
	in, err := readInputs(opts, printer)
	if err != nil {
		return nil, Deps{}, err
	}
	p.Options, p.Profile, p.Lock = in.opts, in.profile, in.lock
	fail := func(err error) (*Prepared, Deps, error) {
		p.Close()
		return nil, Deps{}, err
	}
	// Everything up reads from the cluster from here on is read under
	// the run lock: a run that waited for it sees what the other did.
	if p.Cluster, p.runLock, err = connect(ctx, p.Options, printer); err != nil {
		return fail(err)
	}
	p.releaseWarn = func(err error) { printer.Warnf("%v", err) }
	var deps Deps
	if p.Cluster != nil {
		if deps, err = depsOn(p.Cluster, p.Started); err != nil {
			return fail(err)
		}
		// What later stages read one after the other is asked for
		// now, all at once (issue 18).
		if ro, ok := deps.Releases.(*readOnce); ok {
			ro.prefetch(ctx, profileReleases(p.Profile))
		}
		if !p.Options.DryRun && !p.Options.SkipPreflight {
			p.nodes = listNodes(ctx, p.Cluster.Client)
		}
		if !p.Options.DryRun {
			readAheadForUp(ctx, p.Cluster, p.Profile)
		}
		if w, ok := deps.Readiness.(*wait.Waiter); ok && !p.Options.DryRun {
			// The readiness wait's discovery (/api, then /apis) was two
			// round trips before its first check.
			go w.Discover()
		}
	}
	if p.Options.IP, err = chooseIP(ctx, p.Options.IP, p.Cluster, p.Profile, printer); err != nil {
		return fail(err)
	}
	if p.Charts, err = resolveCharts(ctx, in.charts, p.Profile, p.Lock); err != nil {
		return fail(err)
	}
	if err = fetchCharts(ctx, in.charts, p.Profile, p.Lock, p.Charts); err != nil {
		return fail(err)
	}
	if p.Credentials, p.Specs, err = loadCredentials(ctx, p, in.over, deps); err != nil {
		return fail(err)
	}
	if p.RegistryLogin, err = loadRegistryLogin(ctx, p, in.over); err != nil {
		return fail(err)
	}
	if p.RepoAuth, err = loadRepoAuth(ctx, p, in.repoAuth, printer); err != nil {
		return fail(err)
	}
	if p.Plan, err = buildPlan(ctx, p, in.over, deps); err != nil {
		return fail(err)
	}
	if err = checkReleasesOwned(ctx, p, deps, printer); err != nil {
		return fail(err)
	}
	if p.DNS, err = runPreflight(ctx, p, deps, printer); err != nil {
		return fail(err)
	}
	return p, deps, nil
}

// connect reaches the cluster and, for a run that changes it, takes the
// run lock. --dry-run only reads from it, and works without one: it then
// shows freshly generated (masked) credentials. template and the bundle
// commands never contact one.
func connect(ctx context.Context, opts Options, printer *ui.Printer) (*kube.Cluster, *runlock.Lock, error) {
	if opts.NoCluster {
		return nil, nil, nil
	}
	if opts.DryRun {
		c, err := kube.Connect(ctx, opts.Kube, 3*time.Second)
		if err != nil {
			printer.Infof("dry run without a cluster (%v)", firstLine(err))
			return nil, nil, nil
		}
		printer.Infof("dry run: reading current state from context %s (%s); nothing will be changed", c.Context, c.Server)
		return c, nil, nil
	}
	// The lock is asked for while the cluster is probed (runlock.Connect).
	c, lk, err := runlock.Connect(ctx, opts.Kube, 10*time.Second, func(ctx context.Context, c *kube.Cluster) (*runlock.Lock, error) {
		return takeRunLock(ctx, c, opts, printer)
	})
	if err != nil {
		return nil, nil, err
	}
	printer.Infof("cluster: context %s (%s)", c.Context, c.Server)
	return c, lk, nil
}

// chooseIP resolves --ip auto into an address, before anything uses it.
func chooseIP(ctx context.Context, ip string, c *kube.Cluster, p *profile.Profile, printer *ui.Printer) (string, error) {
	if ip != "auto" {
		return ip, nil
	}
	if c == nil {
		printer.Infof("--ip auto: %s, as for kind's port mappings (no cluster to look at)", hostip.Loopback)
		return hostip.Loopback, nil
	}
	ns := ""
	for _, comp := range p.Components {
		if comp.Group == "ingress" {
			ns = comp.Namespace
		}
	}
	choice, err := hostip.Choose(ctx, c.Client, c.Context, ns)
	if err != nil {
		return "", outcome.Input(err)
	}
	printer.Infof("--ip auto: hostnames use %s: %s", choice.IP, choice.Reason)
	return choice.IP, nil
}

// profileReleases are the releases of prof's components.
func profileReleases(prof *profile.Profile) []releaseRef {
	var out []releaseRef
	for _, c := range prof.Components {
		out = append(out, releaseRef{namespace: c.Namespace, name: releaseName(c)})
	}
	return out
}

// component returns the profile's component called name, or nil.
func (p *Prepared) component(name string) *profile.Component {
	for i := range p.Profile.Components {
		if p.Profile.Components[i].Name == name {
			return &p.Profile.Components[i]
		}
	}
	return nil
}

// chartPath is where a component's chart was fetched to.
func (p *Prepared) chartPath(comp string) string { return p.Charts[comp].Fetched.Path }

// lockOf is the lock of what p installs.
func (p *Prepared) lockOf() *lock.File {
	lf := lock.New(p.Profile.Name, p.Profile.Version)
	for _, c := range p.Profile.Components {
		ch := p.Charts[c.Name]
		e := lock.Chart{Component: c.Name, Name: ch.Name, Version: ch.Version, Source: ch.Ref, Digest: ch.Fetched.Digest, Format: lock.FormatArchive}
		if ch.Fetched.Dir {
			e.Format = lock.FormatDirectory
		}
		switch src := sourceOf(c, p.Profile); {
		case p.Lock.bundlePaths[c.Name] != "":
			old, _ := p.Lock.file.Get(c.Name)
			e.Source = old.Source
		case src.Embedded != nil:
			e.Source = "slipway:charts/" + src.Path
		}
		lf.Charts = append(lf.Charts, e)
	}
	return lf
}

// writeLock writes the lock of what p installed to path.
func (p *Prepared) writeLock(path string, printer *ui.Printer) error {
	if err := p.lockOf().Write(path); err != nil {
		return err
	}
	printer.Infof("wrote lock file %s (%d charts); `slipway up --locked %s` installs exactly these", path, len(p.Profile.Components), path)
	return nil
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// takeRunLock holds the cluster's run lock for `up` (package runlock);
// with --wait-for-lock it waits for it, up to --timeout.
func takeRunLock(ctx context.Context, c *kube.Cluster, o Options, printer *ui.Printer) (*runlock.Lock, error) {
	wctx, cancel := context.WithTimeoutCause(ctx, o.Timeout, fmt.Errorf("--timeout %s ran out", o.Timeout))
	defer cancel()
	return runlock.New(c.Client).Acquire(wctx, runlock.Options{
		Command: "up", Wait: o.WaitForLock, Lost: o.lockLost,
		Progress: printer.Infof,
	})
}
