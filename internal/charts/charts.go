package charts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/slipwayhq/slipway/internal/digest"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/helmpath"
	"helm.sh/helm/v4/pkg/registry"
	repo "helm.sh/helm/v4/pkg/repo/v1"
	"sigs.k8s.io/yaml"
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

// ErrNotCached marks an --offline run that needs a chart the cache lacks.
var ErrNotCached = errors.New("not in the chart cache")

// notCachedError keeps its message and matches ErrNotCached.
type notCachedError struct{ err error }

func (e *notCachedError) Error() string   { return e.err.Error() }
func (e *notCachedError) Unwrap() []error { return []error{e.err, ErrNotCached} }

// Locator resolves and fetches charts.
type Locator struct {
	o        Options
	mu       sync.Mutex
	indexes  map[string]*repo.IndexFile
	registry *registry.Client
	repos    []*repo.Entry // from RepositoryConfig
	// clients are per repositories.yaml entry with TLS files; clientsMu is
	// its own lock because index() calls client() while holding mu.
	clientsMu sync.Mutex
	clients   map[string]*http.Client
	// indexErrs remembers a repository that failed after every retry, so
	// the components that share it do not each retry it again.
	indexErrs map[string]error
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
	l := &Locator{o: o, indexes: map[string]*repo.IndexFile{}, clients: map[string]*http.Client{}, indexErrs: map[string]error{}}
	if err := l.loadRepositories(explicitRepos); err != nil {
		return nil, err
	}
	return l, nil
}

// CacheDir is where downloaded charts are kept.
func (l *Locator) CacheDir() string { return l.o.CacheDir }

// loadRepositories reads Helm's repositories.yaml. Helm's default file
// not existing is normal; one the user named must exist.
func (l *Locator) loadRepositories(explicit bool) error {
	data, err := os.ReadFile(l.o.RepositoryConfig)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !explicit {
			return nil
		}
		return fmt.Errorf("repository config %s: %w (it is Helm's repositories.yaml; check --repository-config or $HELM_REPOSITORY_CONFIG)", l.o.RepositoryConfig, err)
	}
	var f repo.File
	if err := yaml.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("repository config %s is not a Helm repositories.yaml: %w", l.o.RepositoryConfig, err)
	}
	for _, e := range f.Repositories {
		if e != nil && e.URL != "" {
			l.repos = append(l.repos, e)
		}
	}
	return nil
}

// normalURL is a repository URL for comparison: no trailing slash, scheme
// and host in lower case.
func normalURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return strings.TrimSuffix(s, "/")
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u.String()
}

// repoEntry is the repositories.yaml entry for a repository URL, or nil.
func (l *Locator) repoEntry(repoURL string) *repo.Entry {
	if repoURL == "" {
		return nil
	}
	want := normalURL(repoURL)
	for _, e := range l.repos {
		if normalURL(e.URL) == want {
			return e
		}
	}
	return nil
}

