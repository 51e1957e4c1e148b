package charts

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/slipway-dev/slipway/internal/digest"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// repoDir packages a tiny chart at each version into a directory with
// an index.yaml, as `helm repo index` would.
func repoDir(t *testing.T, name string, versions ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, v := range versions {
		ch := &chartv2.Chart{
			Metadata:  &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: name, Version: v},
			Templates: nil,
		}
		if _, err := chartutil.Save(ch, dir); err != nil {
			t.Fatal(err)
		}
	}
	indexDir(t, dir)
	return dir
}

// indexDir writes dir's index.yaml for the archives in it.
func indexDir(t *testing.T, dir string) {
	t.Helper()
	idx, err := repo.IndexDirectory(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// server serves dir, counting requests by kind, and requires basic auth
// when user is not empty.
type server struct {
	*httptest.Server
	index, archives atomic.Int64
}

func serve(t *testing.T, dir, user, pass string) *server {
	s := &server{}
	files := http.FileServer(http.Dir(dir))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user != "" {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != pass {
				http.Error(w, "login required", http.StatusUnauthorized)
				return
			}
		}
		if strings.HasSuffix(r.URL.Path, ".tgz") {
			s.archives.Add(1)
		} else {
			s.index.Add(1)
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func newLocator(t *testing.T, o Options) *Locator {
	t.Helper()
	if o.RepositoryConfig == "" {
		o.RepositoryConfig = writeRepos(t, nil) // never the developer's own
	}
	if o.RegistryConfig == "" {
		o.RegistryConfig = filepath.Join(t.TempDir(), "registry.json")
	}
	if o.CacheDir == "" {
		o.CacheDir = t.TempDir()
	}
	l, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	l.o.Retries = 0 // a refused login is not retried anyway; keep failures fast
	return l
}

func TestResolveFetchAndCache(t *testing.T) {
	srv := serve(t, repoDir(t, "web", "1.0.0", "1.2.0", "1.2.3", "2.0.0"), "", "")
	cache := t.TempDir()
	ctx := context.Background()
	l := newLocator(t, Options{CacheDir: cache, RepositoryConfig: writeRepos(t, nil)})
	r, err := l.Resolve(ctx, Source{Repo: srv.URL, Name: "web"}, "~1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != "1.2.3" || r.Digest == "" || r.Repo != srv.URL {
		t.Fatalf("resolved %+v, want 1.2.3 with the index's digest", r)
	}
	f, err := l.Get(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := digest.File(f.Path)
	if f.Digest != r.Digest || f.Digest != want || f.Dir {
		t.Errorf("fetched digest %s, index %s, file %s", f.Digest, r.Digest, want)
	}
	if srv.archives.Load() != 1 {
		t.Errorf("%d archive downloads, want 1", srv.archives.Load())
	}
	// A second run (a new Locator, same cache) reads the index again but
	// downloads no archive.
	l2 := newLocator(t, Options{CacheDir: cache, RepositoryConfig: writeRepos(t, nil)})
	r2, err := l2.Resolve(ctx, Source{Repo: srv.URL, Name: "web"}, "~1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l2.Get(ctx, r2); err != nil {
		t.Fatal(err)
	}
	if srv.archives.Load() != 1 || srv.index.Load() != 2 {
		t.Errorf("second run: %d archive downloads (want still 1), %d index reads (want 2)", srv.archives.Load(), srv.index.Load())
	}

	// Offline: the same constraint resolves from the cache with the server
	// gone; a version never fetched fails naming chart, source and cache.
	srv.Close()
	off := newLocator(t, Options{CacheDir: cache, Offline: true, RepositoryConfig: writeRepos(t, nil)})
	r3, err := off.Resolve(ctx, Source{Repo: srv.URL, Name: "web"}, "~1.2.0")
	if err != nil {
		t.Fatalf("offline resolve: %v", err)
	}
	if f3, err := off.Get(ctx, r3); err != nil || f3.Digest != f.Digest {
		t.Fatalf("offline get: %+v %v", f3, err)
	}
	_, err = off.Resolve(ctx, Source{Repo: srv.URL, Name: "web"}, "^2.0.0")
	if !errors.Is(err, ErrNotCached) {
		t.Fatalf("offline miss: %v, want ErrNotCached", err)
	}
	for _, want := range []string{"chart web", srv.URL, `"^2.0.0"`, "cached: 1.2.3", cache, "run once without --offline"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("offline miss %q lacks %q", err, want)
		}
	}
	_, err = off.Get(ctx, Resolved{Name: "web", Version: "2.0.0", Ref: srv.URL + "/web-2.0.0.tgz", Digest: "sha256:" + strings.Repeat("0", 64)})
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "web@2.0.0") || !strings.Contains(err.Error(), cache) {
		t.Errorf("offline fetch miss: %v", err)
	}
}

// writeRepos writes a repositories.yaml with the given entries.
func writeRepos(t *testing.T, entries []*repo.Entry) string {
	t.Helper()
	f := repo.NewFile()
	f.Add(entries...)
	p := filepath.Join(t.TempDir(), "repositories.yaml")
	if err := f.WriteFile(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRepositoryConfigLogin(t *testing.T) {
	srv := serve(t, repoDir(t, "private", "1.0.0"), "alice", "s3cret-pass")
	ctx := context.Background()

	// Without a matching entry: refused, and the message says how to log in.
	l := newLocator(t, Options{RepositoryConfig: writeRepos(t, []*repo.Entry{{Name: "other", URL: "https://example.invalid/charts", Username: "bob", Password: "x"}})})
	_, err := l.Resolve(ctx, Source{Repo: srv.URL, Name: "private"}, "*")
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "helm repo add") {
		t.Fatalf("no login: %v", err)
	}

	// An entry whose URL matches (trailing slash and case aside) gives the
	// login to the index and to the archive download.
	l = newLocator(t, Options{RepositoryConfig: writeRepos(t, []*repo.Entry{{Name: "mine", URL: strings.ToUpper(srv.URL[:4]) + srv.URL[4:] + "/", Username: "alice", Password: "s3cret-pass"}})})
	r, err := l.Resolve(ctx, Source{Repo: srv.URL, Name: "private"}, "*")
	if err != nil {
		t.Fatalf("with login: %v", err)
	}
	if _, err := l.Get(ctx, r); err != nil {
		t.Fatalf("download with login: %v", err)
	}
	if srv.archives.Load() != 1 {
		t.Errorf("archive downloads %d, want 1", srv.archives.Load())
	}

	// A wrong password says which entry was refused, never the password.
	t.Setenv("HELM_REPOSITORY_CONFIG", writeRepos(t, []*repo.Entry{{Name: "mine", URL: srv.URL, Username: "alice", Password: "wrong-pass"}}))
	l2, err := New(Options{CacheDir: t.TempDir(), RegistryConfig: filepath.Join(t.TempDir(), "r.json"), Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l2.Resolve(ctx, Source{Repo: srv.URL, Name: "private"}, "*")
	if err == nil || !strings.Contains(err.Error(), "login of repository mine") || strings.Contains(err.Error(), "wrong-pass") {
		t.Errorf("refused login (from $HELM_REPOSITORY_CONFIG): %v", err)
	}
}

func TestRepositoryConfigNotSentElsewhere(t *testing.T) {
	// The archive lives on another host than the repository: like Helm,
	// the login is not sent there unless pass_credentials_all.
	var sawAuth atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := r.BasicAuth(); ok {
			sawAuth.Store(true)
		}
		http.NotFound(w, r)
	}))
	defer other.Close()
	l := newLocator(t, Options{RepositoryConfig: writeRepos(t, []*repo.Entry{{Name: "r", URL: "http://repo.example", Username: "u", Password: "p"}})})
	l.Get(context.Background(), Resolved{Name: "x", Version: "1.0.0", Ref: other.URL + "/x-1.0.0.tgz", Repo: "http://repo.example"})
	if sawAuth.Load() {
		t.Error("credentials sent to a host other than the repository's")
	}
}

func TestRepositoryConfigMissing(t *testing.T) {
	// Helm's default file not existing is normal; a named one must exist.
	t.Setenv("HELM_REPOSITORY_CONFIG", "")
	t.Setenv("HELM_CONFIG_HOME", t.TempDir())
	if _, err := New(Options{CacheDir: t.TempDir()}); err != nil {
		t.Errorf("default repositories.yaml missing: %v", err)
	}
	_, err := New(Options{CacheDir: t.TempDir(), RepositoryConfig: "/nonexistent/repositories.yaml"})
	if err == nil || !strings.Contains(err.Error(), "--repository-config") {
		t.Errorf("named file missing: %v", err)
	}
}

func TestGetLocalDigests(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: d\nversion: 1.0.0\n"), 0o600)
	l := newLocator(t, Options{})
	f, err := l.Get(context.Background(), Resolved{Name: "d", Version: "1.0.0", Ref: dir})
	want, _ := digest.Dir(dir)
	if err != nil || !f.Dir || f.Digest != want || f.Path != dir {
		t.Errorf("directory chart: %+v %v", f, err)
	}
}

func TestRepositoryConfigCAFile(t *testing.T) {
	dir := repoDir(t, "tls", "1.0.0")
	srv := httptest.NewTLSServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	ctx := context.Background()
	// Unknown CA: refused.
	l := newLocator(t, Options{})
	if _, err := l.Resolve(ctx, Source{Repo: srv.URL, Name: "tls"}, "*"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("self-signed repository accepted without its CA: %v", err)
	}
	// The entry's caFile makes it trusted, for the index and the archive.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pemCert(srv.Certificate().Raw), 0o600); err != nil {
		t.Fatal(err)
	}
	l = newLocator(t, Options{RepositoryConfig: writeRepos(t, []*repo.Entry{{Name: "tls", URL: srv.URL, CAFile: ca}})})
	r, err := l.Resolve(ctx, Source{Repo: srv.URL, Name: "tls"}, "*")
	if err != nil {
		t.Fatalf("with caFile: %v", err)
	}
	if _, err := l.Get(ctx, r); err != nil {
		t.Fatalf("download with caFile: %v", err)
	}
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
