package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Valid reports whether d has the exact form of a slipway digest:
// "sha256:" and 64 lowercase hex digits. Anything read from outside (an
// index, a lock, a bundle) is checked with it before it is compared,
// stored or used in a path.
func Valid(d string) bool {
	h, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(h) != 64 {
		return false
	}
	for _, c := range h {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Dir is the content digest of a chart directory: sha256 over every
// regular file, in path order, as "<slash path>\x00<size>\x00<bytes>".
// Modes, times and empty directories do not count, so the same chart
// gives the same digest wherever it is extracted. A directory holding
// anything else is refused (see Files).
func Dir(dir string) (string, error) {
	files, err := Files(dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", rel, len(data))
		h.Write(data)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// Files lists the regular files of a chart directory (slash paths, sorted)
// and refuses a directory holding anything else, the directory itself
// included. Helm's loader follows symlinks, which Dir would not hash: a
// symlinked template added after locking was rendered under the locked
// digest (issue 17, item 3). So a chart directory holds only regular
// files and directories, and what Dir hashes is exactly what Helm loads.
func Files(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.Type().IsRegular():
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		case !d.IsDir():
			return &IrregularError{Dir: dir, Path: p, Symlink: d.Type()&fs.ModeSymlink != 0}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	return files, nil
}

// IrregularError is a chart directory holding a symlink, a device, a
// pipe or a socket at Path.
type IrregularError struct {
	Dir, Path string
	Symlink   bool
}

func (e *IrregularError) Error() string {
	what := "is not a regular file"
	if e.Symlink {
		what = "is a symlink"
	}
	return fmt.Sprintf("chart directory %s: %s %s; a chart directory may hold only regular files and directories (Helm would follow a link its digest does not cover): replace it with the file itself", e.Dir, e.Path, what)
}

// File is the sha256 of a file's bytes.
func File(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return Bytes(data), nil
}

// Bytes is the sha256 of data, as "sha256:<hex>".
func Bytes(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// WriteFileAtomic writes data to path through a temp file in the same
// directory and a rename, so readers never see half a file and a failure
// leaves the old file intact. The temp file is removed on every error.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	return WriteAtomic(path, mode, func(w io.Writer) error {
		if _, err := w.Write(data); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	})
}

// WriteAtomic is WriteFileAtomic for content that is streamed: fill
// writes it (its error is returned as it is), then the temp file gets
// mode, is synced and renamed over path.
func WriteAtomic(path string, mode os.FileMode, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := fill(tmp); err != nil {
		tmp.Close()
		return err
	}
	for _, step := range []func() error{func() error { return tmp.Chmod(mode) }, tmp.Sync} {
		if err := step(); err != nil {
			tmp.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