// client is the HTTP client for a repository: the default one, or one
// with the entry's TLS files.
func (l *Locator) client(e *repo.Entry) (*http.Client, error) {
	if e == nil || (e.CertFile == "" && e.KeyFile == "" && e.CAFile == "" && !e.InsecureSkipTLSVerify) {
		return l.o.HTTPClient, nil
	}
	l.clientsMu.Lock()
	defer l.clientsMu.Unlock()
	if c, ok := l.clients[e.URL]; ok {
		return c, nil
	}
	cfg := &tls.Config{InsecureSkipVerify: e.InsecureSkipTLSVerify} //nolint:gosec // the user asked for it in repositories.yaml
	if e.CertFile != "" || e.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(e.CertFile, e.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("repository %s (%s): client certificate: %w", e.Name, l.o.RepositoryConfig, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if e.CAFile != "" {
		pem, err := os.ReadFile(e.CAFile)
		if err != nil {
			return nil, fmt.Errorf("repository %s (%s): caFile: %w", e.Name, l.o.RepositoryConfig, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("repository %s (%s): caFile %s holds no PEM certificate", e.Name, l.o.RepositoryConfig, e.CAFile)
		}
		cfg.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	c := &http.Client{Timeout: l.o.HTTPClient.Timeout, Transport: tr}
	l.clients[e.URL] = c
	return c, nil
}

// sameHost reports whether two URLs share scheme and host: Helm sends a
// repository's login with an archive download only then, unless the entry
// says pass_credentials_all.
func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host)
}

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
	con, err := semver.NewConstraint(constraint)
	if err != nil {
		return Resolved{}, fmt.Errorf("invalid version constraint %q: %w", constraint, err)
	}
	if src.Path != "" {
		return l.resolveLocal(src, con, constraint)
	}
	name := src.ChartName()
	switch {
	case l.o.ChartsDir != "":
		return l.resolveDir(l.o.ChartsDir, name, con, constraint)
	case strings.HasPrefix(l.o.Mirror, "oci://"):
		return l.resolveOCI(ctx, strings.TrimSuffix(l.o.Mirror, "/")+"/"+name, con, constraint)
	case l.o.Mirror != "":
		return l.resolveRepo(ctx, l.o.Mirror, name, con, constraint)
	case src.OCI != "":
		return l.resolveOCI(ctx, src.OCI, con, constraint)
	default:
		return l.resolveRepo(ctx, src.Repo, name, con, constraint)
	}
}

// pick returns the highest version satisfying con.
func pick(versions []string, con *semver.Constraints) (string, bool) {
	var vs []*semver.Version
	for _, v := range versions {
		if sv, err := semver.NewVersion(v); err == nil && con.Check(sv) {
			vs = append(vs, sv)
		}
	}
	if len(vs) == 0 {
		return "", false
	}
	sort.Sort(semver.Collection(vs))
	return vs[len(vs)-1].Original(), true
}

// newest lists up to n of the highest versions, for error messages.
func newest(versions []string, n int) string {
	var vs []*semver.Version
	for _, v := range versions {
		if sv, err := semver.NewVersion(v); err == nil {
			vs = append(vs, sv)
		}
	}
	sort.Sort(sort.Reverse(semver.Collection(vs)))
	var out []string
	for i, v := range vs {
		if i == n {
			out = append(out, "…")
			break
		}
		out = append(out, v.Original())
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

func noMatch(name, where, constraint string, versions []string) error {
	return fmt.Errorf("chart %s in %s has no version matching %q (newest: %s); widen the constraint or pick another profile version", name, where, constraint, newest(versions, 5))
}

func (l *Locator) resolveRepo(ctx context.Context, repoURL, name string, con *semver.Constraints, constraint string) (Resolved, error) {
	if l.o.Offline {
		return l.resolveCached(repoURL, name, con, constraint)
	}
	idx, err := l.index(ctx, repoURL)
	if err != nil {
		return Resolved{}, err
	}
	entries, ok := idx.Entries[name]
	if !ok || len(entries) == 0 {
		var names []string
		for n := range idx.Entries {
			names = append(names, n)
		}
		sort.Strings(names)
		return Resolved{}, fmt.Errorf("chart %q not found in repository %s (it has: %s)", name, repoURL, strings.Join(names, ", "))
	}
	var versions []string
	for _, e := range entries {
		versions = append(versions, e.Version)
	}
	v, ok := pick(versions, con)
	if !ok {
		return Resolved{}, noMatch(name, repoURL, constraint, versions)
	}
	for _, e := range entries {
		if e.Version != v {
			continue
		}
		if len(e.URLs) == 0 {
			return Resolved{}, fmt.Errorf("chart %s@%s in %s has no download URL in index.yaml", name, v, repoURL)
		}
		ref, err := absURL(repoURL, e.URLs[0])
		if err != nil {
			return Resolved{}, err
		}
		r := Resolved{Name: name, Version: v, Ref: ref, Repo: repoURL}
		if e.Digest != "" {
			r.Digest = "sha256:" + e.Digest
		}
		l.remember(repoURL, r)
		return r, nil
	}
	panic("unreachable")
}

func absURL(base, ref string) (string, error) {
	b, err := url.Parse(strings.TrimSuffix(base, "/") + "/")
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	return b.ResolveReference(r).String(), nil
}

// index downloads and parses a repository's index.yaml once per Locator.
func (l *Locator) index(ctx context.Context, repoURL string) (*repo.IndexFile, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if idx, ok := l.indexes[repoURL]; ok {
		return idx, nil
	}
	if err, ok := l.indexErrs[repoURL]; ok {
		return nil, err
	}
	u, err := absURL(repoURL, "index.yaml")
	if err != nil {
		return nil, fmt.Errorf("repository URL %q: %w", repoURL, err)
	}
	data, err := l.get(ctx, u, l.repoEntry(repoURL))
	if err != nil {
		err = fmt.Errorf("repository %s: %w; check that it is reachable, or use --chart-mirror URL or --charts-dir DIR", repoURL, err)
		if ctx.Err() == nil {
			l.indexErrs[repoURL] = err
		}
		return nil, err
	}
	var idx repo.IndexFile
	if err := yaml.Unmarshal(data, &idx); err != nil || idx.APIVersion == "" {
		return nil, fmt.Errorf("%s is not a Helm repository: its index.yaml is not a chart index; check the URL (helm repo URLs serve /index.yaml)", repoURL)
	}
	l.indexes[repoURL] = &idx
	return &idx, nil
}

// get fetches a URL, retrying 5xx answers and connection errors with
// backoff. auth, when not nil, is the repositories.yaml entry whose login
// and TLS files apply.
func (l *Locator) get(ctx context.Context, u string, auth *repo.Entry) ([]byte, error) {
	client, err := l.client(auth)
	if err != nil {
		return nil, err
	}
	backoff := l.o.Backoff
	var lastErr error
	for attempt := 0; attempt <= l.o.Retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(backoff):
			}
			backoff *= 2
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		if auth != nil && auth.Username != "" {
			req.SetBasicAuth(auth.Username, auth.Password)
		}
		resp, err := client.Do(req)
		if err != nil {
			lastErr = err
			var ne net.Error
			if errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "connection refused") {
				continue
			}
			return nil, err
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 500:
			lastErr = fmt.Errorf("GET %s: %s", u, resp.Status)
			continue
		case resp.StatusCode == http.StatusNotFound:
			return nil, fmt.Errorf("GET %s: 404 not found", u)
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			hint := "add the repository with `helm repo add NAME URL --username … --password …` (slipway reads " + l.o.RepositoryConfig + ", or --repository-config)"
			if auth != nil && auth.Username != "" {
				hint = "the login of repository " + auth.Name + " in " + l.o.RepositoryConfig + " was refused; update it with `helm repo add --force-update`"
			}
			return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, hint)
		case resp.StatusCode != http.StatusOK:
			return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
		case err != nil:
			lastErr = err
			continue
		}
		return data, nil
	}
	return nil, fmt.Errorf("gave up after %d tries: %w", l.o.Retries+1, lastErr)
}

