package app

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// TestBundleTrustCatalogue is issue 17, items 2 and 11: a bundle is
// checked against itself always, and against a lock the user trusts
// when --locked names one. Every refusal exits 2 before the cluster is
// contacted (the kubeconfig's server is a closed port), so nothing is
// installed; e2e TestPinnedBundle shows the same on a real API server.
func TestBundleTrustCatalogue(t *testing.T) {
	c := newCatalogue(t)
	saveChart(t, filepath.Join(c.dir, "cdir"), "web", "1.0.0", "web-1.0.0.tgz")
	good := filepath.Join(c.dir, "good.tgz")
	trusted := filepath.Join(c.dir, "trusted.lock")
	profile := c.profile(t, "web.yaml", `{repo: https://example.com/charts, name: web, version: "*"}`)
	if code, _, stderr := run("bundle", "create", "--profile", profile,
		"--charts-dir", filepath.Join(c.dir, "cdir"), "-o", good, "--lock", trusted); code != 0 {
		t.Fatalf("bundle create: exit %d\n%s", code, stderr)
	}
	lockData := bundleEntry(t, good, "slipway.lock")
	goodDigest := sha256Hex(bundleEntry(t, good, "charts/web-1.0.0.tgz"))

	// The example: a cluster-admin binding added to the chart and
	// the lock's digest recomputed, so the bundle agrees with itself.
	evil := chartArchive(t, "web", "1.0.0", "crb.yaml", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: web-everything}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: default, namespace: web}]
