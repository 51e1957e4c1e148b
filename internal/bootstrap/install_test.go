package bootstrap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/slipway-dev/slipway/internal/charts"
	"github.com/slipway-dev/slipway/internal/credentials"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/release"
	"github.com/slipway-dev/slipway/internal/ui"
	"github.com/slipway-dev/slipway/internal/wait"
)

// calls records, in order, what the fakes were asked to do.
type calls struct {
	mu  sync.Mutex
	log []string
}

func (c *calls) add(format string, args ...any) {
	c.mu.Lock()
	c.log = append(c.log, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

func (c *calls) String() string { return strings.Join(c.log, "; ") }

// fakeSecrets stores nothing; it answers as credentials.Store would for a
// Secret it just created.
type fakeSecrets struct{ c *calls }

func (f fakeSecrets) Ensure(_ context.Context, spec credentials.Spec, provided string, dryRun bool) (credentials.Credential, error) {
	f.c.add("ensure secret %s/%s dryRun=%v", spec.Namespace, spec.SecretName, dryRun)
	return credentials.Credential{Component: spec.Component, Namespace: spec.Namespace, Secret: spec.SecretName, Username: spec.Username, Password: provided}, nil
}

func (f fakeSecrets) EnsureInternal(_ context.Context, in credentials.Internal) (bool, error) {
	f.c.add("ensure internal %s/%s", in.Namespace, in.Name)
	return true, nil
}

func (f fakeSecrets) EnsureRegistry(_ context.Context, l credentials.RegistryLogin) (bool, error) {
	f.c.add("ensure registry login %s/%s", l.Namespace, l.Secret)
	return true, nil
}

// readiness answers at once with err (nil: everything is Ready).
type readiness struct {
	c   *calls
	err error
}

func (r readiness) Wait(_ context.Context, targets []wait.Target, _ func(wait.Event)) error {
	r.c.add("wait %s (%d objects)", targets[0].Component, len(targets[0].Objects))
	return r.err
}

// stores are Helm's in-memory release stores, one per namespace, kept
// across installs; wrap, when set, stands between the installer and each.
type stores struct {
	mu   sync.Mutex
	m    map[string]ReleaseClient
	wrap func(ReleaseClient) ReleaseClient
}

func (s *stores) For(ns string) (ReleaseClient, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]ReleaseClient{}
	}
	if s.m[ns] == nil {
		var rc ReleaseClient = release.NewForTesting(ns)
		if s.wrap != nil {
			rc = s.wrap(rc)
		}
		s.m[ns] = rc
	}
	return s.m[ns], nil
}

// scripted is a ReleaseClient that can report a pending release once,
// fail Apply with the errors queued, and records Repair and Rollback.
type scripted struct {
	ReleaseClient
	c           *calls
	pendingOnce bool
	applyErrs   []error
}

func (s *scripted) Get(ctx context.Context, name string) (*release.Info, error) {
	info, err := s.ReleaseClient.Get(ctx, name)
	if s.pendingOnce && info != nil {
		s.pendingOnce = false
		cp := *info
		cp.Status = "pending-upgrade"
		return &cp, err
	}
	return info, err
}

func (s *scripted) Apply(ctx context.Context, spec release.Spec) (release.Result, error) {
	s.c.add("apply %s", spec.Name)
	if len(s.applyErrs) > 0 {
		err := s.applyErrs[0]
		s.applyErrs = s.applyErrs[1:]
		return release.Result{}, err
	}
	return s.ReleaseClient.Apply(ctx, spec)
}

func (s *scripted) Repair(_ context.Context, name string, _ time.Duration) (string, error) {
	s.c.add("repair %s", name)
	return "release ing/" + name + " was left pending-upgrade (revision 2) by an interrupted run: rolled back to revision 1", nil
}

func (s *scripted) Rollback(ctx context.Context, name string, revision int, timeout time.Duration) error {
	s.c.add("rollback %s to %d", name, revision)
	return s.ReleaseClient.Rollback(ctx, name, revision, timeout)
}

type installTest struct {
	in    *installer
	rel   plan.Release
	c     *calls
	log   *bytes.Buffer
	store *stores
}