func (l *Locator) registryClient() (*registry.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.registry != nil {
		return l.registry, nil
	}
	opts := []registry.ClientOption{registry.ClientOptWriter(io.Discard), registry.ClientOptHTTPClient(l.o.HTTPClient),
		registry.ClientOptCredentialsFile(l.o.RegistryConfig)}
	c, err := registry.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	l.registry = c
	return c, nil
}

// clientFor is a plain-HTTP client for a registry on loopback (which
// serves HTTP), the shared registry client otherwise.
func (l *Locator) clientFor(ref string) (*registry.Client, error) {
	host := ociHost(ref)
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1" {
		opts := []registry.ClientOption{registry.ClientOptWriter(io.Discard), registry.ClientOptPlainHTTP(),
			registry.ClientOptCredentialsFile(l.o.RegistryConfig)}
		return registry.NewClient(opts...)
	}
	return l.registryClient()
}

// ociHost is the registry host[:port] of an oci:// reference.
func ociHost(ref string) string {
	return strings.SplitN(strings.TrimPrefix(ref, "oci://"), "/", 2)[0]
}

// loginHint says what to do when a registry refuses an OCI request for
// want of a login (401) or with a login it does not accept (403).
func (l *Locator) loginHint(ref string, err error) string {
	if !strings.HasPrefix(ref, "oci://") {
		return ""
	}
	host := ociHost(ref)
	msg, lower := err.Error(), strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "status code 401") || strings.Contains(lower, "unauthorized") || strings.Contains(msg, "credential not found"):
		return fmt.Sprintf("\nregistry %s asks for a login (HTTP 401) and the registry config %s has none it accepts: run `helm registry login %s`, or point --registry-config (or $HELM_REGISTRY_CONFIG) at the file that has one", host, l.o.RegistryConfig, host)
	case strings.Contains(msg, "status code 403") || strings.Contains(lower, "denied: "):
		return fmt.Sprintf("\nregistry %s refused access (HTTP 403) with the login in %s: it may have expired or lack pull access to this repository; run `helm registry login %s` again", host, l.o.RegistryConfig, host)
	}
	return ""
}

