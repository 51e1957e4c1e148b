package bootstrap

import (
	"context"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/release"
)

// readOnce is Releases that reads each release once per command: the
// bcrypt-hash reuse and preflight read a release during prepare, and the
// install read it again before deciding there was nothing to do, each
// read a round trip on the critical path of a no-op `up` (issue 18). A
// release this command changes (Apply, Repair, Rollback) is read afresh
// afterwards; a failed read is not remembered.
//
// What another client changes between prepare and the install is not
// seen: the window is the preflight checks, and an upgrade that does
// happen reads the history itself (Helm's action does).
type readOnce struct {
	inner Releases
	mu    sync.Mutex
	reads map[string]*releaseRead // namespace/name
}

// releaseRead is one read, shared by every caller that asks while it is
// in flight.
type releaseRead struct {
	done chan struct{}
	info *release.Info
	err  error
}

func newReadOnce(inner Releases) *readOnce {
	return &readOnce{inner: inner, reads: map[string]*releaseRead{}}
}

func (r *readOnce) For(ns string) (ReleaseClient, error) {
	c, err := r.inner.For(ns)
	if err != nil {
		return nil, err
	}
	return &readOnceClient{ReleaseClient: c, ns: ns, cache: r}, nil
}

func (r *readOnce) forget(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.reads, key)
}

type readOnceClient struct {
	ReleaseClient
	ns    string
	cache *readOnce
}

func (c *readOnceClient) Get(ctx context.Context, name string) (*release.Info, error) {
	key := c.ns + "/" + name
	c.cache.mu.Lock()
	rd, ok := c.cache.reads[key]
	if !ok {
		rd = &releaseRead{done: make(chan struct{})}
		c.cache.reads[key] = rd
	}
	c.cache.mu.Unlock()
	if ok {
		select {
		case <-rd.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if rd.err == nil {
			return rd.info, nil
		}
		return c.ReleaseClient.Get(ctx, name)
	}
	rd.info, rd.err = c.ReleaseClient.Get(ctx, name)
	if rd.err != nil {
		c.cache.forget(key)
	}
	close(rd.done)
	return rd.info, rd.err
}

func (c *readOnceClient) Apply(ctx context.Context, s release.Spec) (release.Result, error) {
	defer c.cache.forget(c.ns + "/" + s.Name)
	return c.ReleaseClient.Apply(ctx, s)
}

func (c *readOnceClient) Repair(ctx context.Context, name string, timeout time.Duration) (string, error) {
	defer c.cache.forget(c.ns + "/" + name)
	return c.ReleaseClient.Repair(ctx, name, timeout)
}

func (c *readOnceClient) Rollback(ctx context.Context, name string, revision int, timeout time.Duration) error {
	defer c.cache.forget(c.ns + "/" + name)
	return c.ReleaseClient.Rollback(ctx, name, revision, timeout)
}

// prefetchConcurrency bounds the releases prefetch reads at once.
const prefetchConcurrency = 8

// prefetch starts reading the releases of every component of prof, a
// few at once, and returns without waiting: the credentials, the plan's
// bcrypt reuse, the ownership check, preflight and the install each ask
// for some of them later, one component after the other, and find the
// read done or in flight. Asked one after the other, they were a round
// trip per component on the critical path of a no-op `up` (issue 18).
// A failed read is not remembered (see readOnce), so its error reaches
// the stage that needs the release.
func (r *readOnce) prefetch(ctx context.Context, refs []releaseRef) {
	sem := make(chan struct{}, prefetchConcurrency)
	for _, ref := range refs {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if c, err := r.For(ref.namespace); err == nil {
				_, _ = c.Get(ctx, ref.name)
			}
		}()
	}
}

// releaseRef names one release.
type releaseRef struct{ namespace, name string }

// readAheadForUp asks, right after the run lock is taken, for what the
// apply stage reads before it changes anything: the inventory it records
// into, and the internal Secrets each component's install makes sure
// exist. Each was a round trip of its own on the critical path of a
// no-op `up` on a remote cluster (issue 18); their stages still make
// their GETs and get these answers (kube.Cluster.ReadAhead).
func readAheadForUp(ctx context.Context, c *kube.Cluster, prof *profile.Profile) {
	c.ReadAhead(ctx, func(ctx context.Context) {
		var wg sync.WaitGroup
		wg.Go(func() {
			_, _ = c.Client.CoreV1().ConfigMaps(inventory.Namespace).Get(ctx, inventory.Name, metav1.GetOptions{})
		})
		for _, comp := range prof.Components {
			for _, s := range comp.Secrets {
				wg.Go(func() { _, _ = c.Client.CoreV1().Secrets(comp.Namespace).Get(ctx, s.Name, metav1.GetOptions{}) })
			}
		}
		wg.Wait()
	})
}
