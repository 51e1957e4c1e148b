package release

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// metaChart is a chart with a kubeVersion and a subchart of its own name
// and version, so reading the subchart's Chart.yaml shows.
func metaChart() *chartv2.Chart {
	ch := &chartv2.Chart{
		Metadata:  &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: "web", Version: "1.2.3", KubeVersion: ">=1.30.0-0"},
		Values:    map[string]any{"replicas": 1},
		Templates: []*common.File{{Name: "templates/deployment.yaml", Data: []byte(deployment)}},
	}
	ch.AddDependency(&chartv2.Chart{Metadata: &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: "sub", Version: "9.9.9", KubeVersion: "<1.0.0"}})
	return ch
}

func TestLoadMetaReadsWhatHelmsLoaderReads(t *testing.T) {
	tgz, err := chartutil.Save(metaChart(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := chartutil.SaveDir(metaChart(), dir); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{tgz, filepath.Join(dir, "web")} {
		got, err := LoadMeta(path)
		if err != nil {
			t.Fatal(err)
		}
		ch, err := loader.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		want := ChartMeta{Name: ch.Metadata.Name, Version: ch.Metadata.Version, KubeVersion: ch.Metadata.KubeVersion}
		if got != want || got.Version != "1.2.3" {
			t.Errorf("%s: LoadMeta %+v, Helm's loader %+v", path, got, want)
		}
	}
}

type entry struct {
	name string
	data string
}

// writeTgz writes entries as a gzipped tar and returns its path.
func writeTgz(t *testing.T, entries ...entry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "chart.tgz")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const chartYAML = "apiVersion: v2\nname: web\nversion: 1.0.0\nkubeVersion: '>=1.30.0-0'\n"

// TestLoadMetaArchives: odd and hostile archives give what Helm's loader
// gives: the same metadata, or an error with Helm's words.
func TestLoadMetaArchives(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []entry
		want    ChartMeta // if no error
		err     string
	}{
		{"Chart.yaml after other files", []entry{{"web/values.yaml", "a: 1\n"}, {"web/charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 9.9.9\n"}, {"web/Chart.yaml", chartYAML}},
			ChartMeta{"web", "1.0.0", ">=1.30.0-0"}, ""},
		{"made on Windows", []entry{{`web\Chart.yaml`, chartYAML}}, ChartMeta{"web", "1.0.0", ">=1.30.0-0"}, ""},
		{"byte order mark", []entry{{"web/Chart.yaml", "\uFEFF" + chartYAML}}, ChartMeta{"web", "1.0.0", ">=1.30.0-0"}, ""},
		{"Helm 2 chart without apiVersion", []entry{{"web/Chart.yaml", "name: web\nversion: 1.0.0\n"}}, ChartMeta{"web", "1.0.0", ""}, ""},
		{"only a subchart's Chart.yaml", []entry{{"web/charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 9.9.9\n"}}, ChartMeta{}, "Chart.yaml file is missing"},
		{"Chart.yaml outside a directory", []entry{{"Chart.yaml", chartYAML}}, ChartMeta{}, "chart illegally contains content outside the base directory"},
		{"parent directory", []entry{{"web/../../etc/x", "x"}, {"web/Chart.yaml", chartYAML}}, ChartMeta{}, "chart illegally references parent directory"},
		{"absolute path", []entry{{"web//etc/passwd", "x"}, {"web/Chart.yaml", chartYAML}}, ChartMeta{}, "chart illegally contains absolute paths"},
		{"drive path", []entry{{`web\c:\x`, "x"}, {"web/Chart.yaml", chartYAML}}, ChartMeta{}, "chart contains illegally named files"},
		{"nothing inside the directory", []entry{{"web", "x"}}, ChartMeta{}, "chart illegally contains content outside the base directory"},
		{"invalid metadata", []entry{{"web/Chart.yaml", "apiVersion: v2\nname: web\n"}}, ChartMeta{}, "validation: chart.metadata.version is required"},
		{"not YAML", []entry{{"web/Chart.yaml", "name: [\n"}}, ChartMeta{}, "cannot load Chart.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTgz(t, tc.entries...)
			got, err := LoadMeta(path)
			_, helmErr := loader.Load(path)
			if tc.err == "" {
				if err != nil || got != tc.want {
					t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
				}
				if helmErr != nil {
					t.Fatalf("Helm's loader refused it: %v", helmErr)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "load chart "+path+": ") {
				t.Fatalf("error %v, want load chart %s: …%s", err, path, tc.err)
			}
			if helmErr == nil || !strings.Contains(helmErr.Error(), tc.err) {
				t.Errorf("Helm's loader said %v, want the same words (%q)", helmErr, tc.err)
			}
		})
	}
}

// TestLoadMetaSizeLimit: what is read counts against Helm's limit on a
// decompressed chart, skipped entries included.
func TestLoadMetaSizeLimit(t *testing.T) {
	old := archive.MaxDecompressedChartSize
	archive.MaxDecompressedChartSize = 1024
	t.Cleanup(func() { archive.MaxDecompressedChartSize = old })
	for name, entries := range map[string][]entry{
		"a large file before Chart.yaml": {{"web/big", strings.Repeat("x", 2048)}, {"web/Chart.yaml", chartYAML}},
		"files adding up":                {{"web/a", strings.Repeat("x", 600)}, {"web/b", strings.Repeat("x", 600)}, {"web/Chart.yaml", chartYAML}},
		"a large Chart.yaml":             {{"web/Chart.yaml", chartYAML + "#" + strings.Repeat("x", 2048) + "\n"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadMeta(writeTgz(t, entries...))
			if err == nil || !strings.Contains(err.Error(), "decompressed chart is larger than the maximum size 1024") {
				t.Fatalf("error %v", err)
			}
		})
	}
}

func TestLoadMetaNotAChart(t *testing.T) {
	dir := t.TempDir()
	values := filepath.Join(dir, "values.yaml")
	if err := os.WriteFile(values, []byte("a: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		values:                        "seems to be a YAML file, but expected a gzipped archive",
		dir:                           "Chart.yaml file is missing",
		filepath.Join(dir, "missing"): "no such file or directory",
	} {
		if _, err := LoadMeta(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", path, err, want)
		}
	}
}
