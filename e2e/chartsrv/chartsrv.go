package chartsrv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	dreg "github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
	"github.com/sirupsen/logrus"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/registry"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// Packaged is one chart archive.
type Packaged struct {
	Name, Version, Path string
	Digest              string // sha256:…
}

// Package writes every chart directory under srcDir as a .tgz into outDir,
// once per requested version (Chart.yaml's version is overridden).
func Package(srcDir string, versions []string, outDir string) ([]Packaged, error) {
	dirs, err := filepath.Glob(filepath.Join(srcDir, "*", "Chart.yaml"))
	if err != nil || len(dirs) == 0 {
		return nil, fmt.Errorf("no charts under %s", srcDir)
	}
	var out []Packaged
	for _, f := range dirs {
		for _, v := range versions {
			ch, err := loader.Load(filepath.Dir(f))
			if err != nil {
				return nil, err
			}
			ch.Metadata.Version = v
			path, err := chartutil.Save(ch, outDir)
			if err != nil {
				return nil, err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			sum := sha256.Sum256(data)
			out = append(out, Packaged{Name: ch.Metadata.Name, Version: v, Path: path, Digest: "sha256:" + hex.EncodeToString(sum[:])})
		}
	}
	return out, nil
}

// HTTPRepo is a classic Helm repository on loopback.
type HTTPRepo struct {
	srv      *http.Server
	url, dir string
	requests atomic.Int64
	mu       sync.Mutex
	failNext int
	failCode int
	down     bool
	// served replaces what a URL path answers (fault tests).
	served map[string][]byte
}

// NewHTTPRepo indexes the .tgz files in dir and serves dir.
func NewHTTPRepo(dir string) (*HTTPRepo, error) {
	idx, err := repo.IndexDirectory(dir, "")
	if err != nil {
		return nil, err
	}
	idx.SortEntries()
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &HTTPRepo{url: "http://" + l.Addr().String(), dir: dir, served: map[string][]byte{}}
	files := http.FileServer(http.Dir(dir))
	r.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		r.mu.Lock()
		down, fail := r.down, r.failNext > 0
		code := r.failCode
		body, tampered := r.served[req.URL.Path]
		if fail {
			r.failNext--
		}
		r.mu.Unlock()
		switch {
		case down:
			http.Error(w, "repository down (test fault)", http.StatusServiceUnavailable)
		case fail:
			http.Error(w, "injected failure", code)
		case tampered:
			w.Header().Set("Content-Type", "application/gzip")
			w.Write(body)
		default:
			files.ServeHTTP(w, req)
		}
	})}
	go r.srv.Serve(l)
	return r, nil
}

// URL is the repository URL (what `helm repo add` would take).
func (r *HTTPRepo) URL() string { return r.url }

// FailNext makes the next n requests answer status.
func (r *HTTPRepo) FailNext(n, status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failNext, r.failCode = n, status
}

// SetDown makes every request answer 503 until SetDown(false).
func (r *HTTPRepo) SetDown(down bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = down
}

// ServeArchive makes the repository answer body for the archive of chart
// name at version instead of its file, a fault for tests. With matchIndex
// the digest in index.yaml becomes body's too, so only the archive's
// content is wrong (a corrupted upload); without it the published digest
// no longer matches what is served (a tampered or stale mirror).
func (r *HTTPRepo) ServeArchive(name, version string, body []byte, matchIndex bool) error {
	path := filepath.Join(r.dir, "index.yaml")
	idx, err := repo.LoadIndexFile(path)
	if err != nil {
		return err
	}
	cv, err := idx.Get(name, version)
	if err != nil {
		return fmt.Errorf("chart %s@%s is not in the repository: %w", name, version, err)
	}
	if len(cv.URLs) == 0 {
		return fmt.Errorf("chart %s@%s has no URL in index.yaml", name, version)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.served["/"+strings.TrimPrefix(cv.URLs[0], "/")] = body
	if !matchIndex {
		return nil
	}
	sum := sha256.Sum256(body)
	cv.Digest = hex.EncodeToString(sum[:])
	return idx.WriteFile(path, 0o644)
}

// Archive returns the bytes of a packaged chart, e.g. to serve one
// version's archive in place of another's.
func (r *HTTPRepo) Archive(name, version string) ([]byte, error) {
	return os.ReadFile(filepath.Join(r.dir, fmt.Sprintf("%s-%s.tgz", name, version)))
}

// Requests counts the requests served so far.
func (r *HTTPRepo) Requests() int64 { return r.requests.Load() }

// Close stops the server.
func (r *HTTPRepo) Close() { r.srv.Close() }

// OCIRegistry is an in-process OCI registry on loopback, plain HTTP.
type OCIRegistry struct {
	reg    *dreg.Registry
	host   string
	client *registry.Client
	done   chan error
}

// NewOCIRegistry starts the registry with in-memory storage.
func NewOCIRegistry() (*OCIRegistry, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close() // the registry listens itself; the port stays free on loopback
	logrus.SetOutput(io.Discard)
	cfg := &configuration.Configuration{}
	cfg.HTTP.Addr = addr
	cfg.HTTP.DrainTimeout = time.Second
	cfg.Log.Level = "error"
	cfg.Log.AccessLog.Disabled = true
	cfg.Storage = map[string]configuration.Parameters{"inmemory": map[string]any{}}
	reg, err := dreg.NewRegistry(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	o := &OCIRegistry{reg: reg, host: addr, done: make(chan error, 1)}
	go func() { o.done <- reg.ListenAndServe() }()
	if o.client, err = registry.NewClient(registry.ClientOptPlainHTTP(), registry.ClientOptWriter(io.Discard)); err != nil {
		return nil, err
	}
	// Wait until it answers.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			return o, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("OCI registry on %s did not start: %w", addr, err)
		}
		select {
		case err := <-o.done:
			return nil, fmt.Errorf("OCI registry on %s stopped: %w", addr, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// URL is the oci:// base charts are pushed under.
func (o *OCIRegistry) URL() string { return "oci://" + o.host + "/charts" }

// Push uploads a packaged chart as <base>/<name>:<version>.
func (o *OCIRegistry) Push(p Packaged) error {
	data, err := os.ReadFile(p.Path)
	if err != nil {
		return err
	}
	ref := fmt.Sprintf("%s/charts/%s:%s", o.host, p.Name, p.Version)
	if _, err := o.client.Push(data, ref, registry.PushOptStrictMode(true)); err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	return nil
}

// Close stops the registry.
func (o *OCIRegistry) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := o.reg.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = err
	}
}
