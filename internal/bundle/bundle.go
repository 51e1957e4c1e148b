package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/slipway-dev/slipway/internal/digest"
	"github.com/slipway-dev/slipway/internal/limit"
	"github.com/slipway-dev/slipway/internal/lock"
)

// Names inside a bundle.
const (
	LockName   = "slipway.lock"
	ImagesName = "images.txt"
	chartsDir  = "charts"
)

// Limits against a hostile or runaway archive: a chart entry, and all
// entries together. The lock and images.txt have bounds of their own
// (limit.Lock, limit.Images), enforced while they are read.
const (
	maxFile  = limit.Chart
	maxTotal = limit.Bundle
)

// Chart is one chart to put in a bundle: its lock entry and where it is
// on disk (a .tgz for FormatArchive, a directory for FormatDirectory).
type Chart struct {
	Lock lock.Chart
	Path string
}

// entryName is where a chart lives inside the bundle.
func entryName(c lock.Chart) string {
	n := chartsDir + "/" + c.Name + "-" + c.Version
	if c.Format == lock.FormatArchive {
		n += ".tgz"
	}
	return n
}

// Write creates the bundle at out atomically with mode 0600, like every
// file slipway writes: it holds no secret, but may hold private charts.
// The lock's entries must be those of charts.
func Write(out string, lf *lock.File, charts []Chart, images []string) error {
	lf.Charts = nil
	for _, c := range charts {
		lf.Charts = append(lf.Charts, c.Lock)
	}
	lockData, err := lf.Encode()
	if err != nil {
		return fmt.Errorf("bundle %s: %w", out, err)
	}
	return digest.WriteAtomic(out, 0o600, func(f io.Writer) error {
		bw := bufio.NewWriter(f)
		gz := gzip.NewWriter(bw)
		tw := tar.NewWriter(gz)
		w := &writer{tw: tw}
		w.file(LockName, lockData)
		sorted := slices.Clone(images)
		slices.Sort(sorted)
		sorted = slices.Compact(sorted)
		var img bytes.Buffer
		for _, i := range sorted {
			img.WriteString(i + "\n")
		}
		w.file(ImagesName, img.Bytes())
		written := map[string]string{} // entry name -> digest
		for _, c := range charts {
			name := entryName(c.Lock)
			if d, ok := written[name]; ok {
				if d != c.Lock.Digest {
					return fmt.Errorf("bundle %s: two different charts named %s@%s (components share a name and version but not the content)", out, c.Lock.Name, c.Lock.Version)
				}
				continue
			}
			written[name] = c.Lock.Digest
			if c.Lock.Format == lock.FormatDirectory {
				w.dir(name, c.Path)
			} else {
				data, err := os.ReadFile(c.Path)
				if err != nil {
					return fmt.Errorf("bundle %s: chart %s: %w", out, c.Lock.Name, err)
				}
				w.file(name, data)
			}
		}
		for _, err := range []error{w.err, tw.Close(), gz.Close(), bw.Flush()} {
			if err != nil {
				return fmt.Errorf("bundle %s: %w", out, err)
			}
		}
		return nil
	})
}

// writer writes tar entries with fixed times and modes, so the same
// content makes the same archive; it keeps the first error.
type writer struct {
	tw  *tar.Writer
	err error
}

var epoch = time.Unix(0, 0).UTC()

func (w *writer) file(name string, data []byte) {
	if w.err != nil {
		return
	}
	if w.err = w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: 0o644, ModTime: epoch, Format: tar.FormatPAX}); w.err == nil {
		_, w.err = w.tw.Write(data)
	}
}

func (w *writer) dir(name, src string) {
	if w.err != nil {
		return
	}
	w.err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		w.file(name+"/"+filepath.ToSlash(rel), data)
		return w.err
	})
}

// Contents is a bundle extracted and verified.
type Contents struct {
	Lock   *lock.File
	Images []string
	// Paths are the extracted charts, by component.
	Paths map[string]string
}