func (l *Locator) resolveOCI(ctx context.Context, ref string, con *semver.Constraints, constraint string) (Resolved, error) {
	name := path.Base(ref)
	if !strings.HasPrefix(ref, "oci://") || strings.Contains(strings.TrimPrefix(ref, "oci://"), "@") || strings.Count(ref, ":") > 2 {
		return Resolved{}, fmt.Errorf("%q is not an OCI chart reference like oci://ghcr.io/org/charts/name", ref)
	}
	if l.o.Offline {
		return l.resolveCached(ref, name, con, constraint)
	}
	c, err := l.clientFor(ref)
	if err != nil {
		return Resolved{}, err
	}
	tags, err := c.Tags(strings.TrimPrefix(ref, "oci://"))
	if err != nil {
		return Resolved{}, fmt.Errorf("list versions of %s: %w%s", ref, err, l.loginHint(ref, err))
	}
	v, ok := pick(tags, con)
	if !ok {
		return Resolved{}, noMatch(name, ref, constraint, tags)
	}
	r := Resolved{Name: name, Version: v, Ref: ref + ":" + v}
	l.remember(ref, r)
	return r, nil
}

func (l *Locator) resolveDir(dir, name string, con *semver.Constraints, constraint string) (Resolved, error) {
	candidates := map[string]string{} // version -> path
	if ver, err := chartVersion(filepath.Join(dir, name)); err == nil {
		candidates[ver] = filepath.Join(dir, name)
	}
	archives, _ := filepath.Glob(filepath.Join(dir, name+"-*.tgz"))
	for _, a := range archives {
		candidates[strings.TrimSuffix(strings.TrimPrefix(filepath.Base(a), name+"-"), ".tgz")] = a
	}
	if len(candidates) == 0 {
		return Resolved{}, fmt.Errorf("chart %q not found in --charts-dir %s (want %s/%s/ or %s/%s-<version>.tgz)", name, dir, dir, name, dir, name)
	}
	var versions []string
	for v := range candidates {
		versions = append(versions, v)
	}
	v, ok := pick(versions, con)
	if !ok {
		return Resolved{}, noMatch(name, dir, constraint, versions)
	}
	return Resolved{Name: name, Version: v, Ref: candidates[v]}, nil
}

func chartVersion(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return "", err
	}
	var meta struct{ Version string }
	if err := yaml.Unmarshal(data, &meta); err != nil {
		return "", err
	}
	return meta.Version, nil
}

// resolveLocal handles chart paths: slipway's embedded charts (extracted
// to the cache) or a directory/archive on disk.
func (l *Locator) resolveLocal(src Source, con *semver.Constraints, constraint string) (Resolved, error) {
	p := src.Path
	if src.Embedded != nil {
		if _, err := fs.Stat(src.Embedded, path.Join(p, "Chart.yaml")); err == nil {
			dir, err := l.extractEmbedded(src.Embedded, p)
			if err != nil {
				return Resolved{}, err
			}
			p = dir
		}
	}
	ch, err := loader.Load(p)
	if err != nil {
		return Resolved{}, fmt.Errorf("local chart %s: %w", src.Path, err)
	}
	v, err := semver.NewVersion(ch.Metadata.Version)
	if err != nil || !con.Check(v) {
		return Resolved{}, fmt.Errorf("local chart %s is version %s, which does not match %q", src.Path, ch.Metadata.Version, constraint)
	}
	return Resolved{Name: ch.Metadata.Name, Version: ch.Metadata.Version, Ref: p}, nil
}

