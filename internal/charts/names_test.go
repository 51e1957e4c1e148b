package charts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// saveAs packages chart name@version into dir under file (its own
// name-version.tgz when file is "").
func saveAs(t *testing.T, dir, name, version, file string) {
	t.Helper()
	ch := &chartv2.Chart{Metadata: &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: name, Version: version}}
	p, err := chartutil.Save(ch, dir)
	if err != nil {
		t.Fatal(err)
	}
	if file != "" {
		if err := os.Rename(p, filepath.Join(dir, file)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestChartsDirTrustsChartYAML: a --charts-dir archive is what its
// Chart.yaml says (issue 17, item 9: ciserver-1.9.9.tgz holding another
// chart was locked as ciserver@1.9.9).
func TestChartsDirTrustsChartYAML(t *testing.T) {
	ctx := context.Background()
	t.Run("another chart under the file name", func(t *testing.T) {
		dir := t.TempDir()
		saveAs(t, dir, "evil", "0.1.0", "ciserver-1.9.9.tgz")
		l := newLocator(t, Options{ChartsDir: dir, CacheDir: t.TempDir()})
		_, err := l.Resolve(ctx, Source{Name: "ciserver"}, "*")
		want := "--charts-dir: " + filepath.Join(dir, "ciserver-1.9.9.tgz") + " holds chart evil@0.1.0 (its Chart.yaml), not what its file name says; rename it evil-0.1.0.tgz or remove it"
		if err == nil || err.Error() != want {
			t.Errorf("error:\n%v\nwant:\n%s", err, want)
		}
	})
	t.Run("the right chart at another version", func(t *testing.T) {
		dir := t.TempDir()
		saveAs(t, dir, "ciserver", "1.0.0", "ciserver-1.9.9.tgz")
		l := newLocator(t, Options{ChartsDir: dir, CacheDir: t.TempDir()})
		_, err := l.Resolve(ctx, Source{Name: "ciserver"}, "*")
		if err == nil || !strings.Contains(err.Error(), "holds chart ciserver@1.0.0 (its Chart.yaml), not what its file name says") {
			t.Errorf("error: %v", err)
		}
	})
	t.Run("a directory holding another chart", func(t *testing.T) {
		dir := t.TempDir()
		saveAs(t, dir, "evil", "0.1.0", "")
		if err := os.MkdirAll(filepath.Join(dir, "ciserver", "templates"), 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "ciserver", "Chart.yaml"), []byte("apiVersion: v2\nname: evil\nversion: 1.9.9\n"), 0o600)
		l := newLocator(t, Options{ChartsDir: dir, CacheDir: t.TempDir()})
		_, err := l.Resolve(ctx, Source{Name: "ciserver"}, "*")
		want := `--charts-dir: ` + filepath.Join(dir, "ciserver") + `/ holds chart "evil" (its Chart.yaml), not "ciserver" as the directory name says; rename the directory or remove it`
		if err == nil || err.Error() != want {
			t.Errorf("error:\n%v\nwant:\n%s", err, want)
		}
	})
	t.Run("a chart whose name extends another's is skipped", func(t *testing.T) {
		dir := t.TempDir()
		saveAs(t, dir, "web", "1.0.0", "")
		saveAs(t, dir, "web-server", "2.0.0", "")
		l := newLocator(t, Options{ChartsDir: dir, CacheDir: t.TempDir()})
		r, err := l.Resolve(ctx, Source{Name: "web"}, "*")
		if err != nil || r.Name != "web" || r.Version != "1.0.0" {
			t.Errorf("resolved %+v, %v; want web@1.0.0", r, err)
		}
	})
}

// TestOCIPlainHTTPOnlyOnLoopback: only this machine's registry is spoken
// to over plain HTTP with the login attached (issue 17, item 9:
// oci://127.evil.example/… was).
func TestOCIPlainHTTPOnlyOnLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "localhost:5000": true, "LOCALHOST:5000": true,
		"127.0.0.1": true, "127.0.0.1:5000": true, "127.1.2.3:5000": true,
		"[::1]:5000": true, "[::1]": true, "::1": true,
		"127.evil.example": false, "127.evil.example:5000": false, "127.0.0.1.evil.example": false,
		"localhost.evil.example": false, "10.0.0.1:5000": false, "ghcr.io": false, "[::2]:5000": false,
	} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}
