package release

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/slipway-dev/slipway/internal/kube"
)

// Helm's conflict check, fetched at once.
//
// Before a fresh install creates anything, Helm GETs every object the
// chart renders, one after the other, to refuse one that exists and
// belongs to no release of this name (action/validate.go,
// existingResourceConflict). Argo CD's chart renders 56 objects: 5.8 s
// of the critical path of a cold `up` on a cluster 100 ms away, before
// its first object was created (issue 18).
//
// prefetch keeps Helm's check exactly as it is and only changes when the
// answers travel: the kube client wrapper (kubeClient.Build) arms it with
// the URL of each GET Helm is about to make, and when Helm's first GET of
// one of them arrives, the transport sends all of them at once (at most
// prefetchParallel at a time), each a copy of Helm's own request (its
// headers, credentials and query) with only the path changed. Each of
// Helm's GETs is then answered with the server's answer to its own URL,
// taken moments earlier in the same install call: once, and only if it
// is under prefetchTTL old; a second GET of the same URL, a request that
// differs in anything but the URL, or a prefetch that got no answer (the
// connection failed) goes to the server as usual. Helm decides on the
// server's answers as before: an object that exists and was not created
// by this release still fails the install (TestInstallRefusesForeignObject
// in e2e).
type prefetch struct {
	mu      sync.Mutex
	armed   bool              // the next Build may arm it
	urls    map[string]*fetch // by URL; nil when not armed
	started bool
	now     func() time.Time
}

const (
	prefetchParallel = 32
	prefetchTTL      = 5 * time.Second
)

// fetch is one prefetched GET: done closes when resp or err is set.
type fetch struct {
	done   chan struct{}
	resp   *kube.Recorded
	err    error
	at     time.Time
	accept string
	used   bool
}

func newPrefetch() *prefetch { return &prefetch{now: time.Now} }

// expect lets the next Builds arm the prefetch, until the first armed GET
// or done; done forgets every answer not used.
func (p *prefetch) expect() (done func()) {
	if p == nil {
		return func() {}
	}
	p.mu.Lock()
	p.armed, p.urls, p.started = true, nil, false
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		p.armed, p.urls, p.started = false, nil, false
		p.mu.Unlock()
	}
}

// arm replaces the URLs to fetch, unless a fetch has started.
func (p *prefetch) arm(urls []string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.armed || p.started {
		return
	}
	p.urls = map[string]*fetch{}
	for _, u := range urls {
		p.urls[u] = &fetch{done: make(chan struct{})}
	}
}

// wrap is the transport hook: rt is the client's own transport.
func (p *prefetch) wrap(rt http.RoundTripper) http.RoundTripper {
	return &prefetchTransport{p: p, base: rt}
}

type prefetchTransport struct {
	p    *prefetch
	base http.RoundTripper
}

// WrappedRoundTripper lets client-go see through the wrapper.
func (t *prefetchTransport) WrappedRoundTripper() http.RoundTripper { return t.base }

func (t *prefetchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.Body != nil && req.Body != http.NoBody {
		return t.base.RoundTrip(req)
	}
	key := req.URL.String()
	p := t.p
	p.mu.Lock()
	f, ok := p.urls[key]
	if !ok || f.used {
		p.mu.Unlock()
		return t.base.RoundTrip(req)
	}
	f.used = true
	if !p.started {
		p.started = true
		t.start(req, p.urls)
	}
	p.mu.Unlock()

	select {
	case <-f.done:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	if f.err != nil || f.accept != req.Header.Get("Accept") || p.now().Sub(f.at) > prefetchTTL {
		return t.base.RoundTrip(req)
	}
	return f.resp.Response(req), nil
}

// start sends a copy of first for every URL, at most prefetchParallel at
// a time. The copies outlive first's context (client-go ends it when
// first's answer is read) but not prefetchTTL: an answer that old is
// not used. An answer's age counts from when its request was sent.
func (t *prefetchTransport) start(first *http.Request, urls map[string]*fetch) {
	sem := make(chan struct{}, prefetchParallel)
	accept := first.Header.Get("Accept")
	for u, f := range urls {
		parsed, err := first.URL.Parse(u)
		if err != nil {
			f.err = err
			close(f.done)
			continue
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(first.Context()), prefetchTTL)
		req := first.Clone(ctx)
		req.URL, req.Host = parsed, parsed.Host
		go func() {
			defer close(f.done)
			defer cancel()
			sem <- struct{}{}
			defer func() { <-sem }()
			f.at, f.accept = t.p.now(), accept
			f.resp, f.err = record(t.base, req)
		}()
	}
}

func record(rt http.RoundTripper, req *http.Request) (*kube.Recorded, error) {
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	return kube.Record(resp, 0)
}
