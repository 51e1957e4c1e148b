package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/slipway-dev/slipway/internal/credentials"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/release"
	"github.com/slipway-dev/slipway/internal/ui"
	"github.com/slipway-dev/slipway/internal/wait"
)

// Labels slipway records on its Helm releases.
const (
	LabelProfile        = "slipway.dev/profile"
	LabelProfileVersion = "slipway.dev/profile-version"
	LabelDigest         = "slipway.dev/digest"
)

// maxInstallAttempts bounds the tries of one install against an API
// server that stops answering.
const maxInstallAttempts = 3

// installer makes releases match the plan, one at a time per call; the
// scheduler calls it for several releases at once.
type installer struct {
	p        *Prepared
	d        Deps
	ui       *ui.Printer
	deadline time.Time
	rollback bool          // --rollback-on-failure
	crdPoll  time.Duration // between checks for a CRD (default crdPoll)
}

// installed is what one release's install did.
type installed struct {
	action release.Action
	cred   *credentials.Credential // the login as stored, for a component with credentials
}

// run installs or upgrades one release and waits until it is Ready;
// applied is called once the release is applied.
func (in *installer) run(ctx context.Context, rel plan.Release, applied func()) (installed, error) {
	comp := rel.Component
	in.ui.Update(comp, ui.StateInstalling, rel.Chart.Name+"@"+rel.Chart.Version, nil)
	// An install that meets an API server that stopped answering (a
	// restart, a blip) is tried again once it answers: the release it left
	// is repaired or upgraded by the next attempt, as a re-run would.
	var res release.Result
	var before *release.Info
	var mgr ReleaseClient
	var out installed
	var err error
	for attempt := 1; ; attempt++ {
		res, before, mgr, out, err = in.install(ctx, rel)
		var down *apiDown
		if err == nil || attempt == maxInstallAttempts || !(kube.Transient(err) || errors.As(err, &down)) {
			break
		}
		in.ui.Warnf("%s: the API server stopped answering during the install (%s); trying again when it is back", comp, firstLine(err))
		if werr := in.d.APIReady(ctx); werr != nil {
			break
		}
	}
	if err != nil {
		in.ui.Update(comp, ui.StateFailed, "", nil)
		return out, err
	}
	out.action = res.Action
	applied()
	in.ui.Update(comp, ui.StateWaiting, string(res.Action)+" revision "+fmt.Sprint(res.Revision), nil)
	target := wait.Target{Component: comp, Objects: res.Objects}
	err = in.d.Readiness.Wait(ctx, []wait.Target{target}, func(ev wait.Event) {
		var pending []string
		for _, p := range ev.Pending {
			line := fmt.Sprintf("%s %s/%s", p.Object.Kind, p.Object.Namespace, p.Object.Name)
			if p.Message != "" {
				line += ": " + p.Message
			}
			pending = append(pending, line)
		}
		in.ui.Update(comp, ui.StateWaiting, fmt.Sprintf("%d/%d ready", ev.Ready, ev.Total), pending)
	})
	if err != nil {
		in.ui.Update(comp, ui.StateFailed, "", nil)
		if res.Action == release.Upgrade {
			err = in.maybeRollback(context.WithoutCancel(ctx), mgr, rel, before, time.Now().Add(5*time.Minute), err)
		}
		var te *wait.TimeoutError
		if errors.As(err, &te) {
			return out, outcome.Timeout(err)
		}
		return out, fmt.Errorf("%s: %w", comp, err)
	}
	in.ui.Update(comp, ui.StateReady, string(res.Action)+" "+rel.Chart.Name+"@"+rel.Chart.Version, nil)
	return out, nil
}

// install makes one release match the plan: its namespace, its
// credentials Secret, a repair of what an interrupted run left, then a
// Helm install or upgrade, or nothing when the release already has this
// plan's values. It returns the release as it was before, for a rollback.
func (in *installer) install(ctx context.Context, rel plan.Release) (release.Result, *release.Info, ReleaseClient, installed, error) {
	comp := rel.Component
	var out installed
	fail := func(err error) (release.Result, *release.Info, ReleaseClient, installed, error) {
		return release.Result{}, nil, nil, out, fmt.Errorf("%s: %w", comp, err)
	}
	mgr, err := in.d.Releases.For(rel.Namespace)
	if err != nil {
		return release.Result{}, nil, nil, out, err
	}
	// Usually prepare read the release already (readOnce): no request.
	cur, err := mgr.Get(ctx, rel.Name)
	if err != nil {
		return fail(err)
	}
	digest := rel.Digest()
	// A release deployed with this plan lives in its namespace (Helm
	// stores it there): no need to ask for the namespace again.
	crds := func() error { return nil }
	if !upToDate(cur, digest) {
		// The CRD wait only reads: it runs while the namespace and
		// Secrets are made, not a round trip after them (issue 18). A
		// return before the apply ends it.
		crdCtx, stopCRDs := context.WithCancel(ctx)
		defer stopCRDs()
		crdsDone := make(chan error, 1)
		go func() { crdsDone <- in.awaitCRDs(crdCtx, rel) }()
		crds = func() error { return <-crdsDone }
		if err := in.d.Namespaces(ctx, rel.Namespace); err != nil {
			return fail(err)
		}
	}
	cred, err := in.ensureSecrets(ctx, rel, !upToDate(cur, digest))
	if err != nil {
		return fail(err)
	}
	out.cred = cred
	if l := in.p.RegistryLogin; l != nil && l.Component == comp {
		wrote, err := in.d.Secrets.EnsureRegistry(ctx, *l)
		if err != nil {
			return fail(err)
		}
		if wrote {
			in.ui.Infof("%s: wrote docker-registry secret %s/%s for %s", comp, l.Namespace, l.Secret, l.Server)
		}
	}
	if err := in.ensureRepoAuth(ctx, comp); err != nil {
		return fail(err)
	}
	// A release an interrupted run left pending would refuse every
	// operation: repair it first, and say what was done.
	if cur != nil && cur.Pending() {
		did, err := mgr.Repair(ctx, rel.Name, time.Until(in.deadline))
		if err != nil {
			return fail(err)
		}
		if did != "" {
			in.ui.Warnf("%s: %s", comp, did)
		}
		if cur, err = mgr.Get(ctx, rel.Name); err != nil {
			return fail(err)
		}
	}
	if upToDate(cur, digest) {
		// Nothing changed since the last run: no Helm upgrade at all,
		// only the readiness check.
		res := release.Result{Action: release.Unchanged, Revision: cur.Revision, ChartVersion: cur.ChartVersion, Objects: release.ParseObjects(cur.Manifest, rel.Namespace)}
		return res, cur, mgr, out, nil
	}
	if err := crds(); err != nil {
		return release.Result{}, cur, mgr, out, err
	}
	res, err := mgr.Apply(ctx, release.Spec{
		Name: rel.Name, Namespace: rel.Namespace, ChartPath: in.p.chartPath(comp), Values: rel.Values,
		Timeout: time.Until(in.deadline), Wait: false,
		Labels: map[string]string{LabelProfile: in.p.Plan.Profile, LabelProfileVersion: in.p.Plan.Version, kube.LabelComponent: comp, LabelDigest: digest},
		Known:  true, Current: cur, // read under the run lock
	})
	if err != nil {
		err = fmt.Errorf("%s: %w", comp, err)
		if in.outage(ctx, err) {
			// Not the release's fault: no rollback (it could not reach the
			// API server either); the next attempt repairs what is left.
			return res, cur, mgr, out, &apiDown{err}
		}
		err = in.maybeRollback(ctx, mgr, rel, cur, in.deadline, err)
		return res, cur, mgr, out, err
	}
	return res, cur, mgr, out, nil
}

