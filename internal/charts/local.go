package charts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/slipway-dev/slipway/internal/digest"
	"github.com/slipway-dev/slipway/internal/outcome"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// dirSource is one chart in a --charts-dir: a <name>/ chart directory or
// <name>-<version>.tgz archives.
type dirSource struct{ dir, name string }

// resolve lists the versions of s.name in the directory. Name and
// version come from each chart's own Chart.yaml, never from the file
// name alone: a ciserver-1.9.9.tgz holding another chart was reported
// and locked as ciserver@1.9.9 (issue 17, item 9). An archive whose file
// name and Chart.yaml disagree is refused; one that is plainly another
// chart (web-server-1.0.0.tgz, matched by web-*.tgz) is skipped.
func (s dirSource) resolve(_ context.Context, want constraint) (Resolved, error) {
	candidates := map[string]string{} // version -> path
	if dir := filepath.Join(s.dir, s.name); exists(filepath.Join(dir, "Chart.yaml")) {
		if err := regularTree(dir); err != nil {
			return Resolved{}, err
		}
		name, ver, err := chartMeta(dir)
		if err != nil {
			return Resolved{}, fmt.Errorf("--charts-dir %s: %w", dir, err)
		}
		if name != s.name {
			return Resolved{}, outcome.Input(fmt.Errorf("--charts-dir: %s/ holds chart %q (its Chart.yaml), not %q as the directory name says; rename the directory or remove it", dir, name, s.name))
		}
		candidates[ver] = dir
	}
	archives, _ := filepath.Glob(filepath.Join(s.dir, s.name+"-*.tgz"))
	for _, a := range archives {
		file := filepath.Base(a)
		name, ver, err := chartMeta(a)
		if err != nil {
			return Resolved{}, fmt.Errorf("--charts-dir %s: %w", a, err)
		}
		switch {
		case name+"-"+ver+".tgz" == file && name != s.name:
			continue // another chart whose name begins with s.name-
		case name+"-"+ver+".tgz" != file:
			return Resolved{}, outcome.Input(fmt.Errorf("--charts-dir: %s holds chart %s@%s (its Chart.yaml), not what its file name says; rename it %s-%s.tgz or remove it", a, name, ver, name, ver))
		}
		if prev, dup := candidates[ver]; dup {
			return Resolved{}, outcome.Input(fmt.Errorf("--charts-dir: %s and %s are both %s@%s; keep one", prev, a, name, ver))
		}
		candidates[ver] = a
	}
	if len(candidates) == 0 {
		return Resolved{}, fmt.Errorf("chart %q not found in --charts-dir %s (want %s/%s/ or %s/%s-<version>.tgz)", s.name, s.dir, s.dir, s.name, s.dir, s.name)
	}
	var versions []string
	for v := range candidates {
		versions = append(versions, v)
	}
	v, ok := pick(versions, want)
	if !ok {
		return Resolved{}, noMatch(s.name, s.dir, want, versions)
	}
	return Resolved{Name: s.name, Version: v, Ref: candidates[v]}, nil
}

func (dirSource) fetch(_ context.Context, r Resolved) (Fetched, error) { return localFetch(r) }

// regularTree refuses a chart directory holding a symlink (or anything
// but regular files and directories) before Helm's loader, which follows
// links, reads it; digest.Files says why. A path that is not a directory
// (an archive) passes: its digest covers its bytes.
func regularTree(p string) error {
	if st, err := os.Lstat(p); err != nil || (!st.IsDir() && st.Mode()&fs.ModeSymlink == 0) {
		return nil // missing (reported by whoever reads it) or an archive
	}
	_, err := digest.Files(p)
	return refuseIrregular(err)
}

// refuseIrregular marks a chart directory digest.Files refused as bad
// input: nothing was installed, and the user can fix it.
func refuseIrregular(err error) error {
	var ie *digest.IrregularError
	if errors.As(err, &ie) {
		return outcome.Input(err)
	}
	return err
}

// exists is true for anything at p, a dangling link included.
func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// chartMeta is the name and version a chart directory or archive's
// Chart.yaml declares, as Helm's loader reads them.
func chartMeta(p string) (name, version string, err error) {
	ch, err := loader.Load(p)
	if err != nil {
		return "", "", err
	}
	return ch.Metadata.Name, ch.Metadata.Version, nil
}

// pathSource is a chart path of a profile: one of slipway's embedded
// charts (extracted to the cache) or a directory or archive on disk.
type pathSource struct {
	l        *Locator
	path     string
	embedded fs.FS
}

func (s pathSource) resolve(_ context.Context, want constraint) (Resolved, error) {
	p := s.path
	if s.embedded != nil {
		if _, err := fs.Stat(s.embedded, path.Join(p, "Chart.yaml")); err == nil {
			dir, err := s.l.cache.extract(s.embedded, p)
			if err != nil {
				return Resolved{}, err
			}
			p = dir
		}
	}
	if err := regularTree(p); err != nil {
		return Resolved{}, err
	}
	ch, err := loader.Load(p)
	if err != nil {
		return Resolved{}, fmt.Errorf("local chart %s: %w", s.path, err)
	}
	v, err := semver.NewVersion(ch.Metadata.Version)
	if err != nil || !want.Check(v) {
		return Resolved{}, fmt.Errorf("local chart %s is version %s, which does not match %q", s.path, ch.Metadata.Version, want.text)
	}
	return Resolved{Name: ch.Metadata.Name, Version: ch.Metadata.Version, Ref: p}, nil
}

func (pathSource) fetch(_ context.Context, r Resolved) (Fetched, error) { return localFetch(r) }

// localFetch is a chart on disk as it is, with the digest of the archive
// or of the directory's files.
func localFetch(r Resolved) (Fetched, error) {
	st, err := os.Stat(r.Ref)
	if err != nil {
		return Fetched{}, fmt.Errorf("chart %s@%s: %w", r.Name, r.Version, err)
	}
	if st.IsDir() {
		d, err := digest.Dir(r.Ref)
		if err != nil {
			return Fetched{}, refuseIrregular(err)
		}
		return Fetched{Path: r.Ref, Digest: d, Dir: true}, nil
	}
	d, err := digest.File(r.Ref)
	return Fetched{Path: r.Ref, Digest: d}, err
}

// extract copies an embedded chart directory to the cache, keyed by its
// content, and returns the directory. The copy is written under a temp
// name and renamed, so a concurrent run sees all of it or none.
func (c *cache) extract(fsys fs.FS, dir string) (string, error) {
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
	out := filepath.Join(c.dir, "embedded", hex.EncodeToString(h.Sum(nil))[:16], filepath.Base(dir))
	if _, err := os.Stat(filepath.Join(out, "Chart.yaml")); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(c.dir, "embedded-")
	if err != nil {
		return "", err
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