// Read extracts the bundle at file into dest (an empty directory the
// caller owns and removes) and verifies every chart against the lock.
// Any problem (not gzip, not tar, truncated, missing lock or chart,
// digest mismatch) is an error naming the bundle and what to do.
func Read(file, dest string) (*Contents, error) {
	var lockData, images []byte
	err := walk(file, func(name string, r io.Reader, size int64) error {
		switch {
		case name == LockName:
			var err error
			lockData, err = limit.ReadAll(r, limit.Lock, file+":"+LockName)
			return err
		case name == ImagesName:
			var err error
			images, err = limit.ReadAll(r, limit.Images, file+":"+ImagesName)
			return err
		case strings.HasPrefix(name, chartsDir+"/"):
			dst := filepath.Join(dest, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
				return err
			}
			f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, r)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			return err
		default:
			return fmt.Errorf("unexpected file %q", name)
		}
	})
	if err != nil {
		return nil, err
	}
	if lockData == nil {
		return nil, corrupt(file, errors.New("it has no "+LockName))
	}
	lf, err := lock.Decode(file+":"+LockName, lockData)
	if err != nil {
		return nil, corrupt(file, err)
	}
	c := &Contents{Lock: lf, Images: lines(images), Paths: map[string]string{}}
	var errs []error
	for _, e := range lf.Charts {
		p := filepath.Join(dest, filepath.FromSlash(entryName(e)))
		st, err := os.Stat(p)
		if err != nil || st.IsDir() != (e.Format == lock.FormatDirectory) {
			errs = append(errs, fmt.Errorf("component %s: chart %s@%s (%s) is missing from the bundle", e.Component, e.Name, e.Version, entryName(e)))
			continue
		}
		var d string
		if e.Format == lock.FormatDirectory {
			d, err = digest.Dir(p)
		} else {
			d, err = digest.File(p)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if d != e.Digest {
			errs = append(errs, fmt.Errorf("component %s: chart %s@%s in the bundle has digest %s, but its lock expects %s", e.Component, e.Name, e.Version, d, e.Digest))
			continue
		}
		c.Paths[e.Component] = p
	}
	if err := errors.Join(errs...); err != nil {
		return nil, corrupt(file, err)
	}
	return c, nil
}

// Images returns the image list of a bundle without extracting charts.
func Images(file string) ([]string, error) {
	var images []byte
	found := false
	err := walk(file, func(name string, r io.Reader, size int64) error {
		if name != ImagesName {
			_, err := io.Copy(io.Discard, r)
			return err
		}
		found = true
		var err error
		images, err = limit.ReadAll(r, limit.Images, file+":"+ImagesName)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, corrupt(file, errors.New("it has no "+ImagesName))
	}
	return lines(images), nil
}

func lines(data []byte) []string {
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func corrupt(file string, err error) error {
	return fmt.Errorf("bundle %s is damaged or was modified, nothing was installed: %w; recreate it with `slipway bundle create`", file, err)
}

// walk calls fn for every regular file of the bundle, with a clean
// relative name. Links, devices and names escaping the bundle are errors.
func walk(file string, fn func(name string, r io.Reader, size int64) error) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("bundle %s: %w", file, err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return corrupt(file, fmt.Errorf("not a gzip file (%v)", err))
	}
	tr := tar.NewReader(gz)
	var total int64
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return corrupt(file, fmt.Errorf("not a readable tar archive (%v)", err))
		}
		name := path.Clean(h.Name)
		if h.Typeflag == tar.TypeDir {
			continue
		}
		if h.Typeflag != tar.TypeReg || path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") || strings.Contains(h.Name, "\\") {
			return corrupt(file, fmt.Errorf("entry %q is not a plain file inside the bundle", h.Name))
		}
		total += h.Size
		if h.Size > maxFile || total > maxTotal {
			return corrupt(file, fmt.Errorf("entry %q is too large", h.Name))
		}
		if err := fn(name, io.LimitReader(tr, h.Size), h.Size); err != nil {
			var tl *limit.TooLargeError
			if errors.As(err, &tl) { // names the entry already
				return corrupt(file, err)
			}
			return corrupt(file, fmt.Errorf("%s: %w", name, err))
		}
	}
	// Read to the end so gzip checks its CRC and length trailer.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return corrupt(file, fmt.Errorf("gzip stream: %v", err))
	}
	return nil
}
