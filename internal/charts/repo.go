package charts

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/slipway-dev/slipway/internal/digest"
	"github.com/slipway-dev/slipway/internal/limit"
	repo "helm.sh/helm/v4/pkg/repo/v1"
	"sigs.k8s.io/yaml"
)

// repoSource is one chart of a classic Helm repository: index.yaml names
// its versions, their archive URLs and digests.
type repoSource struct {
	l    *Locator
	url  string // the repository
	name string // the chart; empty when the source only fetches
}

func (s repoSource) resolve(ctx context.Context, want constraint) (Resolved, error) {
	idx, err := s.l.index(ctx, s.url)
	if err != nil {
		return Resolved{}, err
	}
	entries := idx.Entries[s.name]
	if len(entries) == 0 {
		var names []string
		for n := range idx.Entries {
			names = append(names, n)
		}
		sort.Strings(names)
		return Resolved{}, fmt.Errorf("chart %q not found in repository %s (it has: %s)", s.name, s.url, strings.Join(names, ", "))
	}
	var versions []string
	for _, e := range entries {
		versions = append(versions, e.Version)
	}
	v, ok := pick(versions, want)
	if !ok {
		return Resolved{}, noMatch(s.name, s.url, want, versions)
	}
	for _, e := range entries {
		if e.Version != v {
			continue
		}
		r, err := s.resolved(e)
		if err == nil {
			s.l.cache.remember(s.url, r)
		}
		return r, err
	}
	panic("unreachable: pick returns one of versions")
}

// resolved is the Resolved of one index entry. Helm's index gives the
// digest as bare hex; slipway's digests carry "sha256:". It is checked
// here, before it names a file in the cache, so a damaged or hostile
// index cannot point outside it.
func (s repoSource) resolved(e *repo.ChartVersion) (Resolved, error) {
	if len(e.URLs) == 0 {
		return Resolved{}, fmt.Errorf("chart %s@%s in %s has no download URL in index.yaml", s.name, e.Version, s.url)
	}
	ref, err := repo.ResolveReferenceURL(s.url, e.URLs[0])
	if err != nil {
		return Resolved{}, fmt.Errorf("chart %s@%s in %s: download URL %q: %w", s.name, e.Version, s.url, e.URLs[0], err)
	}
	// Relative URLs resolve against the repository; an absolute one must
	// still be a download: a file:// or oci:// URL would make a hostile
	// index read a local path or pull with a registry login instead.
	if u, err := url.Parse(ref); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Resolved{}, refused(fmt.Errorf("chart %s@%s in repository %s: index.yaml gives download URL %q, which is not an http(s) URL; the index is damaged, ask its owner to regenerate it (helm repo index)", s.name, e.Version, s.url, e.URLs[0]))
	}
	r := Resolved{Name: s.name, Version: e.Version, Ref: ref, Repo: s.url}
	if e.Digest != "" {
		r.Digest = "sha256:" + e.Digest
		if !digest.Valid(r.Digest) {
			return Resolved{}, refused(fmt.Errorf("chart %s@%s in repository %s: index.yaml gives digest %q, which is not 64 lowercase hex digits of a sha256; the index is damaged, ask its owner to regenerate it (helm repo index)", s.name, e.Version, s.url, e.Digest))
		}
	}
	return r, nil
}

// maxIndex and maxChart bound an index.yaml and a chart download
// (limit.Index, limit.Chart); variables so that a test need not send
// 64 MiB.
var maxIndex, maxChart int64 = limit.Index, limit.Chart

// fetch downloads r's archive with the repository's login when it is on
// the repository's host.
func (s repoSource) fetch(ctx context.Context, r Resolved) (Fetched, error) {
	return s.l.download(ctx, r, func(ctx context.Context) ([]byte, error) {
		return s.l.http.get(ctx, r.Ref, s.l.http.archiveAuth(s.url, r.Ref), maxChart)
	})
}

// indexes are the parsed index.yaml of each repository, and the error of
// one that failed after every retry, so the components that share it do
// not each retry it again. mu guards the map only.
type indexes struct {
	mu   sync.Mutex
	done map[string]indexResult
}

type indexResult struct {
	idx *repo.IndexFile
	err error
}

func (x *indexes) get(repoURL string) (indexResult, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	r, ok := x.done[repoURL]
	return r, ok
}

func (x *indexes) put(repoURL string, r indexResult) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.done == nil {
		x.done = map[string]indexResult{}
	}
	x.done[repoURL] = r
}

// index downloads and parses a repository's index.yaml once per Locator;
// components that ask while it downloads wait for that one request.
func (l *Locator) index(ctx context.Context, repoURL string) (*repo.IndexFile, error) {
	if r, ok := l.indexes.get(repoURL); ok {
		return r.idx, r.err
	}
	return shared(ctx, &l.flights, "index\x00"+repoURL, func() (*repo.IndexFile, error) {
		if r, ok := l.indexes.get(repoURL); ok { // a flight that ended just now
			return r.idx, r.err
		}
		idx, err := l.downloadIndex(ctx, repoURL)
		if err == nil || ctx.Err() == nil {
			l.indexes.put(repoURL, indexResult{idx, err})
		}
		return idx, err
	})
}

// downloadIndex parses with Helm's repo.IndexFile type but not Helm's
// loader (repo.LoadIndexFile reads a file, and logs and drops entries it
// finds invalid); an index that is not one is named as such.
func (l *Locator) downloadIndex(ctx context.Context, repoURL string) (*repo.IndexFile, error) {
	u, err := repo.ResolveReferenceURL(repoURL, "index.yaml")
	if err != nil {
		return nil, fmt.Errorf("repository URL %q: %w", repoURL, err)
	}
	data, err := l.http.get(ctx, u, l.http.entry(repoURL), maxIndex)
	var tl *limit.TooLargeError
	if errors.As(err, &tl) {
		return nil, fmt.Errorf("repository %s: %w", repoURL, err)
	}
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w; check that it is reachable, or use --chart-mirror URL or --charts-dir DIR", repoURL, err)
	}
	return parseIndex(repoURL, data)
}

// parseIndex reads an index.yaml a repository served. Its entries are
// checked one by one, when resolved picks them.
func parseIndex(repoURL string, data []byte) (*repo.IndexFile, error) {
	var idx repo.IndexFile
	if err := yaml.Unmarshal(data, &idx); err != nil || idx.APIVersion == "" {
		return nil, fmt.Errorf("%s is not a Helm repository: its index.yaml is not a chart index; check the URL (helm repo URLs serve /index.yaml)", repoURL)
	}
	return &idx, nil
}