`)
	evilDigest := sha256Hex(evil)
	tampered := rewriteEntries(t, good, "tampered.tgz", map[string][]byte{
		"charts/web-1.0.0.tgz": evil,
		"slipway.lock":         bytes.Replace(lockData, []byte(goodDigest), []byte(evilDigest), 1),
	})
	// The chart changed but not the lock: up refused it, bundle images did not.
	rewriteEntries(t, good, "swapped.tgz", map[string][]byte{"charts/web-1.0.0.tgz": evil})
	// A second slipway.lock after the first, and a chart the lock does not name.
	appendEntries(t, good, "twice.tgz", map[string][]byte{"slipway.lock": lockData})
	appendEntries(t, good, "extra.tgz", map[string][]byte{"charts/rbac/templates/crb.yaml": []byte("kind: ClusterRoleBinding\n")})

	pinned := `bundle {dir}/tampered.tgz is not the one lock {dir}/trusted.lock pins, nothing was installed: component web: it has chart web@1.0.0 (tgz, digest sha256:` + evilDigest + `), the lock pins web@1.0.0 (tgz, digest sha256:` + goodDigest + `); use the bundle that lock was written with (slipway bundle create --lock), or check where this one came from`
	c.run(t, []badInput{
		{name: "tampered bundle pinned by the trusted lock",
			args: []string{"up", "--bundle", "{dir}/tampered.tgz", "--locked", "{dir}/trusted.lock"},
			code: 2, want: pinned},
		{name: "tampered bundle pinned, template",
			args: []string{"template", "--bundle", "{dir}/tampered.tgz", "--locked", "{dir}/trusted.lock"},
			code: 2, want: pinned},
		{name: "tampered bundle pinned, bundle images",
			args: []string{"bundle", "images", "--bundle", "{dir}/tampered.tgz", "--locked", "{dir}/trusted.lock"},
			code: 2, want: pinned},
		{name: "bundle images of a bundle up refuses",
			args: []string{"bundle", "images", "--bundle", "{dir}/swapped.tgz"},
			code: 2, want: "bundle {dir}/swapped.tgz is damaged or was modified, nothing was installed: component web: chart web@1.0.0 in the bundle has digest sha256:" + evilDigest + ", but its lock expects sha256:" + goodDigest + "; recreate it with `slipway bundle create`"},
		{name: "up of that bundle",
			args: []string{"up", "--bundle", "{dir}/swapped.tgz"},
			code: 2, want: "bundle {dir}/swapped.tgz is damaged or was modified, nothing was installed: component web: chart web@1.0.0 in the bundle has digest sha256:" + evilDigest + ", but its lock expects sha256:" + goodDigest + "; recreate it with `slipway bundle create`"},
		{name: "slipway.lock twice in a bundle",
			args: []string{"up", "--bundle", "{dir}/twice.tgz"},
			code: 2, want: "bundle {dir}/twice.tgz is damaged or was modified, nothing was installed: entry \"slipway.lock\" appears twice; recreate it with `slipway bundle create`"},
		{name: "slipway.lock twice, bundle images",
			args: []string{"bundle", "images", "--bundle", "{dir}/twice.tgz"},
			code: 2, want: "bundle {dir}/twice.tgz is damaged or was modified, nothing was installed: entry \"slipway.lock\" appears twice; recreate it with `slipway bundle create`"},
		{name: "a chart folder the bundle's lock does not name",
			args: []string{"up", "--bundle", "{dir}/extra.tgz"},
			code: 2, want: "bundle {dir}/extra.tgz is damaged or was modified, nothing was installed: charts/rbac is not in its lock; recreate it with `slipway bundle create`"},
		{name: "a chart folder the lock does not name, bundle images",
			args: []string{"bundle", "images", "--bundle", "{dir}/extra.tgz"},
			code: 2, want: "bundle {dir}/extra.tgz is damaged or was modified, nothing was installed: charts/rbac is not in its lock; recreate it with `slipway bundle create`"},
	})

	// The good bundle passes the same pin; and, what a bundle does not
	// prove: without --locked the tampered one agrees with itself.
	if code, _, stderr := run("template", "--profile", profile, "--bundle", good, "--locked", trusted); code != 0 {
		t.Errorf("template --bundle good --locked trusted: exit %d\n%s", code, stderr)
	}
	code, out, _ := run("template", "--profile", profile, "--bundle", tampered)
	if code != 0 || !strings.Contains(out, "cluster-admin") {
		t.Errorf("template --bundle tampered: exit %d; a bundle alone proves only itself, so it renders:\n%s", code, out)
	}
}

// chartArchive packages chart name@version with one template.
func chartArchive(t *testing.T, name, version, file, template string) []byte {
	t.Helper()
	dir := t.TempDir()
	ch := &chartv2.Chart{
		Metadata:  &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: name, Version: version},
		Templates: []*common.File{{Name: "templates/" + file, Data: []byte(template)}},
	}
	p, err := chartutil.Save(ch, dir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// bundleEntries reads every entry of a bundle, in order.
func bundleEntries(t *testing.T, file string) ([]*tar.Header, [][]byte) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var hs []*tar.Header
	var bodies [][]byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hs, bodies
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		hs, bodies = append(hs, h), append(bodies, body)
	}
}

func bundleEntry(t *testing.T, file, name string) []byte {
	t.Helper()
	hs, bodies := bundleEntries(t, file)
	for i, h := range hs {
		if h.Name == name {
			return bodies[i]
		}
	}
	t.Fatalf("bundle %s has no %s", file, name)
	return nil
}

// rewriteEntries copies bundle src to out (in src's directory) with the
// entries named in repl replaced.
func rewriteEntries(t *testing.T, src, out string, repl map[string][]byte) string {
	t.Helper()
	hs, bodies := bundleEntries(t, src)
	for i, h := range hs {
		if b, ok := repl[h.Name]; ok {
			bodies[i] = b
			delete(repl, h.Name)
		}
	}
	if len(repl) > 0 {
		t.Fatalf("bundle %s lacks %v", src, repl)
	}
	return writeEntries(t, filepath.Join(filepath.Dir(src), out), hs, bodies)
}

// appendEntries copies bundle src to out with extra entries at the end.
func appendEntries(t *testing.T, src, out string, extra map[string][]byte) string {
	t.Helper()
	hs, bodies := bundleEntries(t, src)
	for name, b := range extra {
		hs = append(hs, &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644})
		bodies = append(bodies, b)
	}
	return writeEntries(t, filepath.Join(filepath.Dir(src), out), hs, bodies)
}

func writeEntries(t *testing.T, out string, hs []*tar.Header, bodies [][]byte) string {
	t.Helper()
	var buf bytes.Buffer
	gw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gw)
	for i, h := range hs {
		h.Size = int64(len(bodies[i]))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(bodies[i])
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	gw.Close()
	if err := os.WriteFile(out, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}
