package charts

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// barrier holds each request until n have arrived, so a handler behind it
// answers only when n requests are in flight at once. Requests that come
// one at a time never get through: they end when the client gives up.
type barrier struct {
	n       int64
	arrived atomic.Int64
	all     chan struct{}
}

func newBarrier(n int64) *barrier { return &barrier{n: n, all: make(chan struct{})} }

func (b *barrier) wait(r *http.Request) bool {
	if b.arrived.Add(1) == b.n {
		close(b.all)
	}
	select {
	case <-b.all:
		return true
	case <-r.Context().Done():
		return false
	}
}

// inParallel runs fn for each name at once and returns their errors. Its
// context is the deadlock guard: a test whose requests are serialised
// fails with it, rather than hanging.
func inParallel(t *testing.T, names []string, fn func(ctx context.Context, name string) error) []error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() { errs[i] = fn(ctx, name) })
	}
	wg.Wait()
	return errs
}

// TestParallelFromOneRepository: two charts of one slow repository are
// resolved and downloaded at once. The archive server answers only when
// both downloads are in flight together, so the pair takes one download
// time, not two; index.yaml is read once for both.
func TestParallelFromOneRepository(t *testing.T) {
	// One repository of two charts: web's, with api's archive added.
	dir := repoDir(t, "web", "1.0.0")
	data, err := os.ReadFile(filepath.Join(repoDir(t, "api", "2.0.0"), "api-2.0.0.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "api-2.0.0.tgz"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	indexDir(t, dir)

	var indexReads atomic.Int64
	archives := newBarrier(2)
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".tgz") {
			if !archives.wait(r) {
				return
			}
		} else {
			indexReads.Add(1)
		}
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()

	l := newLocator(t, Options{})
	errs := inParallel(t, []string{"web", "api"}, func(ctx context.Context, name string) error {
		r, err := l.Resolve(ctx, Source{Repo: srv.URL, Name: name}, "*")
		if err != nil {
			return err
		}
		_, err = l.Get(ctx, r)
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("chart %d: %v (downloads that run one at a time never pass the barrier)", i, err)
		}
	}
	if n := indexReads.Load(); n != 1 {
		t.Errorf("index.yaml read %d times, want once for both charts", n)
	}
}

// TestParallelFromTwoRepositories: no lock is held while an index
// downloads, so two repositories are read at once (each answers only when
// both index requests are in flight).
func TestParallelFromTwoRepositories(t *testing.T) {
	both := newBarrier(2)
	var urls []string
	for _, name := range []string{"web", "api"} {
		files := http.FileServer(http.Dir(repoDir(t, name, "1.0.0")))
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "index.yaml") && !both.wait(r) {
				return
			}
			files.ServeHTTP(w, r)
		}))
		defer srv.Close()
		urls = append(urls, srv.URL)
	}
	l := newLocator(t, Options{})
	errs := inParallel(t, []string{"web", "api"}, func(ctx context.Context, name string) error {
		u := urls[0]
		if name == "api" {
			u = urls[1]
		}
		_, err := l.Resolve(ctx, Source{Repo: u, Name: name}, "*")
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("repository %d: %v (an index download holds a lock the other waits for)", i, err)
		}
	}
}

