package charts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/slipway-dev/slipway/internal/digest"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"sigs.k8s.io/yaml"
)

// cache is slipway's chart cache, under one directory:
//
//	sha256/<hex>.tgz    archives, named by the sha256 of their bytes
//	refs/<hash of ref>  the digest a download URL or OCI reference gave, so a
//	                    chart whose source publishes no digest (OCI) is found
//	resolved/<hash>     the versions a remote source offered, for --offline
//	embedded/<hash>/    slipway's embedded charts, extracted (local.go)
//
// Files are written whole (digest.WriteFileAtomic), and an archive is
// checked against its name when read, so a torn or tampered file is
// fetched again, never installed.
type cache struct {
	dir string
	// mu serialises the read-modify-write of a resolved/ record between
	// two components resolving the same chart; it covers local files only.
	mu sync.Mutex
}

// archivePath is where the archive of a digest is kept. The digest names
// a file, so one that is not sha256:<64 lowercase hex> (from a damaged
// index, lock or refs/ file) is refused before it becomes a path.
func (c *cache) archivePath(d string) (string, error) {
	if !digest.Valid(d) {
		return "", fmt.Errorf("digest %q is not of the form sha256:<64 lowercase hex digits>", d)
	}
	return filepath.Join(c.dir, "sha256", strings.TrimPrefix(d, "sha256:")+".tgz"), nil
}

// refPath records which digest a ref resolved to.
func (c *cache) refPath(ref string) string {
	sum := sha256.Sum256([]byte(ref))
	return filepath.Join(c.dir, "refs", hex.EncodeToString(sum[:]))
}

// lookup is r's archive when the cache has it intact. r.Digest must be
// valid or empty (download checks it).
func (c *cache) lookup(r Resolved) (Fetched, bool) {
	d := r.Digest
	if d == "" {
		data, err := os.ReadFile(c.refPath(r.Ref))
		if err != nil {
			return Fetched{}, false
		}
		d = strings.TrimSpace(string(data))
	}
	p, err := c.archivePath(d)
	if err != nil {
		return Fetched{}, false
	}
	got, err := digest.File(p)
	if err != nil {
		return Fetched{}, false
	}
	if got != d {
		os.Remove(p) // corrupted: fetch again
		return Fetched{}, false
	}
	return Fetched{Path: p, Digest: d}, true
}

// store keeps an archive whose digest is d, and records that r.Ref gave it.
func (c *cache) store(r Resolved, d string, data []byte) (string, error) {
	p, err := c.archivePath(d)
	if err != nil {
		return "", err
	}
	ref := c.refPath(r.Ref)
	for _, dir := range []string{filepath.Dir(p), filepath.Dir(ref)} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
	}
	if err := digest.WriteFileAtomic(p, data, 0o600); err != nil {
		return "", err
	}
	if err := digest.WriteFileAtomic(ref, []byte(d+"\n"), 0o600); err != nil {
		return "", err
	}
	return p, nil
}

// recordPath holds the versions source offered of chart name.
func (c *cache) recordPath(source, name string) string {
	sum := sha256.Sum256([]byte(source + "\x00" + name))
	return filepath.Join(c.dir, "resolved", hex.EncodeToString(sum[:16]))
}

