package charts

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fixtureDigest is a well-formed digest (Helm's index form: bare hex)
// of no archive in particular.
var fixtureDigest = strings.Repeat("ab", 32)

// repoServer answers index.yaml, failing the first fails requests with 500
// (all of them if fails < 0), and counts the requests.
func repoServer(t *testing.T, fails int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		if fails < 0 || i <= int64(fails) {
			http.Error(w, "injected", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "apiVersion: v1\nentries:\n  web:\n  - {name: web, version: 1.0.0, urls: [web-1.0.0.tgz], digest: %s}\n", fixtureDigest)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestRetriesWithBackoff: 5xx answers are retried with a doubling
// backoff; a repository that recovers within the retries resolves.
func TestRetriesWithBackoff(t *testing.T) {
	srv, n := repoServer(t, 2)
	l, err := New(Options{CacheDir: t.TempDir(), Retries: 3, Backoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r, err := l.Resolve(context.Background(), Source{Repo: srv.URL, Name: "web"}, "~1.0")
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != "1.0.0" || r.Ref != srv.URL+"/web-1.0.0.tgz" || r.Digest != "sha256:"+fixtureDigest {
		t.Errorf("resolved %+v", r)
	}
	if n.Load() != 3 {
		t.Errorf("%d requests, want 2 failed and 1 good", n.Load())
	}
	// 20ms then 40ms of backoff, at least.
	if took := time.Since(start); took < 60*time.Millisecond {
		t.Errorf("two retries took %s: no backoff", took)
	}
}

// TestRepositoryDownOnce: a repository that never recovers fails with a
// message naming it and the tries, and is not tried again by the next
// chart that uses it.
func TestRepositoryDownOnce(t *testing.T) {
	srv, n := repoServer(t, -1)
	l, err := New(Options{CacheDir: t.TempDir(), Retries: 3, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("repository %s: gave up after 4 tries: GET %s/index.yaml: 500 Internal Server Error; check that it is reachable, or use --chart-mirror URL or --charts-dir DIR", srv.URL, srv.URL)
	for _, name := range []string{"web", "api"} {
		_, err := l.Resolve(context.Background(), Source{Repo: srv.URL, Name: name}, "~1.0")
		if err == nil || err.Error() != want {
			t.Errorf("%s: error %v\nwant %s", name, err, want)
		}
	}
	if n.Load() != 4 {
		t.Errorf("%d requests, want 4 (one round of retries for both charts)", n.Load())
	}
}

// TestNotFoundIsNotRetried: a 404 is an answer, not an outage.
func TestNotFoundIsNotRetried(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	l, err := New(Options{CacheDir: t.TempDir(), Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Resolve(context.Background(), Source{Repo: srv.URL, Name: "web"}, "~1.0")
	if err == nil || !strings.Contains(err.Error(), "404 not found") || n.Load() != 1 {
		t.Errorf("error %v after %d requests", err, n.Load())
	}
}

// TestUnknownHostIsNotRetried: a host that does not exist will not exist
// after a backoff either (kube.Transient says so); only the one lookup is
// made.
func TestUnknownHostIsNotRetried(t *testing.T) {
	var dials atomic.Int64
	client := &http.Client{Transport: &http.Transport{DialContext: func(_ context.Context, _, addr string) (net.Conn, error) {
		dials.Add(1)
		return nil, &net.DNSError{Err: "no such host", Name: addr, IsNotFound: true}
	}}}
	l, err := New(Options{CacheDir: t.TempDir(), HTTPClient: client, Retries: 3, Backoff: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Resolve(context.Background(), Source{Repo: "http://charts.example", Name: "web"}, "~1.0")
	if err == nil || !strings.Contains(err.Error(), "no such host") || strings.Contains(err.Error(), "gave up") || dials.Load() != 1 {
		t.Errorf("error %v after %d dials", err, dials.Load())
	}
}
