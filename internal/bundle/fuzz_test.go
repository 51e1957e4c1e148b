package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzBundleRead feeds arbitrary tar streams, gzipped as a bundle is, to
// Read: it must never panic, every error names the bundle, nothing is
// written outside the destination directory, and an accepted bundle has
// a verified path inside it for every chart its lock names. Seeds are a
// bundle as Write makes it and hostile variants of it.
//
//	go test ./internal/bundle -run '^$' -fuzz FuzzBundleRead -fuzztime 60s
func FuzzBundleRead(f *testing.F) {
	good := tarOf(f, write(f, fixture(f)))
	f.Add(good)
	for _, extra := range []tar.Header{
		{Typeflag: tar.TypeReg, Name: LockName, Size: 1},
		{Typeflag: tar.TypeReg, Name: "../../escape", Size: 1},
		{Typeflag: tar.TypeReg, Name: "charts/evil-1.0.0.tgz", Size: 1},
		{Typeflag: tar.TypeSymlink, Name: "charts/web-1.2.3.tgz", Linkname: "/etc/passwd"},
	} {
		f.Add(appendTar(f, good, extra))
	}
	// A tiny tar header can claim a (sparse) entry of up to maxFile
	// bytes, extracted at disk speed; smaller bounds keep every input
	// cheap and exercise the bound checks too.
	maxFile, maxTotal = 1<<20, 4<<20
	// One bundle file and one destination per worker, emptied only when
	// an input extracted something: most inputs are refused before, and
	// directory churn on a loaded machine's disk stalled the run.
	root := f.TempDir()
	file, dest := filepath.Join(root, "in.tgz"), filepath.Join(root, "dest")
	f.Fuzz(func(t *testing.T, data []byte) {
		var gz bytes.Buffer
		w, _ := gzip.NewWriterLevel(&gz, gzip.NoCompression) // cheap: the tar stream is what is fuzzed
		w.Write(data)
		w.Close()
		if err := os.WriteFile(file, gz.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(dest, 0o700); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		if left, _ := os.ReadDir(dest); len(left) > 0 {
			os.RemoveAll(dest)
			if err := os.Mkdir(dest, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		c, err := Read(file, dest)
		if entries, _ := os.ReadDir(root); len(entries) != 2 {
			t.Fatalf("Read wrote outside its destination: %v", entries)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "bundle "+file) {
				t.Fatalf("error does not name the bundle: %v", err)
			}
			return
		}
		for _, e := range c.Lock.Charts {
			p, ok := c.Paths[e.Component]
			if rel, err := filepath.Rel(dest, p); !ok || err != nil || strings.HasPrefix(rel, "..") {
				t.Fatalf("component %s: path %q outside %s", e.Component, p, dest)
			}
		}
	})
}

// tarOf is the tar stream inside a bundle.
func tarOf(f *testing.F, bundle string) []byte {
	data, err := os.ReadFile(bundle)
	if err != nil {
		f.Fatal(err)
	}
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		f.Fatal(err)
	}
	out, err := io.ReadAll(gz)
	if err != nil {
		f.Fatal(err)
	}
	return out
}

// appendTar is stream with one more entry (of zero bytes).
func appendTar(f *testing.F, stream []byte, h tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tr := tar.NewReader(bytes.NewReader(stream))
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		body, _ := io.ReadAll(tr)
		tw.WriteHeader(hdr)
		tw.Write(body)
	}
	tw.WriteHeader(&h)
	tw.Write(make([]byte, h.Size))
	tw.Close()
	return buf.Bytes()
}