// extractEmbedded copies an embedded chart directory to the cache, keyed
// by its content, and returns the directory.
func (l *Locator) extractEmbedded(fsys fs.FS, dir string) (string, error) {
	h := sha256.New()
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		files[p] = data
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(data))
		h.Write(data)
		return nil
	})
	if err != nil {
		return "", err
	}
	out := filepath.Join(l.o.CacheDir, "embedded", hex.EncodeToString(h.Sum(nil))[:16], filepath.Base(dir))
	if _, err := os.Stat(filepath.Join(out, "Chart.yaml")); err == nil {
		return out, nil
	}
	tmp, err := os.MkdirTemp(filepath.Join(l.o.CacheDir), "embedded-")
	if err != nil {
		if err := os.MkdirAll(l.o.CacheDir, 0o700); err != nil {
			return "", err
		}
		if tmp, err = os.MkdirTemp(l.o.CacheDir, "embedded-"); err != nil {
			return "", err
		}
	}
	defer os.RemoveAll(tmp)
	for p, data := range files {
		dst := filepath.Join(tmp, strings.TrimPrefix(p, dir))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return "", err
		}
		if err := os.WriteFile(dst, data, 0o600); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, out); err != nil && !os.IsExist(err) {
		if _, serr := os.Stat(filepath.Join(out, "Chart.yaml")); serr != nil {
			return "", err
		}
	}
	return out, nil
}

// Fetched is a chart on disk with the digest of its content.
type Fetched struct {
	Path   string
	Digest string // sha256:…: of the .tgz bytes, or digest.Dir of a directory
	Dir    bool   // a chart directory rather than an archive
}

// Get returns r on disk: local charts as they are, others from the cache,
// downloading (and verifying) on a miss; with the digest of the archive
// (or of a chart directory's files), for lock files and bundles.
func (l *Locator) Get(ctx context.Context, r Resolved) (Fetched, error) {
	if r.Local() {
		st, err := os.Stat(r.Ref)
		if err != nil {
			return Fetched{}, fmt.Errorf("chart %s@%s: %w", r.Name, r.Version, err)
		}
		if st.IsDir() {
			d, err := digest.Dir(r.Ref)
			return Fetched{Path: r.Ref, Digest: d, Dir: true}, err
		}
		d, err := digest.File(r.Ref)
		return Fetched{Path: r.Ref, Digest: d}, err
	}
	if p, ok := l.cached(r); ok {
		return Fetched{Path: p, Digest: "sha256:" + strings.TrimSuffix(filepath.Base(p), ".tgz")}, nil
	}
	if l.o.Offline {
		return Fetched{}, &notCachedError{fmt.Errorf("chart %s@%s (%s) is not in the chart cache %s and --offline forbids downloading it; run once without --offline to fill the cache, or use a bundle (slipway bundle create / up --bundle)", r.Name, r.Version, r.Ref, l.o.CacheDir)}
	}
	var data []byte
	var err error
	if strings.HasPrefix(r.Ref, "oci://") {
		var c *registry.Client
		if c, err = l.clientFor(r.Ref); err == nil {
			var res *registry.PullResult
			if res, err = c.Pull(strings.TrimPrefix(r.Ref, "oci://"), registry.PullOptWithChart(true)); err == nil {
				data = res.Chart.Data
			}
		}
	} else {
		var auth *repo.Entry
		if e := l.repoEntry(r.Repo); e != nil && (e.PassCredentialsAll || sameHost(e.URL, r.Ref)) {
			auth = e
		}
		data, err = l.get(ctx, r.Ref, auth)
	}
	if err != nil {
		return Fetched{}, fmt.Errorf("download chart %s@%s from %s: %w%s", r.Name, r.Version, r.Ref, err, l.loginHint(r.Ref, err))
	}
	sum := sha256.Sum256(data)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if r.Digest != "" && r.Digest != digest {
		return Fetched{}, fmt.Errorf("chart %s@%s from %s has digest %s, but the repository published %s: refusing to install a chart that does not match its index", r.Name, r.Version, r.Ref, digest, r.Digest)
	}
	if _, err := loader.LoadArchive(bytes.NewReader(data)); err != nil {
		return Fetched{}, fmt.Errorf("chart %s@%s from %s is not a valid chart archive: %w", r.Name, r.Version, r.Ref, err)
	}
	p, err := l.store(r, digest, data)
	return Fetched{Path: p, Digest: digest}, err
}

