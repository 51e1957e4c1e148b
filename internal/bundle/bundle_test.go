package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/internal/digest"
	"github.com/slipway-dev/slipway/internal/lock"
)

// fixture writes one archive chart and one directory chart and returns
// them as bundle entries.
func fixture(t testing.TB) []Chart {
	t.Helper()
	dir := t.TempDir()
	tgz := filepath.Join(dir, "web-1.2.3.tgz")
	if err := os.WriteFile(tgz, []byte("not really gzip, but bytes are bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	chartDir := filepath.Join(dir, "wiring")
	os.MkdirAll(filepath.Join(chartDir, "templates"), 0o755)
	os.WriteFile(filepath.Join(chartDir, "Chart.yaml"), []byte("name: wiring\nversion: 1.0.0\n"), 0o600)
	os.WriteFile(filepath.Join(chartDir, "templates", "cm.yaml"), []byte("kind: ConfigMap\n"), 0o600)
	fd, err := digest.File(tgz)
	if err != nil {
		t.Fatal(err)
	}
	dd, err := digest.Dir(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	return []Chart{
		{Lock: lock.Chart{Component: "web", Name: "web", Version: "1.2.3", Source: "https://x/web-1.2.3.tgz", Format: lock.FormatArchive, Digest: fd}, Path: tgz},
		{Lock: lock.Chart{Component: "wiring", Name: "wiring", Version: "1.0.0", Source: "slipway:charts/wiring", Format: lock.FormatDirectory, Digest: dd}, Path: chartDir},
	}
}

func write(t testing.TB, charts []Chart) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "platform.tgz")
	if err := Write(out, lock.New("p", "1.0.0"), charts, []string{"b:2", "a:1", "b:2"}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	charts := fixture(t)
	out := write(t, charts)
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("bundle mode %v, want 0600", st.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*tmp*")); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
	dest := t.TempDir()
	c, err := Read(out, dest)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Images, []string{"a:1", "b:2"}) {
		t.Errorf("images %v, want sorted unique", c.Images)
	}
	if c.Lock.Profile != "p" || len(c.Lock.Charts) != 2 {
		t.Errorf("lock %+v", c.Lock)
	}
	data, err := os.ReadFile(c.Paths["web"])
	if err != nil || string(data) != "not really gzip, but bytes are bytes" {
		t.Errorf("archive chart: %q, %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(c.Paths["wiring"], "templates", "cm.yaml")); err != nil {
		t.Errorf("directory chart: %v", err)
	}
	images, err := Images(out, "")
	if err != nil || !reflect.DeepEqual(images, []string{"a:1", "b:2"}) {
		t.Errorf("Images: %v, %v", images, err)
	}
	// The same content makes the same bytes.
	again := write(t, charts)
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) {
		t.Error("two bundles of the same content differ")
	}
}

// rewrite copies a bundle, letting edit change each entry (return false
// to drop it), and may append extra entries.
func rewrite(t *testing.T, src string, edit func(h *tar.Header, data []byte) ([]byte, bool), extra ...tar.Header) string {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var buf bytes.Buffer
	gw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gw)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		var data bytes.Buffer
		data.ReadFrom(tr)
		out, keep := edit(h, data.Bytes())
		if !keep {
			continue
		}
		h.Size = int64(len(out))
		tw.WriteHeader(h)
		tw.Write(out)
	}
	for _, h := range extra {
		tw.WriteHeader(&h)
		tw.Write(make([]byte, h.Size))
	}
	tw.Close()
	gw.Close()
	p := filepath.Join(t.TempDir(), "edited.tgz")
	os.WriteFile(p, buf.Bytes(), 0o600)
	return p
}

