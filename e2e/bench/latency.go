package main

import (
	"net/http"
	"sync"
	"time"
)

// The proxy can stand in for a remote cluster: with a delay set (-rtt),
// every request waits half of it before it is forwarded, and every piece
// of the answer (status line, each chunk of the body, each watch event)
// reaches the client half of it after the API server sent it. Chunks keep
// their order and their spacing, so a watch stream is late by half the
// round trip, not bunched up. New TCP connections are not delayed (the
// proxy speaks plain HTTP on loopback, so there is no TLS handshake to
// pay for either): a real remote cluster costs a little more per new
// connection, for slipway and the Helm CLI alike.

// delayedWriter passes a response on to w, each part half a round trip
// after the proxy got it. close waits until everything has been written.
type delayedWriter struct {
	w     http.ResponseWriter
	delay time.Duration
	parts chan part
	done  chan struct{}
}

type part struct {
	due    time.Time
	status int    // WriteHeader, when not 0
	data   []byte // Write, when not nil
	flush  bool
}

func newDelayedWriter(w http.ResponseWriter, delay time.Duration) *delayedWriter {
	d := &delayedWriter{w: w, delay: delay, parts: make(chan part, 64), done: make(chan struct{})}
	go d.run()
	return d
}

func (d *delayedWriter) run() {
	defer close(d.done)
	broken := false
	for p := range d.parts {
		if broken {
			continue // drain: the client is gone
		}
		time.Sleep(time.Until(p.due))
		switch {
		case p.status != 0:
			d.w.WriteHeader(p.status)
		case p.data != nil:
			if _, err := d.w.Write(p.data); err != nil {
				broken = true
			}
		case p.flush:
			if f, ok := d.w.(http.Flusher); ok {
				f.Flush()
			}
		}
	}
}

// Header is the real writer's: the reverse proxy fills it in before it
// calls WriteHeader, which is what the delayed part sends.
func (d *delayedWriter) Header() http.Header { return d.w.Header() }

func (d *delayedWriter) WriteHeader(code int) {
	d.parts <- part{due: time.Now().Add(d.delay), status: code}
}

func (d *delayedWriter) Write(b []byte) (int, error) {
	d.parts <- part{due: time.Now().Add(d.delay), data: append([]byte(nil), b...)}
	return len(b), nil
}

// Flush lets the reverse proxy pass each watch event on at once.
func (d *delayedWriter) Flush() {
	d.parts <- part{due: time.Now().Add(d.delay), flush: true}
}

func (d *delayedWriter) close() {
	close(d.parts)
	<-d.done
}

// delayed serves r through next as if the API server were rtt away.
func delayed(rtt time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rtt <= 0 {
			next.ServeHTTP(w, r)
			return
		}
		half := rtt / 2
		select {
		case <-time.After(half):
		case <-r.Context().Done():
			return
		}
		dw := newDelayedWriter(w, half)
		defer dw.close()
		next.ServeHTTP(dw, r)
	})
}

// rttState is the proxy's current delay; the bench changes it between
// suites, never during a measurement.
type rttState struct {
	mu  sync.Mutex
	rtt time.Duration
}

func (s *rttState) set(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rtt = d
}

func (s *rttState) get() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rtt
}
