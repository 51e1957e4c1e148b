package charts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/slipway-dev/slipway/internal/debuglog"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/limit"
	repo "helm.sh/helm/v4/pkg/repo/v1"
	"sigs.k8s.io/yaml"
)

// httpGetter downloads from classic repositories with the logins and TLS
// files of Helm's repositories.yaml, retrying transient failures.
//
// It is written here rather than taken from Helm's getter.HTTPGetter,
// which does the same request but not the same job: it takes no context
// (a cancelled run would wait out a download), reports a status only as
// text ("failed to fetch …"), so 5xx could not be told from 404 or 401
// for the retry and the login hints, does not retry, and builds its
// client from a Transport, not the *http.Client of Options. The
// repositories.yaml types are Helm's (repo.File, repo.Entry).
type httpGetter struct {
	o     *Options
	repos []*repo.Entry // from RepositoryConfig
	// mu guards clients alone and is never held across a request.
	mu      sync.Mutex
	clients map[string]*http.Client // per repositories.yaml entry with TLS files
}

// loadRepositories reads Helm's repositories.yaml. Helm's default file
// not existing is normal; one the user named must exist.
func (h *httpGetter) loadRepositories(explicit bool) error {
	data, err := os.ReadFile(h.o.RepositoryConfig)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !explicit {
			return nil
		}
		return fmt.Errorf("repository config %s: %w (it is Helm's repositories.yaml; check --repository-config or $HELM_REPOSITORY_CONFIG)", h.o.RepositoryConfig, err)
	}
	var f repo.File
	if err := yaml.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("repository config %s is not a Helm repositories.yaml: %w", h.o.RepositoryConfig, err)
	}
	for _, e := range f.Repositories {
		if e != nil && e.URL != "" {
			h.repos = append(h.repos, e)
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

// entry is the repositories.yaml entry for a repository URL, or nil.
func (h *httpGetter) entry(repoURL string) *repo.Entry {
	if repoURL == "" {
		return nil
	}
	want := normalURL(repoURL)
	for _, e := range h.repos {
		if normalURL(e.URL) == want {
			return e
		}
	}
	return nil
}

// archiveAuth is the entry whose login goes with an archive download:
// like Helm, only to the repository's own scheme and host, unless the
// entry says pass_credentials_all.
func (h *httpGetter) archiveAuth(repoURL, archive string) *repo.Entry {
	e := h.entry(repoURL)
	if e != nil && (e.PassCredentialsAll || sameHost(e.URL, archive)) {
		return e
	}
	return nil
}

// sameHost reports whether two URLs share scheme and host.
func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host)
}

// client is the HTTP client for a repository: the default one, or one
// with the entry's TLS files. Helm's TLS helper is internal to Helm, so
// the config is built here.
func (h *httpGetter) client(e *repo.Entry) (*http.Client, error) {
	if e == nil || (e.CertFile == "" && e.KeyFile == "" && e.CAFile == "" && !e.InsecureSkipTLSVerify) {
		return h.o.HTTPClient, nil
	}
	h.mu.Lock()
	c, ok := h.clients[e.URL]
	h.mu.Unlock()
	if ok {
		return c, nil
	}
	cfg := &tls.Config{InsecureSkipVerify: e.InsecureSkipTLSVerify} //nolint:gosec // the user asked for it in repositories.yaml
	if e.CertFile != "" || e.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(e.CertFile, e.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("repository %s (%s): client certificate: %w", e.Name, h.o.RepositoryConfig, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if e.CAFile != "" {
		pem, err := os.ReadFile(e.CAFile)
		if err != nil {
			return nil, fmt.Errorf("repository %s (%s): caFile: %w", e.Name, h.o.RepositoryConfig, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("repository %s (%s): caFile %s holds no PEM certificate", e.Name, h.o.RepositoryConfig, e.CAFile)
		}
		cfg.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	c = &http.Client{Timeout: h.o.HTTPClient.Timeout, Transport: tr}
	h.mu.Lock()
	defer h.mu.Unlock()
	if prev, ok := h.clients[e.URL]; ok { // built concurrently: keep one
		return prev, nil
	}
	if h.clients == nil {
		h.clients = map[string]*http.Client{}
	}
	h.clients[e.URL] = c
	return c, nil
}

// get fetches a URL. An answer of 5xx and a transient connection failure
// (kube.Transient: refused, reset, cut short, timed out; not a host that
// does not exist) are retried with doubling backoff; 404, 401 and 403 are
// answers and fail at once, the last two saying how to log in. auth, when
// not nil, is the repositories.yaml entry whose login and TLS files apply.
// The body is read up to max bytes; a longer one fails at once, naming
// the URL and the bound (a *limit.TooLargeError), without another try.
func (h *httpGetter) get(ctx context.Context, u string, auth *repo.Entry, max int64) ([]byte, error) {
	client, err := h.client(auth)
	if err != nil {
		return nil, err
	}
	backoff := h.o.Backoff
	var lastErr error
	for attempt := 0; attempt <= h.o.Retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(backoff):
			}
			backoff *= 2
		}
		data, retry, err := h.try(ctx, client, u, auth, max)
		if err == nil {
			return data, nil
		}
		if !retry {
			return nil, err
		}
		lastErr = err
	}
	return nil, fmt.Errorf("gave up after %d tries: %w", h.o.Retries+1, lastErr)
}

// try is one request of get; retry says whether its error is worth
// another.
func (h *httpGetter) try(ctx context.Context, client *http.Client, u string, auth *repo.Entry, max int64) (data []byte, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, err
	}
	if auth != nil && auth.Username != "" {
		req.SetBasicAuth(auth.Username, auth.Password)
	}
	resp, err := debuglog.Client(client).Do(req) // --debug: method, URL, status, duration
	if err != nil {
		return nil, kube.Transient(err), err
	}
	data, err = limit.ReadAll(resp.Body, max, u)
	resp.Body.Close()
	var tl *limit.TooLargeError
	switch {
	case resp.StatusCode >= 500:
		return nil, true, fmt.Errorf("GET %s: %s", u, resp.Status)
	case resp.StatusCode == http.StatusNotFound:
		return nil, false, fmt.Errorf("GET %s: 404 not found", u)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		hint := "add the repository with `helm repo add NAME URL --username … --password …` (slipway reads " + h.o.RepositoryConfig + ", or --repository-config)"
		if auth != nil && auth.Username != "" {
			hint = "the login of repository " + auth.Name + " in " + h.o.RepositoryConfig + " was refused; update it with `helm repo add --force-update`"
		}
		return nil, false, fmt.Errorf("GET %s: %s: %s", u, resp.Status, hint)
	case resp.StatusCode != http.StatusOK:
		return nil, false, fmt.Errorf("GET %s: %s", u, resp.Status)
	case errors.As(err, &tl):
		return nil, false, err
	case err != nil: // the body was cut short
		return nil, kube.Transient(err), err
	}
	return data, false, nil
}
