package kube

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Read-ahead lets a command ask early for what a later stage will read
// (issue 18): `up` holds the run lock from its second round trip on, and
// every GET a stage makes after its local work (the inventory before the
// install, an internal Secret before its release, the registry's Service
// for the report) was a round trip of its own on the critical path of a
// no-op on a remote cluster. A stage keeps its own code and its own GET:
// the answer read ahead is handed to the first GET of the same URL (and
// Accept header) after it, through the transport, once. A GET that comes
// while the read ahead is in flight waits for it; a later one, a retry
// after a conflict, or one after maxAhead, goes to the server. Only the
// timing moves: a stage that writes what it read is guarded by the read's
// resourceVersion as before.

// maxAhead is how long an answer read ahead may wait for its reader.
const maxAhead = time.Minute

// readAheadKey marks, in a request's context, a read made ahead.
type readAheadKey struct{}

// readAhead holds the answers read ahead and not yet handed out.
type readAhead struct {
	mu sync.Mutex
	m  map[string]*aheadAnswer // see aheadKey
}

// aheadAnswer is one read made ahead; done is closed when resp is set
// (nil when the read failed: its reader asks the server itself).
type aheadAnswer struct {
	done chan struct{}
	at   time.Time
	resp *Recorded
}

func aheadKey(req *http.Request) string {
	return req.URL.String() + "\x00" + req.Header.Get("Accept")
}

// ReadAhead runs read in the background with a context that marks its
// GETs as read ahead: their answers go to read as usual, and to the next
// GET of the same URL any of the cluster's clients makes (see above).
// read should only read; what it gets back may be thrown away.
func (c *Cluster) ReadAhead(ctx context.Context, read func(ctx context.Context)) {
	if c.ahead == nil {
		return // a Cluster built by hand (tests): nothing to read for
	}
	go read(context.WithValue(ctx, readAheadKey{}, true))
}

func (a *readAhead) wrap(rt http.RoundTripper) http.RoundTripper {
	return aheadTransport{ahead: a, base: rt}
}

type aheadTransport struct {
	ahead *readAhead
	base  http.RoundTripper
}

// WrappedRoundTripper lets client-go see through the wrapper.
func (t aheadTransport) WrappedRoundTripper() http.RoundTripper { return t.base }

func (t aheadTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.URL.Query().Has("watch") {
		return t.base.RoundTrip(req)
	}
	if req.Context().Value(readAheadKey{}) != nil {
		return t.readAhead(req)
	}
	if resp := t.ahead.take(req); resp != nil {
		return resp, nil
	}
	return t.base.RoundTrip(req)
}

// readAhead makes req, a read ahead, and keeps a copy of its answer.
func (t aheadTransport) readAhead(req *http.Request) (*http.Response, error) {
	key := aheadKey(req)
	ans := &aheadAnswer{done: make(chan struct{}), at: time.Now()}
	t.ahead.mu.Lock()
	if t.ahead.m == nil {
		t.ahead.m = map[string]*aheadAnswer{}
	}
	t.ahead.m[key] = ans
	t.ahead.mu.Unlock()
	defer close(ans.done)
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if ans.resp, err = Record(resp, 0); err != nil {
		return nil, err
	}
	return resp, nil
}

// take hands out the answer read ahead for req, once, waiting for it
// while it is in flight; nil when there is none to give.
func (a *readAhead) take(req *http.Request) *http.Response {
	key := aheadKey(req)
	a.mu.Lock()
	ans := a.m[key]
	delete(a.m, key)
	a.mu.Unlock()
	if ans == nil || time.Since(ans.at) > maxAhead {
		return nil
	}
	select {
	case <-ans.done:
	case <-req.Context().Done():
		return nil
	}
	r := ans.resp
	if r == nil || time.Since(ans.at) > maxAhead {
		return nil
	}
	return r.Response(req)
}
