package kube

import (
	"net/http"
	"sync"
)

// versionCache answers GET /version from the first successful answer of
// the command's connection: the server's version does not change while a
// command runs, and the Helm SDK asks for it before every action (its
// reachability check) and again for every install's capabilities, each a
// round trip on the critical path of a cold up on a remote cluster
// (issue 18). Every client of one Cluster shares it; Connect's probe
// fills it. Nothing else is cached: discovery of API groups changes when
// a chart installs CRDs.
type versionCache struct {
	mu    sync.Mutex
	first *Recorded // nil until filled
}

// wrap returns rt with GET /version served from the cache once filled.
func (v *versionCache) wrap(rt http.RoundTripper) http.RoundTripper {
	return versionTransport{cache: v, base: rt}
}

type versionTransport struct {
	cache *versionCache
	base  http.RoundTripper
}

// WrappedRoundTripper lets client-go see through the wrapper, as its own
// wrappers do.
func (t versionTransport) WrappedRoundTripper() http.RoundTripper { return t.base }

func (t versionTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.URL.Path != "/version" {
		return t.base.RoundTrip(req)
	}
	if resp := t.cache.answer(req); resp != nil {
		return resp, nil
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	rec, err := Record(resp, 1<<20)
	if err != nil {
		return nil, err
	}
	t.cache.mu.Lock()
	if t.cache.first == nil {
		t.cache.first = rec
	}
	t.cache.mu.Unlock()
	return resp, nil
}

// answer is a copy of the cached answer for req, or nil.
func (v *versionCache) answer(req *http.Request) *http.Response {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.first == nil {
		return nil
	}
	return v.first.Response(req)
}
