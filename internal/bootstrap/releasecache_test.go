package bootstrap

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/release"
)

// countingReleases counts the reads that reach the store.
type countingReleases struct {
	gets int
	fail bool
}

func (c *countingReleases) For(string) (ReleaseClient, error) { return c, nil }

func (c *countingReleases) Get(context.Context, string) (*release.Info, error) {
	c.gets++
	if c.fail {
		return nil, errors.New("the API server did not answer")
	}
	return &release.Info{Name: "web", Revision: c.gets}, nil
}

func (c *countingReleases) Apply(context.Context, release.Spec) (release.Result, error) {
	return release.Result{}, nil
}

func (c *countingReleases) Repair(context.Context, string, time.Duration) (string, error) {
	return "", nil
}

func (c *countingReleases) Rollback(context.Context, string, int, time.Duration) error { return nil }

// TestReleasesAreReadOncePerCommand: prepare's reads serve the install
// (one round trip each on a remote cluster, issue 18), until this command
// changes the release; a failed read is tried again.
func TestReleasesAreReadOncePerCommand(t *testing.T) {
	ctx := context.Background()
	store := &countingReleases{}
	r := newReadOnce(store)
	get := func() *release.Info {
		t.Helper()
		mgr, err := r.For("app")
		if err != nil {
			t.Fatal(err)
		}
		info, err := mgr.Get(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	if a, b := get(), get(); a.Revision != 1 || b.Revision != 1 || store.gets != 1 {
		t.Fatalf("two reads: revisions %d and %d after %d store reads; want revision 1 from one read", a.Revision, b.Revision, store.gets)
	}
	mgr, _ := r.For("app")
	if _, err := mgr.Apply(ctx, release.Spec{Name: "web"}); err != nil {
		t.Fatal(err)
	}
	if info := get(); info.Revision != 2 || store.gets != 2 {
		t.Fatalf("after Apply: revision %d after %d store reads; want a fresh read", info.Revision, store.gets)
	}
	if _, err := mgr.Repair(ctx, "web", time.Second); err != nil {
		t.Fatal(err)
	}
	if info := get(); info.Revision != 3 {
		t.Fatalf("after Repair: revision %d, want a fresh read", info.Revision)
	}

	store.fail = true
	other, _ := r.For("other")
	if _, err := other.Get(ctx, "web"); err == nil {
		t.Fatal("a failed read succeeded")
	}
	store.fail = false
	if info, err := other.Get(ctx, "web"); err != nil || info == nil {
		t.Fatalf("the read after a failure: %v, %v; want it tried again", info, err)
	}
}

// barrierReleases answers no read until n reads are in flight, so that
// a caller that reads one after the other never gets an answer.
type barrierReleases struct {
	countingReleases
	mu      sync.Mutex
	n, in   int
	all     chan struct{}
	timeout time.Duration
}

func (b *barrierReleases) For(string) (ReleaseClient, error) { return b, nil }

func (b *barrierReleases) Get(ctx context.Context, name string) (*release.Info, error) {
	b.mu.Lock()
	if b.in++; b.in == b.n {
		close(b.all)
	}
	b.gets++
	b.mu.Unlock()
	select {
	case <-b.all:
		return &release.Info{Name: name}, nil
	case <-time.After(b.timeout):
		return nil, errors.New("the other reads never came: read one after the other")
	}
}

// TestPrefetchReadsEveryReleaseAtOnce: prefetch has every release's read
// in flight at the same time, and the stages that ask later, one release
// after the other, are served by those reads (issue 18).
func TestPrefetchReadsEveryReleaseAtOnce(t *testing.T) {
	ctx := context.Background()
	refs := []releaseRef{{"argocd", "argocd"}, {"jenkins", "jenkins"}, {"registry", "registry"}, {"traefik", "traefik"}}
	store := &barrierReleases{n: len(refs), all: make(chan struct{}), timeout: 10 * time.Second}
	r := newReadOnce(store)
	r.prefetch(ctx, refs)
	for _, ref := range refs {
		mgr, err := r.For(ref.namespace)
		if err != nil {
			t.Fatal(err)
		}
		info, err := mgr.Get(ctx, ref.name)
		if err != nil {
			t.Fatalf("%s: %v", ref.name, err)
		}
		if info.Name != ref.name {
			t.Errorf("%s: got release %q", ref.name, info.Name)
		}
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	if store.gets != len(refs) {
		t.Errorf("%d reads reached the store, want %d (one per release)", store.gets, len(refs))
	}
}
