package charts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"
	"helm.sh/helm/v4/pkg/helmpath"
	"helm.sh/helm/v4/pkg/registry"
)

// Source is where a profile says a chart comes from: exactly one of a
// classic repository (Repo and Name), an OCI reference, or a Path.
type Source struct {
	Repo, Name, OCI, Path string
	// Embedded holds slipway's own charts; a Path that names one of its
	// top-level directories is read from it.
	Embedded fs.FS
}

// ChartName is the name a mirror or charts dir looks the chart up by.
func (s Source) ChartName() string {
	switch {
	case s.Name != "":
		return s.Name
	case s.OCI != "":
		return path.Base(s.OCI)
	default:
		return filepath.Base(s.Path)
	}
}

// Options configure a Locator.
type Options struct {
	Mirror    string // classic repo URL or oci:// base; every named chart is looked up there
	ChartsDir string // directory of <name>/ chart dirs or <name>-<version>.tgz files
	CacheDir  string // default: $SLIPWAY_CACHE_DIR, else <user cache dir>/slipway/charts
	Offline   bool   // only the cache and local files
	// RegistryConfig is Helm's registry login file (default:
	// $HELM_REGISTRY_CONFIG, else Helm's own), so `helm registry login`
	// credentials work for OCI sources.
	RegistryConfig string
	// RepositoryConfig is Helm's repositories.yaml (default:
	// $HELM_REPOSITORY_CONFIG, else Helm's own): an entry whose URL is a
	// chart's repository gives its basic-auth login and TLS files, so
	// `helm repo add --username …` logins work. A missing file is fine.
	RepositoryConfig string
	HTTPClient       *http.Client
	// Retries of a 5xx answer and the first backoff (doubling).
	Retries int
	Backoff time.Duration
}

// Resolved is a chart resolved to one version.
type Resolved struct {
	Name, Version string
	Ref           string // URL of the .tgz, oci://…:version, or a local path
	Digest        string // sha256:… when known before download
	// Repo is the classic repository the chart was resolved from (its
	// repositories.yaml login applies to the download).
	Repo string `json:",omitempty"`
}

// Local reports whether r is a path on disk rather than a download.
func (r Resolved) Local() bool {
	return !strings.HasPrefix(r.Ref, "http://") && !strings.HasPrefix(r.Ref, "https://") && !strings.HasPrefix(r.Ref, "oci://")
}

// Fetched is a chart on disk with the digest of its content.
type Fetched struct {
	Path   string
	Digest string // sha256:…: of the .tgz bytes, or digest.Dir of a directory
	Dir    bool   // a chart directory rather than an archive
}

// ErrNotCached marks an --offline run that needs a chart the cache lacks.
var ErrNotCached = errors.New("not in the chart cache")

// ErrRefused marks a chart its source offered in a form slipway will not
// use: a digest that is not sha256:<64 lowercase hex> (it would name a
// file), or an archive that is not what the index published. Like
// ErrNotCached it is bad input from outside (exit 2, nothing changed):
// trying again gives the same answer.
var ErrRefused = errors.New("chart refused")

// refused keeps err's message and matches ErrRefused.
func refused(err error) error { return &markedError{err, ErrRefused} }

// notCachedError keeps its message and matches ErrNotCached.
type notCachedError struct{ err error }

func (e *notCachedError) Error() string   { return e.err.Error() }
func (e *notCachedError) Unwrap() []error { return []error{e.err, ErrNotCached} }

type markedError struct{ err, kind error }

func (e *markedError) Error() string   { return e.err.Error() }
func (e *markedError) Unwrap() []error { return []error{e.err, e.kind} }

// A source is one kind of place charts come from: a classic repository
// (repoSource), an OCI registry (ociSource), a --charts-dir (dirSource),
// a chart path on disk or embedded in slipway (pathSource), or, for
// --offline, what the cache remembers of a remote one (offlineSource).
// A value names one chart (or, for fetch, one place), so the Locator
// builds one per call; what they share (HTTP clients, registry clients,
// parsed indexes, the cache) lives in the Locator.
type source interface {
	// resolve picks the highest version of the chart that satisfies want.
	resolve(ctx context.Context, want constraint) (Resolved, error)
	// fetch brings a chart this kind of source resolved to disk.
	fetch(ctx context.Context, r Resolved) (Fetched, error)
}

// Locator resolves and fetches charts. It is safe for concurrent use, and
// it holds no lock while it talks to a repository or registry: concurrent
// callers that need the same index or archive wait for one request
// (flights), and others run in parallel.
type Locator struct {
	o       Options
	cache   *cache
	http    *httpGetter
	oci     *registries
	indexes indexes
	// flights keys one in-flight request per URL or reference.
	flights singleflight.Group
}

