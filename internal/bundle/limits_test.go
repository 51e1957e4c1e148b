package bundle

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// newlines produces '\n' for ever.
type newlines struct{}

func (newlines) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '\n'
	}
	return len(p), nil
}

// withEntry copies bundle src, replacing entry name by size bytes of
// newlines, streamed: the bundle stays small on disk (gzip), however
// large the entry.
func withEntry(t *testing.T, src, name string, size int64) string {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	gr, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "big.tgz")
	out, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	gw, _ := gzip.NewWriterLevel(out, gzip.BestSpeed)
	tw := tar.NewWriter(gw)
	tr := tar.NewReader(gr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		r := io.Reader(tr)
		if h.Name == name {
			h.Size, r = size, io.LimitReader(newlines{}, size)
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []io.Closer{tw, gw} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// TestEntryLimits: images.txt and slipway.lock are read up to their
// bound and no further (issue 17, item 4: a 265 KB bundle whose
// images.txt was 256 MiB of newlines took 4.8 GB of memory).
func TestEntryLimits(t *testing.T) {
	good := write(t, fixture(t))
	huge := withEntry(t, good, ImagesName, 256<<20)
	if st, _ := os.Stat(huge); st.Size() > 4<<20 {
		t.Fatalf("the test bundle is %d bytes on disk", st.Size())
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Read(huge, t.TempDir())
	runtime.ReadMemStats(&after)
	want := "bundle " + huge + " is damaged or was modified, nothing was installed: " + huge + ":images.txt is larger than 1 MiB, the most slipway reads of it; recreate it with `slipway bundle create`"
	if err == nil || err.Error() != want {
		t.Errorf("Read:\n%v\nwant:\n%s", err, want)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("Read allocated %d MiB for a 1 MiB bound", alloc>>20)
	}
	if _, err := Images(huge, ""); err == nil || err.Error() != want {
		t.Errorf("Images:\n%v\nwant:\n%s", err, want)
	}

	bigLock := withEntry(t, good, LockName, 1<<20+1)
	want = "bundle " + bigLock + " is damaged or was modified, nothing was installed: " + bigLock + ":slipway.lock is larger than 1 MiB, the most slipway reads of it; recreate it with `slipway bundle create`"
	if _, err := Read(bigLock, t.TempDir()); err == nil || err.Error() != want {
		t.Errorf("Read:\n%v\nwant:\n%s", err, want)
	}
}