func newInstallTest(t *testing.T) *installTest {
	t.Helper()
	c := &calls{}
	var log bytes.Buffer
	chart := ingressChart(t, "")
	p := &Prepared{
		Plan:        &plan.Plan{Profile: "default", Version: "1.2.0"},
		Charts:      map[string]Chart{"ingress": {Resolved: charts.Resolved{Name: "ingress", Version: "1.0.0"}, Fetched: charts.Fetched{Path: chart}}},
		Specs:       map[string]credentials.Spec{"ingress": {Component: "ingress", Namespace: "ing", SecretName: "ingress-admin", Username: "admin"}},
		Credentials: map[string]credentials.Credential{"ingress": {Password: "generated-in-prepare", Created: true}},
	}
	st := &stores{}
	d := Deps{
		Releases:   st,
		Secrets:    fakeSecrets{c},
		Namespaces: func(_ context.Context, ns string) error { c.add("namespace %s", ns); return nil },
		Readiness:  readiness{c: c},
		APIReady:   func(context.Context) error { c.add("api ready"); return nil },
	}
	rel := plan.Release{Component: "ingress", Namespace: "ing", Name: "ingress", Chart: plan.Chart{Name: "ingress", Version: "1.0.0"},
		Values: map[string]any{"replicas": 1}}
	in := &installer{p: p, d: d, ui: ui.New(&log, false), deadline: time.Now().Add(time.Minute)}
	return &installTest{in: in, rel: rel, c: c, log: &log, store: st}
}

func (it *installTest) run(t *testing.T) (installed, error) {
	t.Helper()
	it.c.log = nil
	opened := false
	out, err := it.in.run(context.Background(), it.rel, func() { opened = true })
	if err == nil && !opened {
		t.Error("the release was applied but its installed gate was never opened")
	}
	return out, err
}

// TestInstallUpgradeUnchanged: a first run installs (namespace, then the
// credentials Secret for real, then Helm, then the wait), the same plan
// again changes nothing in Helm, and changed values upgrade.
func TestInstallUpgradeUnchanged(t *testing.T) {
	it := newInstallTest(t)
	out, err := it.run(t)
	if err != nil || out.action != release.Install || out.cred == nil || out.cred.Password != "generated-in-prepare" {
		t.Fatalf("first run: %+v, %v", out, err)
	}
	if want := "namespace ing; ensure secret ing/ingress-admin dryRun=false; wait ingress (4 objects)"; it.c.String() != want {
		t.Errorf("calls: %s\nwant:  %s", it.c, want)
	}
	if out, err = it.run(t); err != nil || out.action != release.Unchanged {
		t.Fatalf("same plan again: %+v, %v", out, err)
	}
	// A re-run whose prepare read the Secret from the cluster asks for
	// neither the namespace nor the Secret again (issue 18: each is a
	// round trip on a remote cluster).
	it.in.p.Credentials["ingress"] = credentials.Credential{Password: "stored", Username: "admin"}
	if out, err = it.run(t); err != nil || out.action != release.Unchanged || out.cred == nil || out.cred.Password != "stored" {
		t.Fatalf("re-run with the Secret read in prepare: %+v, %v", out, err)
	}
	if want := "wait ingress (4 objects)"; it.c.String() != want {
		t.Errorf("re-run calls: %s\nwant:  %s", it.c, want)
	}
	it.rel.Values = map[string]any{"replicas": 2}
	if out, err = it.run(t); err != nil || out.action != release.Upgrade {
		t.Fatalf("changed values: %+v, %v", out, err)
	}
	mgr, _ := it.store.For("ing")
	info, err := mgr.Get(context.Background(), "ingress")
	if err != nil || info.Revision != 2 || info.Labels[LabelDigest] != it.rel.Digest() || info.Labels[LabelProfileVersion] != "1.2.0" {
		t.Fatalf("stored release: %+v, %v", info, err)
	}
}

// TestInstallRepairsAPendingReleaseFirst: a release an interrupted run
// left pending is repaired before anything else is done with it, and the
// user is told what the repair did.
func TestInstallRepairsAPendingReleaseFirst(t *testing.T) {
	it := newInstallTest(t)
	if _, err := it.run(t); err != nil {
		t.Fatal(err)
	}
	it.store.m["ing"] = &scripted{ReleaseClient: it.store.m["ing"], c: it.c, pendingOnce: true}
	it.rel.Values = map[string]any{"replicas": 3}
	out, err := it.run(t)
	if err != nil || out.action != release.Upgrade {
		t.Fatalf("%+v, %v", out, err)
	}
	if !strings.Contains(it.c.String(), "repair ingress; apply ingress") || !strings.Contains(it.log.String(), "ingress: release ing/ingress was left pending-upgrade") {
		t.Errorf("calls: %s\nlog: %s", it.c, it.log)
	}
}

