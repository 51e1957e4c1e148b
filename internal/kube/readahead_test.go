package kube

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
)

// aheadServer counts the GETs of each path and answers each with its
// count; release, while not nil, holds every answer until it is closed.
type aheadServer struct {
	mu      sync.Mutex
	n       map[string]int
	release chan struct{}
	started chan struct{} // receives when a held request arrives
}

func (s *aheadServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.n[r.URL.Path]++
	n := s.n[r.URL.Path]
	hold := s.release
	s.mu.Unlock()
	if hold != nil {
		s.started <- struct{}{}
		<-hold
	}
	fmt.Fprintf(w, "%s #%d", r.URL.Path, n)
}

func (s *aheadServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[path]
}

func aheadClient(t *testing.T, s *aheadServer) (*readAhead, func(ctx context.Context, path string) string) {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	a := &readAhead{}
	client := &http.Client{Transport: a.wrap(http.DefaultTransport)}
	get := func(ctx context.Context, path string) string {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	return a, get
}

var ahead = context.WithValue(context.Background(), readAheadKey{}, true)

// TestReadAheadAnswersTheNextGetOnce: the answer read ahead is the next
// GET's of the same URL, and only that one's; other URLs, watches and the
// GET after it (a retry after a conflict, say) reach the server.
func TestReadAheadAnswersTheNextGetOnce(t *testing.T) {
	s := &aheadServer{n: map[string]int{}}
	_, get := aheadClient(t, s)
	if got := get(ahead, "/api/v1/namespaces/a/configmaps/inv"); got != "/api/v1/namespaces/a/configmaps/inv #1" {
		t.Fatalf("the read ahead itself got %q", got)
	}
	bg := context.Background()
	if got := get(bg, "/api/v1/namespaces/a/configmaps/inv"); got != "/api/v1/namespaces/a/configmaps/inv #1" {
		t.Errorf("first GET after the read ahead: %q, want its answer", got)
	}
	if got := get(bg, "/api/v1/namespaces/a/configmaps/inv"); got != "/api/v1/namespaces/a/configmaps/inv #2" {
		t.Errorf("second GET: %q, want the server's", got)
	}
	get(ahead, "/api/v1/namespaces/a/secrets/s")
	if got := get(bg, "/api/v1/namespaces/a/secrets/s?watch=true"); got != "/api/v1/namespaces/a/secrets/s #2" {
		t.Errorf("watch: %q, want the server's", got)
	}
	if got := get(bg, "/api/v1/namespaces/a/secrets/other"); got != "/api/v1/namespaces/a/secrets/other #1" {
		t.Errorf("another URL: %q, want the server's", got)
	}
	if n := s.count("/api/v1/namespaces/a/configmaps/inv"); n != 2 {
		t.Errorf("server saw %d GETs of the inventory, want 2 (the read ahead, the second GET)", n)
	}
}

// TestReadAheadInFlightIsWaitedFor: a GET made while the read ahead is in
// flight waits for it instead of asking again.
func TestReadAheadInFlightIsWaitedFor(t *testing.T) {
	hold := make(chan struct{})
	s := &aheadServer{n: map[string]int{}, release: hold, started: make(chan struct{}, 1)}
	a, get := aheadClient(t, s)
	done := make(chan struct{})
	go func() {
		defer close(done)
		get(ahead, "/x")
	}()
	<-s.started // the read ahead reached the server and is held there
	s.mu.Lock()
	s.release = nil // a GET that reached the server now would be answered at once
	s.mu.Unlock()
	later := make(chan string, 1)
	go func() { later <- get(context.Background(), "/x") }()
	// The later GET has claimed the answer once it left the map; only
	// then is the read ahead let go.
	for pending(a) {
		runtime.Gosched()
	}
	close(hold)
	<-done
	if got := <-later; got != "/x #1" {
		t.Errorf("GET during the read ahead: %q, want the read ahead's answer", got)
	}
	if n := s.count("/x"); n != 1 {
		t.Errorf("server saw %d GETs, want 1", n)
	}
}

// TestReadAheadFailedIsNotServed: a read ahead that got no answer leaves
// its reader to ask the server.
func TestReadAheadFailedIsNotServed(t *testing.T) {
	s := &aheadServer{n: map[string]int{}}
	_, get := aheadClient(t, s)
	ctx, cancel := context.WithCancel(ahead)
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:1/x", nil)
	a := &readAhead{}
	if _, err := (aheadTransport{ahead: a, base: http.DefaultTransport}).RoundTrip(req); err == nil {
		t.Fatal("a cancelled read ahead succeeded")
	}
	if resp := a.take(req.Clone(context.Background())); resp != nil {
		t.Errorf("a failed read ahead was served: %d", resp.StatusCode)
	}
	if got := get(context.Background(), "/x"); got != "/x #1" {
		t.Errorf("GET: %q, want the server's", got)
	}
}

// pending says whether a holds an answer not yet claimed.
func pending(a *readAhead) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.m) > 0
}
