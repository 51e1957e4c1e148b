package release

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// server answers GET /objects/<name> with the name and counts the
// requests per path; every request waits at gate until release is
// closed, so that a test sees how many were in flight at once.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	hits     map[string]int
	inflight int
	peak     int
	arrived  chan struct{}
	release  chan struct{}
}

func newServer(t *testing.T) *server {
	s := &server{hits: map[string]int{}, arrived: make(chan struct{}, 100), release: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.inflight++
		s.peak = max(s.peak, s.inflight)
		s.mu.Unlock()
		s.arrived <- struct{}{}
		<-s.release
		s.mu.Lock()
		s.inflight--
		s.mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/missing") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, r.URL.Path+" "+r.Header.Get("Accept"))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func get(t *testing.T, c *http.Client, url, accept string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", accept)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestPrefetchAnswersEachGETOnceFromOneBatch: Helm's first GET of an
// armed URL sends all of them at once; each of Helm's GETs then gets the
// server's answer to its own URL, 404s included, and a URL asked twice
// goes to the server the second time.
func TestPrefetchAnswersEachGETOnceFromOneBatch(t *testing.T) {
	s := newServer(t)
	pf := newPrefetch()
	c := &http.Client{Transport: pf.wrap(http.DefaultTransport)}
	names := []string{"a", "b", "c", "missing"}
	var urls []string
	for _, n := range names {
		urls = append(urls, s.URL+"/objects/"+n)
	}
	done := pf.expect()
	defer done()
	pf.arm(urls)

	// Helm's GETs, one after the other; the server lets the requests go
	// once all four are in flight at once (or after a minute, when they
	// are not, and the test fails below instead of hanging).
	go func() {
		defer close(s.release)
		for range names {
			select {
			case <-s.arrived:
			case <-time.After(time.Minute):
				return
			}
		}
	}()
	for i, n := range names {
		code, body := get(t, c, urls[i], "application/json")
		want := 200
		if n == "missing" {
			want = 404
		}
		if code != want || (want == 200 && body != "/objects/"+n+" application/json") {
			t.Errorf("GET %s: %d %q, want %d with its own answer", n, code, body, want)
		}
	}
	for _, n := range names {
		if got := s.count("/objects/" + n); got != 1 {
			t.Errorf("%s reached the server %d times, want once", n, got)
		}
	}
	if s.peak != len(names) {
		t.Errorf("at most %d requests were in flight at once, want all %d", s.peak, len(names))
	}
	get(t, c, urls[0], "application/json")
	if got := s.count("/objects/a"); got != 2 {
		t.Errorf("a second GET of a reached the server %d times in all, want 2 (an answer is used once)", got)
	}
}

// TestPrefetchGoesLive: an answer is not used for a request that
// differs (Accept), when it is older than prefetchTTL, after the
// install (done), or when nothing was armed.
func TestPrefetchGoesLive(t *testing.T) {
	s := newServer(t)
	close(s.release)
	go func() {
		for range s.arrived {
		}
	}()
	now := time.Now()
	pf := newPrefetch()
	pf.now = func() time.Time { return now }
	c := &http.Client{Transport: pf.wrap(http.DefaultTransport)}
	a, b := s.URL+"/objects/a", s.URL+"/objects/b"

	get(t, c, a, "application/json") // not armed
	if s.count("/objects/a") != 1 {
		t.Fatalf("an unarmed GET did not reach the server once")
	}

	done := pf.expect()
	pf.arm([]string{a, b})
	get(t, c, a, "application/json") // starts the batch: a and b fetched
	if _, body := get(t, c, b, "application/yaml"); body != "/objects/b application/yaml" {
		t.Errorf("GET with another Accept got %q, want the server's answer to it", body)
	}
	if got := s.count("/objects/b"); got != 2 {
		t.Errorf("b reached the server %d times, want 2 (prefetch, then live for another Accept)", got)
	}
	done()

	done = pf.expect()
	pf.arm([]string{a, b})
	get(t, c, a, "application/json")
	now = now.Add(prefetchTTL + time.Second)
	get(t, c, b, "application/json")
	if got := s.count("/objects/b"); got != 4 {
		t.Errorf("b reached the server %d times, want 4 (an answer older than %s is not used)", got, prefetchTTL)
	}
	done()

	pf.arm([]string{a, b}) // after done: no effect
	get(t, c, a, "application/json")
	get(t, c, b, "application/json")
	if got := s.count("/objects/b"); got != 5 {
		t.Errorf("b reached the server %d times, want 5 (nothing armed after the install)", got)
	}
}

// TestPrefetchArmsOnlyBeforeTheFirstGET: a Build after the batch started
// (Helm's hooks) does not arm it again.
func TestPrefetchArmsOnlyBeforeTheFirstGET(t *testing.T) {
	s := newServer(t)
	close(s.release)
	go func() {
		for range s.arrived {
		}
	}()
	pf := newPrefetch()
	c := &http.Client{Transport: pf.wrap(http.DefaultTransport)}
	a, hook := s.URL+"/objects/a", s.URL+"/objects/hook"
	done := pf.expect()
	defer done()
	pf.arm([]string{s.URL + "/objects/crd"}) // Helm's CRD Build, replaced
	pf.arm([]string{a})
	get(t, c, a, "application/json")
	pf.arm([]string{hook})
	get(t, c, hook, "application/json")
	get(t, c, hook, "application/json")
	if s.count("/objects/crd") != 0 || s.count("/objects/hook") != 2 {
		t.Errorf("requests: crd %d (want 0), hook %d (want 2, both live)", s.count("/objects/crd"), s.count("/objects/hook"))
	}
}