// New returns a Locator.
func New(o Options) (*Locator, error) {
	if o.CacheDir == "" {
		o.CacheDir = os.Getenv("SLIPWAY_CACHE_DIR")
	}
	if o.CacheDir == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("no cache directory: %w", err)
		}
		o.CacheDir = filepath.Join(d, "slipway", "charts")
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 2 * time.Minute}
	}
	if o.Retries == 0 {
		o.Retries = 3
	}
	if o.Backoff == 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.RegistryConfig == "" {
		o.RegistryConfig = os.Getenv("HELM_REGISTRY_CONFIG")
	}
	if o.RegistryConfig == "" {
		o.RegistryConfig = helmpath.ConfigPath(registry.CredentialsFileBasename)
	}
	explicitRepos := o.RepositoryConfig != ""
	if o.RepositoryConfig == "" {
		o.RepositoryConfig = os.Getenv("HELM_REPOSITORY_CONFIG")
		explicitRepos = o.RepositoryConfig != ""
	}
	if o.RepositoryConfig == "" {
		o.RepositoryConfig = helmpath.ConfigPath("repositories.yaml")
	}
	if o.Mirror != "" {
		if err := checkMirror(o.Mirror); err != nil {
			return nil, err
		}
	}
	l := &Locator{o: o, cache: &cache{dir: o.CacheDir}}
	// The parts read the Locator's options, not a copy: tests tune
	// Retries after New.
	l.http = &httpGetter{o: &l.o}
	l.oci = newRegistries(&l.o)
	if err := l.http.loadRepositories(explicitRepos); err != nil {
		return nil, err
	}
	return l, nil
}

// CacheDir is where downloaded charts are kept.
func (l *Locator) CacheDir() string { return l.o.CacheDir }

func checkMirror(m string) error {
	if strings.HasPrefix(m, "oci://") {
		if len(strings.TrimPrefix(m, "oci://")) < 3 {
			return fmt.Errorf("--chart-mirror %q: an OCI mirror looks like oci://host[:port]/path", m)
		}
		return nil
	}
	u, err := url.Parse(m)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--chart-mirror %q: use a Helm repository URL (http[s]://…) or an OCI base (oci://host/path)", m)
	}
	return nil
}

// Resolve picks the highest version of src matching constraint.
func (l *Locator) Resolve(ctx context.Context, src Source, constraint string) (Resolved, error) {
	want, err := parseConstraint(constraint)
	if err != nil {
		return Resolved{}, err
	}
	s, err := l.sourceFor(src)
	if err != nil {
		return Resolved{}, err
	}
	return s.resolve(ctx, want)
}

// sourceFor is where src is looked up: a chart path is always itself;
// otherwise --charts-dir, then --chart-mirror, stand in for the source
// the profile names. --offline swaps a remote source for what the cache
// remembers of it.
func (l *Locator) sourceFor(src Source) (source, error) {
	if src.Path != "" {
		return pathSource{l: l, path: src.Path, embedded: src.Embedded}, nil
	}
	name := src.ChartName()
	var from string // the remote source: a repository URL or an OCI reference
	var s source
	switch {
	case l.o.ChartsDir != "":
		return dirSource{dir: l.o.ChartsDir, name: name}, nil
	case strings.HasPrefix(l.o.Mirror, "oci://"):
		from = strings.TrimSuffix(l.o.Mirror, "/") + "/" + name
		s = ociSource{l: l, ref: from}
	case l.o.Mirror != "":
		from = l.o.Mirror
		s = repoSource{l: l, url: from, name: name}
	case src.OCI != "":
		from = src.OCI
		s = ociSource{l: l, ref: from}
	default:
		from = src.Repo
		s = repoSource{l: l, url: from, name: name}
	}
	if o, ok := s.(ociSource); ok {
		if err := checkOCIRef(o.ref); err != nil {
			return nil, err
		}
	}
	if l.o.Offline {
		return offlineSource{l: l, from: from, name: name}, nil
	}
	return s, nil
}

// Get returns r on disk: local charts as they are, others from the cache,
// downloading (and verifying) on a miss; with the digest of the archive
// (or of a chart directory's files), for lock files and bundles.
func (l *Locator) Get(ctx context.Context, r Resolved) (Fetched, error) {
	var s source
	switch {
	case r.Local():
		return localFetch(r)
	case l.o.Offline:
		s = offlineSource{l: l}
	case strings.HasPrefix(r.Ref, "oci://"):
		s = ociSource{l: l}
	default:
		s = repoSource{l: l, url: r.Repo}
	}
	return s.fetch(ctx, r)
}

// shared runs fn once for all concurrent callers with the same key and
// gives each its result, so two components that need the same index or
// archive cause one request. fn runs with the first caller's context (in
// slipway all callers share the run's); a caller whose own context ends
// stops waiting.
func shared[T any](ctx context.Context, g *singleflight.Group, key string, fn func() (T, error)) (T, error) {
	ch := g.DoChan(key, func() (any, error) { return fn() })
	select {
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	case res := <-ch:
		v, _ := res.Val.(T)
		return v, res.Err
	}
}