// TestIndexDigestRefused: a digest in index.yaml that is not 64 lowercase
// hex digits (one that climbs out of the cache, an upper-case one) is
// refused naming the repository and chart, before anything is written;
// so is such a digest handed to Get (as a damaged lock would).
func TestIndexDigestRefused(t *testing.T) {
	for _, bad := range []string{"../../../../escape", strings.Repeat("AB", 32), "sha256:" + strings.Repeat("ab", 32)} {
		t.Run(bad, func(t *testing.T) {
			dir := repoDir(t, "web", "1.0.0")
			idx, err := repo.LoadIndexFile(filepath.Join(dir, "index.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			idx.Entries["web"][0].Digest = bad
			if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
				t.Fatal(err)
			}
			srv := serve(t, dir, "", "")
			root := t.TempDir()
			cache := filepath.Join(root, "cache")
			l := newLocator(t, Options{CacheDir: cache})

			_, err = l.Resolve(context.Background(), Source{Repo: srv.URL, Name: "web"}, "*")
			if err == nil {
				t.Fatal("a malformed index digest was accepted")
			}
			for _, want := range []string{"chart web@1.0.0", "repository " + srv.URL, `"` + bad + `"`} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}

			_, err = l.Get(context.Background(), Resolved{Name: "web", Version: "1.0.0", Ref: srv.URL + "/web-1.0.0.tgz", Digest: "sha256:" + bad})
			if err == nil || !strings.Contains(err.Error(), "web@1.0.0") {
				t.Errorf("Get with a malformed digest: %v", err)
			}
			if n := srv.archives.Load(); n != 0 {
				t.Errorf("%d archive downloads, want none", n)
			}
			var touched []string
			filepath.Walk(root, func(p string, _ os.FileInfo, _ error) error {
				if p != root {
					touched = append(touched, p)
				}
				return nil
			})
			if len(touched) != 0 {
				t.Errorf("files written: %v", touched)
			}
		})
	}
}

// TestOfflineIgnoresBadRecords: a record of the versions a repository
// offered that holds a digest climbing out of the cache (written by an
// older slipway, or by hand) is neither remembered again nor used by
// --offline, and the file it points at is not removed.
func TestOfflineIgnoresBadRecords(t *testing.T) {
	root := t.TempDir()
	cache := filepath.Join(root, "cache")
	victim := filepath.Join(root, "victim.tgz")
	if err := os.WriteFile(victim, []byte("the user's own file"), 0o600); err != nil {
		t.Fatal(err)
	}
	l := newLocator(t, Options{CacheDir: cache, Offline: true})
	const repoURL = "https://charts.example"
	bad := Resolved{Name: "web", Version: "1.0.0", Ref: repoURL + "/web-1.0.0.tgz", Repo: repoURL, Digest: "sha256:../../victim"}
	l.cache.remember(repoURL, bad)
	if got := l.cache.recall(repoURL, "web"); len(got) != 0 {
		t.Errorf("remembered %+v", got)
	}
	// As an older slipway wrote it.
	p := l.cache.recordPath(repoURL, "web")
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("- {Name: web, Version: 1.0.0, Ref: "+bad.Ref+", Digest: \"sha256:../../victim\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := l.cache.recall(repoURL, "web"); len(got) != 1 || got[0].Digest != bad.Digest {
		t.Fatalf("test bug: the old record reads as %+v", got)
	}
	_, err := l.Resolve(context.Background(), Source{Repo: repoURL, Name: "web"}, "*")
	if !errors.Is(err, ErrNotCached) {
		t.Errorf("offline resolve: %v, want not cached", err)
	}
	_, err = l.Get(context.Background(), bad)
	if !errors.Is(err, ErrRefused) {
		t.Errorf("offline get: %v, want refused", err)
	}
	if data, err := os.ReadFile(victim); err != nil || string(data) != "the user's own file" {
		t.Errorf("victim: %q, %v", data, err)
	}
}

// TestIndexURLRefused: an index entry whose download URL is absolute but
// not http(s) (a local file, an OCI reference) is refused naming the
// chart and the URL, before anything is read or pulled.
func TestIndexURLRefused(t *testing.T) {
	for _, bad := range []string{"file:///etc/passwd", "oci://registry.example/charts/web:1.0.0", "ftp://x/web.tgz"} {
		t.Run(bad, func(t *testing.T) {
			s := repoSource{l: newLocator(t, Options{}), url: "https://charts.example", name: "web"}
			_, err := s.resolved(&repo.ChartVersion{Metadata: &chartv2.Metadata{Name: "web", Version: "1.0.0"}, URLs: []string{bad}})
			want := `chart web@1.0.0 in repository https://charts.example: index.yaml gives download URL "` + bad + `", which is not an http(s) URL; the index is damaged, ask its owner to regenerate it (helm repo index)`
			if err == nil || err.Error() != want || !errors.Is(err, ErrRefused) {
				t.Errorf("got %v\nwant %s", err, want)
			}
		})
	}
}