// cachePath is the content-addressed location of a digest.
func (l *Locator) cachePath(digest string) string {
	return filepath.Join(l.o.CacheDir, "sha256", strings.TrimPrefix(digest, "sha256:")+".tgz")
}

// refPath records which digest a ref resolved to, so a chart whose source
// publishes no digest (OCI before pull) is still found in the cache.
func (l *Locator) refPath(ref string) string {
	sum := sha256.Sum256([]byte(ref))
	return filepath.Join(l.o.CacheDir, "refs", hex.EncodeToString(sum[:]))
}

func (l *Locator) cached(r Resolved) (string, bool) {
	digest := r.Digest
	if digest == "" {
		data, err := os.ReadFile(l.refPath(r.Ref))
		if err != nil {
			return "", false
		}
		digest = strings.TrimSpace(string(data))
	}
	p := l.cachePath(digest)
	data, err := os.ReadFile(p)
	if err != nil {
		return "", false
	}
	sum := sha256.Sum256(data)
	if "sha256:"+hex.EncodeToString(sum[:]) != digest {
		os.Remove(p) // corrupted: fetch again
		return "", false
	}
	return p, true
}

func (l *Locator) store(r Resolved, sum string, data []byte) (string, error) {
	p := l.cachePath(sum)
	for _, d := range []string{filepath.Dir(p), filepath.Dir(l.refPath(r.Ref))} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return "", err
		}
	}
	if err := digest.WriteFileAtomic(p, data, 0o600); err != nil {
		return "", err
	}
	if err := os.WriteFile(l.refPath(r.Ref), []byte(sum+"\n"), 0o600); err != nil {
		return "", err
	}
	return p, nil
}

// remember records the versions a source offered, so --offline can
// resolve constraints from the cache later.
func (l *Locator) remember(source string, r Resolved) {
	p := filepath.Join(l.o.CacheDir, "resolved", hashName(source+"\x00"+r.Name))
	var known []Resolved
	if data, err := os.ReadFile(p); err == nil {
		yaml.Unmarshal(data, &known)
	}
	for _, k := range known {
		if k.Version == r.Version {
			return
		}
	}
	known = append(known, r)
	data, err := yaml.Marshal(known)
	if err != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(p), 0o700) == nil {
		os.WriteFile(p, data, 0o600)
	}
}

func (l *Locator) resolveCached(source, name string, con *semver.Constraints, constraint string) (Resolved, error) {
	var known []Resolved
	data, err := os.ReadFile(filepath.Join(l.o.CacheDir, "resolved", hashName(source+"\x00"+name)))
	if err == nil {
		yaml.Unmarshal(data, &known)
	}
	var versions []string
	byVersion := map[string]Resolved{}
	for _, k := range known {
		if _, ok := l.cached(k); ok {
			versions = append(versions, k.Version)
			byVersion[k.Version] = k
		}
	}
	v, ok := pick(versions, con)
	if !ok {
		return Resolved{}, &notCachedError{fmt.Errorf("--offline: no cached version of chart %s from %s matches %q (cached: %s) in %s; run once without --offline to fill the cache, or use a bundle (slipway bundle create / up --bundle)", name, source, constraint, newest(versions, 5), l.o.CacheDir)}
	}
	return byVersion[v], nil
}

func hashName(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}
