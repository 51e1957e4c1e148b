package main

import (
	"context"
	"net/url"
	"sync"
	"time"
)

// throttledAfter is when client-go itself calls a rate-limiter wait
// throttling: it logs "Waited before sending request … client-side
// throttling" for waits longer than this (at -v=3; at the default level
// only waits over a second are logged).
const throttledAfter = 50 * time.Millisecond

// throttleStats is what client-go's rate limiter did during one run.
type throttleStats struct {
	requests  int           // requests sent (client-go's request-result hook)
	throttled int           // waits longer than throttledAfter
	maxWait   time.Duration // longest wait
}

// throttleObserver receives client-go's rate-limiter latency and request
// results for every client in this process (see metrics.Register in main).
type throttleObserver struct {
	mu    sync.Mutex
	st    throttleStats
	paths map[string]int // verb and URL template of the throttled waits
}

var throttle = &throttleObserver{}

func (o *throttleObserver) Observe(_ context.Context, verb string, u url.URL, latency time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if latency > throttledAfter {
		o.st.throttled++
		if o.paths == nil {
			o.paths = map[string]int{}
		}
		o.paths[verb+" "+u.Path]++
	}
	o.st.maxWait = max(o.st.maxWait, latency)
}

func (o *throttleObserver) Increment(context.Context, string, string, string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.st.requests++
}

// reset zeroes the observer and returns what it held.
func (o *throttleObserver) reset() throttleStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	st := o.st
	if len(o.paths) > 0 {
		logf("throttled waits by request: %v", o.paths)
	}
	o.st, o.paths = throttleStats{}, nil
	return st
}
