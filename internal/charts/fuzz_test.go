package charts

import (
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/internal/digest"
)

// FuzzIndexEntry feeds arbitrary bytes to slipway's reading of a
// repository's index.yaml, and every version of every entry to
// resolved, which turns an entry into what is fetched and cached: it
// must never panic; what it accepts has a digest of the exact form (or
// none), an http(s) download URL, and a cache path inside the cache; and
// what it refuses for its digest is marked ErrRefused (exit 2). Seeds
// are index entries as Helm writes them, and hostile ones.
//
//	go test ./internal/charts -run '^$' -fuzz FuzzIndexEntry -fuzztime 60s
func FuzzIndexEntry(f *testing.F) {
	for _, seed := range []string{
		`apiVersion: v1
entries:
  traefik:
  - annotations:
      artifacthub.io/changes: |
        - kind: changed
          description: bump traefik
    apiVersion: v2
    appVersion: v3.6.2
    created: "2026-10-01T09:12:44.617253147Z"
    description: A Traefik based Kubernetes ingress controller
    digest: 0b7b5dbbd5e0ad2e4e2c6a4a1a4b1c3f0d1a2a3b4c5d6e7f8091a2b3c4d5e6f7
    home: https://traefik.io/
    icon: https://raw.githubusercontent.com/traefik/traefik/v2.3.3/docs/content/assets/img/traefik.logo.png
    kubeVersion: '>=1.22.0-0'
    name: traefik
    type: application
    urls:
    - https://traefik.github.io/charts/traefik-41.3.0.tgz
    version: 41.3.0
generated: "2026-10-01T09:12:44.61724Z"
`,
		`apiVersion: v1
entries:
  web:
  - {apiVersion: v2, name: web, version: 1.1.0, urls: [web-1.1.0.tgz]}
  - {apiVersion: v2, name: web, version: 1.0.0, urls: [charts/web-1.0.0.tgz], digest: ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB}
`,
		`apiVersion: v1
entries:
  web:
  - {name: web, version: 1.0.0, urls: ["../../../web.tgz"], digest: "../../victim"}
  - {name: web, version: 1.0.1, urls: ["file:///etc/passwd"]}
  - {name: web, version: 1.0.4, urls: ["oci://registry.example/web:1.0.4"], digest: "sha256:00"}
  - {name: web, version: 1.0.2, urls: [], digest: ""}
  - {name: web, version: 1.0.3, urls: ["http://[::1]:namedport/x.tgz"]}
`,
		"apiVersion: v1\nentries: {web: [null]}\n",
		"apiVersion: v1\nentries: &a {web: *a}\n",
	} {
		f.Add([]byte(seed))
	}
	const repoURL = "https://charts.example/stable"
	cacheDir := filepath.Join(f.TempDir(), "cache")
	l := &Locator{o: Options{CacheDir: cacheDir}, cache: &cache{dir: cacheDir}}
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := parseIndex(repoURL, data)
		if err != nil {
			return
		}
		for name, entries := range idx.Entries {
			s := repoSource{l: l, url: repoURL, name: name}
			for _, e := range entries {
				if e == nil || e.Metadata == nil {
					continue
				}
				r, err := s.resolved(e)
				if err != nil {
					if e.Digest != "" && strings.Contains(err.Error(), "index.yaml gives digest") && !errors.Is(err, ErrRefused) {
						t.Fatalf("a refused digest is not marked ErrRefused: %v", err)
					}
					continue
				}
				checkResolved(t, l, r)
			}
		}
	})
}

// checkResolved is what every accepted index entry must be.
func checkResolved(t *testing.T, l *Locator, r Resolved) {
	t.Helper()
	if r.Digest != "" {
		if !digest.Valid(r.Digest) {
			t.Fatalf("accepted digest %q", r.Digest)
		}
		p, err := l.cache.archivePath(r.Digest)
		if err != nil {
			t.Fatalf("accepted digest %q names no cache file: %v", r.Digest, err)
		}
		if rel, err := filepath.Rel(l.cache.dir, p); err != nil || strings.HasPrefix(rel, "..") {
			t.Fatalf("digest %q names %s, outside the cache %s", r.Digest, p, l.cache.dir)
		}
	}
	u, err := url.Parse(r.Ref)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || r.Local() {
		t.Fatalf("accepted download URL %q (%v)", r.Ref, err)
	}
	// The digest check before a download refuses nothing resolved accepted.
	if err := checkDigest(r); err != nil {
		t.Fatalf("resolved %+v, then checkDigest: %v", r, err)
	}
}