func TestCorruption(t *testing.T) {
	good := write(t, fixture(t))
	data, _ := os.ReadFile(good)
	dir := t.TempDir()
	truncated := filepath.Join(dir, "truncated.tgz")
	os.WriteFile(truncated, data[:len(data)/2], 0o600)
	notGzip := filepath.Join(dir, "plain.tgz")
	os.WriteFile(notGzip, []byte("hello"), 0o600)
	var gzNotTar bytes.Buffer
	gw := gzip.NewWriter(&gzNotTar)
	gw.Write(bytes.Repeat([]byte("x"), 1024))
	gw.Close()
	notTar := filepath.Join(dir, "nottar.tgz")
	os.WriteFile(notTar, gzNotTar.Bytes(), 0o600)

	for name, tc := range map[string]struct{ file, want string }{
		"truncated":    {truncated, "unexpected EOF"},
		"not gzip":     {notGzip, "not a gzip file"},
		"not tar":      {notTar, "not a readable tar archive"},
		"missing lock": {rewrite(t, good, func(h *tar.Header, d []byte) ([]byte, bool) { return d, h.Name != LockName }), "it has no slipway.lock"},
		"missing chart": {rewrite(t, good, func(h *tar.Header, d []byte) ([]byte, bool) { return d, h.Name != "charts/web-1.2.3.tgz" }),
			"component web: chart web@1.2.3 (charts/web-1.2.3.tgz) is missing from the bundle"},
		"changed archive": {rewrite(t, good, func(h *tar.Header, d []byte) ([]byte, bool) {
			if h.Name == "charts/web-1.2.3.tgz" {
				return []byte("evil"), true
			}
			return d, true
		}), "component web: chart web@1.2.3 in the bundle has digest sha256:"},
		"changed directory": {rewrite(t, good, func(h *tar.Header, d []byte) ([]byte, bool) {
			if strings.HasSuffix(h.Name, "cm.yaml") {
				return []byte("kind: Secret\n"), true
			}
			return d, true
		}), "component wiring: chart wiring@1.0.0 in the bundle has digest"},
		"path escape": {rewrite(t, good, func(h *tar.Header, d []byte) ([]byte, bool) { return d, true },
			tar.Header{Typeflag: tar.TypeReg, Name: "../../etc/evil", Size: 1, Mode: 0o644}), `entry "../../etc/evil" is not a plain file inside the bundle`},
		"lock twice":          {rewrite(t, good, keep, tar.Header{Typeflag: tar.TypeReg, Name: LockName, Size: 3, Mode: 0o644}), `entry "slipway.lock" appears twice`},
		"lock twice, cleaned": {rewrite(t, good, keep, tar.Header{Typeflag: tar.TypeReg, Name: "./charts/../slipway.lock", Size: 3, Mode: 0o644}), `entry "slipway.lock" appears twice`},
		"images twice":        {rewrite(t, good, keep, tar.Header{Typeflag: tar.TypeReg, Name: ImagesName, Size: 3, Mode: 0o644}), `entry "images.txt" appears twice`},
		"archive not locked": {rewrite(t, good, keep, tar.Header{Typeflag: tar.TypeReg, Name: "charts/evil-1.0.0.tgz", Size: 3, Mode: 0o644}),
			"charts/evil-1.0.0.tgz is not in its lock"},
		"folder not locked": {rewrite(t, good, keep, tar.Header{Typeflag: tar.TypeReg, Name: "charts/evil/templates/crb.yaml", Size: 3, Mode: 0o644}),
			"charts/evil is not in its lock"},
		"missing images": {rewrite(t, good, func(h *tar.Header, d []byte) ([]byte, bool) { return d, h.Name != ImagesName }), "it has no images.txt"},
		"changed images": {rewrite(t, good, func(h *tar.Header, d []byte) ([]byte, bool) {
			if h.Name == ImagesName {
				return []byte("a:1\nevil.example/miner:latest\n"), true
			}
			return d, true
		}), "images.txt has digest sha256:"},
		"lock without images digest": {rewrite(t, good, func(h *tar.Header, d []byte) ([]byte, bool) {
			if h.Name == LockName {
				return regexp.MustCompile(`(?m)^imagesDigest: .*\n`).ReplaceAll(d, nil), true
			}
			return d, true
		}), "its lock records no imagesDigest, so nothing covers images.txt"},
		"symlink": {rewrite(t, good, func(h *tar.Header, d []byte) ([]byte, bool) { return d, true },
			tar.Header{Typeflag: tar.TypeSymlink, Name: "charts/x", Linkname: "/etc/passwd", Mode: 0o777}), `entry "charts/x" is not a plain file`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Read(tc.file, t.TempDir())
			if err == nil {
				t.Fatal("damaged bundle accepted")
			}
			for _, want := range []string{tc.want, "is damaged or was modified, nothing was installed", "slipway bundle create"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

// keep is an edit for rewrite that changes nothing.
func keep(_ *tar.Header, d []byte) ([]byte, bool) { return d, true }

// TestOpenPinned (issue 17, item 2): a bundle whose chart and lock were
// changed together agrees with itself, so Read accepts it; Open with the
// lock its maker kept refuses it, naming the first difference. The
// untouched bundle opens against that lock.
func TestOpenPinned(t *testing.T) {
	charts := fixture(t)
	good := write(t, charts)
	trusted := filepath.Join(t.TempDir(), "trusted.lock")
	c, err := Read(good, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Lock.Write(trusted); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(good, t.TempDir(), trusted); err != nil {
		t.Errorf("the bundle its lock was kept from: %v", err)
	}

	evil := []byte("a chart with a cluster-admin binding")
	evilDigest := digest.Bytes(evil)
	tampered := rewrite(t, good, func(h *tar.Header, d []byte) ([]byte, bool) {
		switch h.Name {
		case "charts/web-1.2.3.tgz":
			return evil, true
		case LockName:
			return bytes.Replace(d, []byte(charts[0].Lock.Digest), []byte(evilDigest), 1), true
		}
		return d, true
	})
	if _, err := Read(tampered, t.TempDir()); err != nil {
		t.Fatalf("test bug: the tampered bundle should agree with itself: %v", err)
	}
	want := "bundle " + tampered + " is not the one lock " + trusted + " pins, nothing was installed: component web: it has chart web@1.2.3 (tgz, digest " + evilDigest + "), the lock pins web@1.2.3 (tgz, digest " + charts[0].Lock.Digest + "); use the bundle that lock was written with (slipway bundle create --lock), or check where this one came from"
	if _, err := Open(tampered, t.TempDir(), trusted); err == nil || err.Error() != want {
		t.Errorf("Open:\n%v\nwant:\n%s", err, want)
	}
	if _, err := Images(tampered, trusted); err == nil || err.Error() != want {
		t.Errorf("Images:\n%v\nwant:\n%s", err, want)
	}
	if _, err := Images(tampered, ""); err != nil {
		t.Errorf("Images without a pinned lock: %v", err)
	}
}

func TestWriteRefusesClashingNames(t *testing.T) {
	charts := fixture(t)
	other := charts[0]
	other.Lock.Component = "web2"
	other.Lock.Digest = "sha256:" + strings.Repeat("0", 64)
	err := Write(filepath.Join(t.TempDir(), "b.tgz"), lock.New("p", "1"), append(charts, other), nil)
	if err == nil || !strings.Contains(err.Error(), "two different charts named web@1.2.3") {
		t.Errorf("got %v", err)
	}
}

func TestImagesOf(t *testing.T) {
	m := `apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      initContainers:
      - name: init
        image: busybox:1.36
      containers:
      - name: app
        image: ghcr.io/x/app:1.0
---
apiVersion: batch/v1
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: job
            image: ghcr.io/x/app:1.0
---
kind: ConfigMap
data:
  image: not-a-container-image
`
	got := ImagesOf(m)
	want := []string{"busybox:1.36", "ghcr.io/x/app:1.0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ImagesOf = %v, want %v", got, want)
	}
}