// TestFailedUpgradeIsRolledBackOnlyWhenAsked: an upgrade whose resources
// fail is left for inspection (and the error says how to roll back), or
// rolled back to the last deployed revision with --rollback-on-failure.
// A failed first install has nothing to roll back to.
func TestFailedUpgradeIsRolledBackOnlyWhenAsked(t *testing.T) {
	for _, rollback := range []bool{false, true} {
		it := newInstallTest(t)
		it.in.rollback = rollback
		it.in.d.Readiness = readiness{c: it.c, err: errors.New("Deployment ing/ingress: CrashLoopBackOff")}
		if _, err := it.run(t); err == nil || strings.Contains(err.Error(), "revision") {
			t.Fatalf("failed first install: %v", err)
		}
		it.store.m["ing"] = &scripted{ReleaseClient: it.store.m["ing"], c: it.c}
		// The failed install left a failed release: make one deployed.
		it.in.d.Readiness = readiness{c: it.c}
		it.rel.Values = map[string]any{"replicas": 2}
		if out, err := it.run(t); err != nil || out.action != release.Upgrade {
			t.Fatalf("upgrade: %+v, %v", out, err)
		}
		it.in.d.Readiness = readiness{c: it.c, err: errors.New("Deployment ing/ingress: CrashLoopBackOff")}
		it.rel.Values = map[string]any{"replicas": 3}
		_, err := it.run(t)
		want := "ingress: Deployment ing/ingress: CrashLoopBackOff\n(release ing/ingress left as it is for inspection; --rollback-on-failure would have rolled it back to revision 2)"
		if rollback {
			want = "ingress: Deployment ing/ingress: CrashLoopBackOff\n(rolled back to revision 2, --rollback-on-failure)"
		}
		if err == nil || err.Error() != want {
			t.Errorf("rollback=%v: %v\nwant: %s", rollback, err, want)
		}
		if got := strings.Contains(it.c.String(), "rollback ingress to 2"); got != rollback {
			t.Errorf("rollback=%v: calls %s", rollback, it.c)
		}
	}
}

// TestInstallRetriesOnlyWhenTheAPIServerDidNotAnswer: a refused
// connection is tried again once the API server answers; a refusal by
// the API server (Forbidden) is not.
func TestInstallRetriesOnlyWhenTheAPIServerDidNotAnswer(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	it := newInstallTest(t)
	it.store.wrap = func(rc ReleaseClient) ReleaseClient {
		return &scripted{ReleaseClient: rc, c: it.c, applyErrs: []error{fmt.Errorf("install ing/ingress: %w", refused)}}
	}
	out, err := it.run(t)
	if err != nil || out.action != release.Install {
		t.Fatalf("%+v, %v", out, err)
	}
	if !strings.Contains(it.c.String(), "apply ingress; api ready; namespace ing; ensure secret ing/ingress-admin dryRun=false; apply ingress; wait") {
		t.Errorf("calls: %s", it.c)
	}

	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "deployments"}, "ingress", errors.New("no"))
	it = newInstallTest(t)
	it.store.wrap = func(rc ReleaseClient) ReleaseClient {
		return &scripted{ReleaseClient: rc, c: it.c, applyErrs: []error{forbidden, forbidden}}
	}
	// The API server answered the failed install itself: one /readyz
	// says it is up, and the install is not tried again.
	if _, err := it.run(t); !errors.Is(err, forbidden) || strings.Count(it.c.String(), "apply ingress") != 1 || strings.Count(it.c.String(), "api ready") != 1 {
		t.Errorf("forbidden: %v; calls %s", err, it.c)
	}

	// Helm's CRD wait words a broken watch as a resource "not ready":
	// when the API server does not answer right then, it is an outage,
	// tried again once the server is back, and nothing is rolled back.
	crdWait := errors.New("resource CustomResourceDefinition//applications.argoproj.io not ready. status: Unknown, message: ")
	it = newInstallTest(t)
	it.store.wrap = func(rc ReleaseClient) ReleaseClient {
		return &scripted{ReleaseClient: rc, c: it.c, applyErrs: []error{crdWait}}
	}
	down := true
	it.in.d.APIReady = func(ctx context.Context) error {
		it.c.add("api ready")
		if _, probe := ctx.Deadline(); probe && down {
			down = false // back by the time run waits for it
			return context.DeadlineExceeded
		}
		return nil
	}
	out, err = it.run(t)
	if err != nil || out.action != release.Install {
		t.Fatalf("CRD wait during an outage: %+v, %v", out, err)
	}
	if got := it.c.String(); !strings.Contains(got, "apply ingress; api ready; api ready; namespace ing; ensure secret ing/ingress-admin dryRun=false; apply ingress; wait") || strings.Contains(got, "rollback") {
		t.Errorf("CRD wait during an outage: calls %s", got)
	}
}

// TestReadinessTimeoutIsMarked: a readiness timeout comes back as
// outcome.ErrTimeout (exit 124) with the diagnosis as its message.
func TestReadinessTimeoutIsMarked(t *testing.T) {
	it := newInstallTest(t)
	te := &wait.TimeoutError{}
	it.in.d.Readiness = readiness{c: it.c, err: te}
	_, err := it.run(t)
	if !errors.Is(err, outcome.ErrTimeout) || err.Error() != te.Error() {
		t.Fatalf("%v (timeout: %v)", err, errors.Is(err, outcome.ErrTimeout))
	}
}
