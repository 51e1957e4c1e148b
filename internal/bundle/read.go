package bundle

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/slipway-dev/slipway/internal/digest"
	"github.com/slipway-dev/slipway/internal/limit"
	"github.com/slipway-dev/slipway/internal/lock"
)

// Contents is a bundle extracted and verified.
type Contents struct {
	Lock   *lock.File
	Images []string
	// Paths are the extracted charts, by component.
	Paths map[string]string
}

// Read extracts the bundle at file into dest (an empty directory the
// caller owns and removes) and verifies it against its own lock: every
// chart by its digest, images.txt by the lock's imagesDigest, and
// nothing in charts/ that the lock does not name. Any problem (not gzip,
// not tar, truncated, an entry twice, missing lock, image list or chart,
// digest mismatch) is an error naming the bundle and what to do.
//
// This proves only that the bundle agrees with itself: whoever changed a
// chart could have changed the lock with it. Open also checks the lock
// against one the user trusts.
func Read(file, dest string) (*Contents, error) {
	var lockData, images []byte
	hasImages := false
	err := walk(file, func(name string, r io.Reader, size int64) error {
		switch {
		case name == LockName:
			var err error
			lockData, err = limit.ReadAll(r, limit.Lock, file+":"+LockName)
			return err
		case name == ImagesName:
			var err error
			images, err = limit.ReadAll(r, limit.Images, file+":"+ImagesName)
			hasImages = true
			return err
		case strings.HasPrefix(name, chartsDir+"/"):
			return extract(filepath.Join(dest, filepath.FromSlash(name)), r)
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
	switch got := digest.Bytes(images); {
	case !hasImages:
		return nil, corrupt(file, errors.New("it has no "+ImagesName))
	case lf.ImagesDigest == "":
		return nil, corrupt(file, fmt.Errorf("its lock records no imagesDigest, so nothing covers %s", ImagesName))
	case got != lf.ImagesDigest:
		return nil, corrupt(file, fmt.Errorf("%s has digest %s, but its lock expects %s", ImagesName, got, lf.ImagesDigest))
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
	errs = append(errs, unlocked(dest, lf))
	if err := errors.Join(errs...); err != nil {
		return nil, corrupt(file, err)
	}
	return c, nil
}

// extract writes one entry to dst, which must not exist yet.
func extract(dst string, r io.Reader) error {
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
}

// unlocked refuses chart archives and folders in the bundle that its
// lock does not name: nothing would verify them, and nothing should
// ride along unverified.
func unlocked(dest string, lf *lock.File) error {
	named := map[string]bool{}
	for _, e := range lf.Charts {
		named[entryName(e)] = true
	}
	entries, err := os.ReadDir(filepath.Join(dest, chartsDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var errs []error
	for _, e := range entries { // sorted by name
		if n := chartsDir + "/" + e.Name(); !named[n] {
			errs = append(errs, fmt.Errorf("%s is not in its lock", n))
		}
	}
	return errors.Join(errs...)
}

// Open is Read, and then, when pinned names a lock file, a check that
// the bundle's lock pins exactly what that lock pins (lock.Diff): the
// same components, chart versions and digests, and the same image list
// when the pinned lock records one. A bundle proves only that it agrees
// with itself; the pinned lock, kept where the bundle's author cannot
// change it, is what makes it the bundle the user meant.
func Open(file, dest, pinned string) (*Contents, error) {
	var trusted *lock.File
	if pinned != "" {
		var err error
		if trusted, err = lock.Read(pinned); err != nil {
			return nil, err
		}
	}
	c, err := Read(file, dest)
	if err != nil || trusted == nil {
		return c, err
	}
	if err := lock.Diff(trusted, c.Lock); err != nil {
		return nil, fmt.Errorf("bundle %s is not the one lock %s pins, nothing was installed: %w; use the bundle that lock was written with (slipway bundle create --lock), or check where this one came from", file, pinned, err)
	}
	return c, nil
}

// Images returns the image list of a bundle, once the bundle is verified
// as Open verifies it (for up): a list from a bundle up would refuse is
// no list to preload.
func Images(file, pinned string) ([]string, error) {
	dir, err := os.MkdirTemp("", "slipway-bundle-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	c, err := Open(file, dir, pinned)
	if err != nil {
		return nil, err
	}
	return c.Images, nil
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
// relative name. Links, devices, names escaping the bundle and a name
// that comes twice are errors.
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
	seen := map[string]bool{}
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
		if seen[name] {
			// Which copy counts would depend on the reader: the lock
			// checked could be another than the one installed from.
			return corrupt(file, fmt.Errorf("entry %q appears twice", name))
		}
		seen[name] = true
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