// apiDown marks an install that failed while the API server did not
// answer: run tries it again once the server is back.
type apiDown struct{ error }

func (e *apiDown) Unwrap() error { return e.error }

// outage says whether err came from an API server that stopped
// answering. Most such errors say so (kube.Transient); some are flattened
// by Helm into its own words, e.g. its CRD wait reports "resource
// CustomResourceDefinition//… not ready. status: Unknown" when its watch
// breaks off, so a failure is also checked against the server itself:
// one /readyz, given 2 s, and only on a failed install.
func (in *installer) outage(ctx context.Context, err error) bool {
	if kube.Transient(err) {
		return true
	}
	if in.d.APIReady == nil {
		return false
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return in.d.APIReady(pctx) != nil && ctx.Err() == nil
}

// ensureSecrets makes the component's credentials Secret and the
// internal Secrets its chart reads exist, all at once, and returns the
// login as stored (nil for a component without one). A credential that
// prepare read from the cluster, with the URL this run gives it, is
// taken as read: asking again is a round trip on a remote cluster
// (issue 18). Not with --adopt: prepare's read only pretended to label
// a foreign Secret, and Ensure does it now. Nor when the release is to
// change (changes) and the Secret lacks the MAC of the bcrypt hash the
// plan puts into it (credentials.Hash): Ensure adds it, so that later
// no-op runs need no bcrypt check. A no-op run writes nothing.
func (in *installer) ensureSecrets(ctx context.Context, rel plan.Release, changes bool) (*credentials.Credential, error) {
	comp := rel.Component
	var g errgroup.Group
	var cred *credentials.Credential
	if spec, ok := in.p.Specs[comp]; ok {
		read := in.p.Credentials[comp]
		if h := planHash(in.p.Profile, rel); h != "" {
			spec.Hash = &credentials.Hash{Password: read.Password, Bcrypt: h}
		}
		macMissing := spec.Hash != nil && changes && !read.Vouches(spec.Hash.Bcrypt)
		if !read.Created && read.URL == spec.URL && read.Password != "" && !spec.Adopt && !macMissing {
			cred = &read
		} else {
			g.Go(func() error {
				c, err := in.d.Secrets.Ensure(ctx, spec, read.Password, false)
				cred = &c
				return err
			})
		}
	}
	for _, gen := range rel.Generated {
		g.Go(func() error {
			_, err := in.d.Secrets.EnsureInternal(ctx, credentials.Internal{Component: comp, Namespace: rel.Namespace, Name: gen.Name, Key: gen.Key, Length: gen.Length})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return cred, nil
}

// upToDate reports whether a stored release is deployed with the chart
// and values whose digest is given (the label install sets).
func upToDate(cur *release.Info, digest string) bool {
	return cur != nil && cur.Status == release.StatusDeployed && cur.Labels[LabelDigest] == digest
}

// maybeRollback rolls a failed upgrade back when --rollback-on-failure
// asked for it, and says so in the error either way.
func (in *installer) maybeRollback(ctx context.Context, mgr ReleaseClient, rel plan.Release, before *release.Info, deadline time.Time, cause error) error {
	if before == nil || before.Status != release.StatusDeployed {
		return cause
	}
	if !in.rollback {
		return fmt.Errorf("%w\n(release %s/%s left as it is for inspection; --rollback-on-failure would have rolled it back to revision %d)", cause, rel.Namespace, rel.Name, before.Revision)
	}
	if err := mgr.Rollback(ctx, rel.Name, before.Revision, time.Until(deadline)); err != nil {
		return fmt.Errorf("%w\n(rollback to revision %d failed too: %v)", cause, before.Revision, err)
	}
	return fmt.Errorf("%w\n(rolled back to revision %d, --rollback-on-failure)", cause, before.Revision)
}
