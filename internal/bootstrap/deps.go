package bootstrap

import (
	"context"
	"net"
	"time"

	"github.com/slipway-dev/slipway/internal/credentials"
	"github.com/slipway-dev/slipway/internal/gitauth"
	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/preflight"
	"github.com/slipway-dev/slipway/internal/release"
	"github.com/slipway-dev/slipway/internal/wait"
)

// Deps are what up needs of the world beyond its inputs, each a small
// interface declared here, where it is used. depsOn builds the real
// ones from the cluster up connected to; unit tests pass fakes (Helm's
// in-memory release store, a fake clientset, a readiness that answers at
// once).
type Deps struct {
	Releases Releases
	Secrets  SecretStore
	// RepoSecrets creates the GitOps repository credential Secret.
	RepoSecrets RepoSecrets
	Namespaces  func(ctx context.Context, ns string) error
	Readiness   Readiness
	// CRDs, if set, is asked before each install whether the custom
	// kinds the chart renders are served yet (see crds.go).
	CRDs CRDs
	// Record writes the inventory entries of what is about to be
	// installed, so that status, credentials and down find it even when
	// up is killed half-way.
	Record func(ctx context.Context, entries ...inventory.Entry) error
	// APIReady returns once the API server answers again, or when ctx
	// ends; an install that met an outage is tried again after it.
	APIReady func(ctx context.Context) error
	Now      func() time.Time
	Resolver preflight.Resolver
}

// Releases reaches the Helm releases of a namespace.
type Releases interface {
	For(ns string) (ReleaseClient, error)
}

// ReleaseClient is what up does with one namespace's Helm releases;
// release.Manager implements it.
type ReleaseClient interface {
	Get(ctx context.Context, name string) (*release.Info, error)
	Apply(ctx context.Context, s release.Spec) (release.Result, error)
	Repair(ctx context.Context, name string, timeout time.Duration) (string, error)
	Rollback(ctx context.Context, name string, revision int, timeout time.Duration) error
}

// SecretStore keeps the admin credentials and generated Secrets;
// credentials.Store implements it.
type SecretStore interface {
	Ensure(ctx context.Context, spec credentials.Spec, provided string, dryRun bool) (credentials.Credential, error)
	EnsureInternal(ctx context.Context, in credentials.Internal) (bool, error)
	EnsureRegistry(ctx context.Context, l credentials.RegistryLogin) (bool, error)
}

// Readiness waits until the targets are ready, reporting progress.
type Readiness interface {
	Wait(ctx context.Context, targets []wait.Target, progress func(wait.Event)) error
}

// CRDs says which custom kinds the API server does not serve yet.
type CRDs interface {
	// Unserved returns the CRD names (plural.group) of the kinds that
	// are not served yet, sorted; none when all are.
	Unserved(ctx context.Context, kinds []kube.Ref) ([]string, error)
}

// depsOn returns the real Deps on cluster c; started is the time the
// run began, recorded on the credentials it creates.
func depsOn(c *kube.Cluster, started time.Time) (Deps, error) {
	waiter, err := wait.New(c.Config)
	if err != nil {
		return Deps{}, err
	}
	now := func() time.Time { return started }
	return Deps{
		Releases:    newReadOnce(managers{release.ForCluster(c)}),
		Secrets:     &credentials.Store{Client: c.Client, Now: now},
		RepoSecrets: gitauth.Store{Client: c.Client},
		Namespaces:  func(ctx context.Context, ns string) error { return kube.EnsureNamespace(ctx, c.Client, ns) },
		Readiness:   waiter,
		CRDs:        discoveryCRDs{c.Client.Discovery()},
		Record: func(ctx context.Context, entries ...inventory.Entry) error {
			return inventory.Upsert(ctx, c.Client, entries...)
		},
		APIReady: func(ctx context.Context) error { return apiReady(ctx, c) },
		Now:      now,
		Resolver: net.DefaultResolver,
	}, nil
}

// managers adapts release.Managers to Releases.
type managers struct{ release.Managers }

func (m managers) For(ns string) (ReleaseClient, error) { return m.Managers.For(ns) }

// apiReady returns once the API server answers /readyz again, or when
// ctx ends.
func apiReady(ctx context.Context, c *kube.Cluster) error {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := c.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