// remember records that source offered r, so --offline can resolve
// constraints from the cache later. It is best effort: a cache that
// cannot be written costs only the offline resolve.
func (c *cache) remember(source string, r Resolved) {
	if r.Digest != "" && !digest.Valid(r.Digest) {
		return // never offered to --offline: it could not name a file
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	known := c.recall(source, r.Name)
	for _, k := range known {
		if k.Version == r.Version {
			return
		}
	}
	data, err := yaml.Marshal(append(known, r))
	if err != nil {
		return
	}
	p := c.recordPath(source, r.Name)
	if os.MkdirAll(filepath.Dir(p), 0o700) == nil {
		digest.WriteFileAtomic(p, data, 0o600)
	}
}

// recall is what remember recorded of source's chart name.
func (c *cache) recall(source, name string) []Resolved {
	var known []Resolved
	if data, err := os.ReadFile(c.recordPath(source, name)); err == nil {
		yaml.Unmarshal(data, &known)
	}
	return known
}

// download is fetch for a remote source: r from the cache, else its
// archive from pull, checked against the digest its source published and
// loaded as a chart before it is stored. Components that need the same
// archive at once wait for one download.
func (l *Locator) download(ctx context.Context, r Resolved, pull func(context.Context) ([]byte, error)) (Fetched, error) {
	if err := checkDigest(r); err != nil {
		return Fetched{}, err
	}
	if f, ok := l.cache.lookup(r); ok {
		return f, nil
	}
	return shared(ctx, &l.flights, "archive\x00"+r.Ref+"\x00"+r.Digest, func() (Fetched, error) {
		if f, ok := l.cache.lookup(r); ok { // a flight that ended just now
			return f, nil
		}
		data, err := pull(ctx)
		if err != nil {
			return Fetched{}, fmt.Errorf("download chart %s@%s from %s: %w", r.Name, r.Version, r.Ref, err)
		}
		sum := sha256.Sum256(data)
		got := "sha256:" + hex.EncodeToString(sum[:])
		if r.Digest != "" && r.Digest != got {
			return Fetched{}, refused(fmt.Errorf("chart %s@%s from %s has digest %s, but the repository published %s: refusing to install a chart that does not match its index", r.Name, r.Version, r.Ref, got, r.Digest))
		}
		if _, err := loader.LoadArchive(bytes.NewReader(data)); err != nil {
			return Fetched{}, fmt.Errorf("chart %s@%s from %s is not a valid chart archive: %w", r.Name, r.Version, r.Ref, err)
		}
		p, err := l.cache.store(r, got, data)
		return Fetched{Path: p, Digest: got}, err
	})
}

// checkDigest refuses a digest (from a lock or a caller) that could not
// name a cache file, before anything is looked up.
func checkDigest(r Resolved) error {
	if r.Digest != "" && !digest.Valid(r.Digest) {
		return refused(fmt.Errorf("chart %s@%s from %s: digest %q is not of the form sha256:<64 lowercase hex digits>; refusing to use it", r.Name, r.Version, r.Ref, r.Digest))
	}
	return nil
}

// offlineSource is a remote source (repository URL or OCI reference) seen
// through the cache alone, for --offline: the versions it offered on
// earlier runs whose archives are still cached.
type offlineSource struct {
	l          *Locator
	from, name string
}

func (s offlineSource) resolve(_ context.Context, want constraint) (Resolved, error) {
	var versions []string
	byVersion := map[string]Resolved{}
	for _, k := range s.l.cache.recall(s.from, s.name) {
		if _, ok := s.l.cache.lookup(k); ok {
			versions = append(versions, k.Version)
			byVersion[k.Version] = k
		}
	}
	v, ok := pick(versions, want)
	if !ok {
		return Resolved{}, &notCachedError{fmt.Errorf("--offline: no cached version of chart %s from %s matches %q (cached: %s) in %s; run once without --offline to fill the cache, or use a bundle (slipway bundle create / up --bundle)", s.name, s.from, want.text, newest(versions, 5), s.l.o.CacheDir)}
	}
	return byVersion[v], nil
}

func (s offlineSource) fetch(_ context.Context, r Resolved) (Fetched, error) {
	if err := checkDigest(r); err != nil {
		return Fetched{}, err
	}
	if f, ok := s.l.cache.lookup(r); ok {
		return f, nil
	}
	return Fetched{}, &notCachedError{fmt.Errorf("chart %s@%s (%s) is not in the chart cache %s and --offline forbids downloading it; run once without --offline to fill the cache, or use a bundle (slipway bundle create / up --bundle)", r.Name, r.Version, r.Ref, s.l.o.CacheDir)}
}
