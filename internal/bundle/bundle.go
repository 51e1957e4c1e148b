package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
// (limit.Lock, limit.Images), enforced while they are read. Variables so
// that the fuzzer need not write 256 MiB an input.
var (
	maxFile  int64 = limit.Chart
	maxTotal int64 = limit.Bundle
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
// lf gets the entries of charts and the digest of the image list, so
// after Write it is the bundle's own lock, for the caller to keep.
func Write(out string, lf *lock.File, charts []Chart, images []string) error {
	lf.Charts = nil
	for _, c := range charts {
		lf.Charts = append(lf.Charts, c.Lock)
	}
	sorted := slices.Clone(images)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	var img bytes.Buffer
	for _, i := range sorted {
		img.WriteString(i + "\n")
	}
	lf.ImagesDigest = digest.Bytes(img.Bytes())
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
