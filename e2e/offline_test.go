package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/lock"
)

// The fixture profile's namespaces, after its NS- prefix.
var fixtureNamespaces = []string{"ingress", "ci", "gitops"}

// assertAllReady checks an up report: every component ready.
func assertAllReady(t *testing.T, r result) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("up exited %d", r.code)
	}
	up := decodeUp(t, r)
	if len(up.Components) != 3 {
		t.Fatalf("want 3 components, got %+v", up.Components)
	}
	for _, c := range up.Components {
		if c.Status != "ready" {
			t.Errorf("%s: status %s, want ready", c.Name, c.Status)
		}
	}
}

// assertNothingInstalled checks that a failed run left no trace in the
// cluster for prefix: no namespace (so no Helm release Secret, no
// credentials Secret) and no inventory entry.
func assertNothingInstalled(t *testing.T, prefix string) {
	t.Helper()
	ctx := context.Background()
	for _, ns := range fixtureNamespaces {
		_, err := env.client.CoreV1().Namespaces().Get(ctx, prefix+"-"+ns, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("namespace %s-%s exists (err %v): the failed run changed the cluster", prefix, ns, err)
		}
	}
	entries, err := inventory.Load(ctx, env.client)
	if err != nil && !strings.Contains(err.Error(), "no slipway") {
		t.Logf("inventory: %v", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Namespace, prefix+"-") {
			t.Errorf("inventory records %s in %s: the failed run changed the cluster", e.Component, e.Namespace)
		}
	}
}

// repositoryDown stops the loopback HTTP repository until the test ends.
func repositoryDown(t *testing.T) {
	sources.http.SetDown(true)
	t.Cleanup(func() { sources.http.SetDown(false) })
}

// coldCache points slipway at an empty chart cache for this test.
func coldCache(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("SLIPWAY_CACHE_DIR", dir)
	return dir
}

// TestUpFromBundleWithRepositoryDown: bundle create from the loopback
// repository (with its lock kept apart), stop the repository, empty the
// cache, and up --bundle --locked reaches Ready without a single request
// to the repository.
func TestUpFromBundleWithRepositoryDown(t *testing.T) {
	profile := fixtureProfile(t, "bundle")
	out := filepath.Join(t.TempDir(), "platform.tgz")
	trusted := filepath.Join(t.TempDir(), "platform.lock")
	r := slipway(t, "bundle", "create", "--profile", profile, "--chart-mirror", sources.http.URL(), "-o", out, "--lock", trusted)
	if r.code != 0 {
		t.Fatalf("bundle create exited %d", r.code)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("bundle mode %v, want 0600", st.Mode().Perm())
	}
	r = slipway(t, "bundle", "images", "--bundle", out, "--locked", trusted)
	want := "registry.example/fixture/ciserver:2.0\nregistry.example/fixture/gitops:3.0\nregistry.example/fixture/ingress:1.0\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("bundle images: exit %d\n%s\nwant\n%s", r.code, r.stdout, want)
	}
	// The same list straight from the profile, rendered like template.
	if r := slipway(t, "bundle", "images", "--profile", profile, "--chart-mirror", sources.http.URL()); r.code != 0 || r.stdout != want {
		t.Errorf("bundle images --profile: exit %d\n%s", r.code, r.stdout)
	}

	repositoryDown(t)
	coldCache(t)
	before := sources.http.Requests()
	// Pinned to the lock bundle create kept apart (issue 17, item 2).
	r = slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", profile, "--bundle", out, "--locked", trusted, "--timeout", "2m", "-o", "json")
	assertAllReady(t, r)
	if n := sources.http.Requests() - before; n != 0 {
		t.Errorf("up --bundle made %d requests to the chart repository, want 0", n)
	}
	for _, c := range decodeUp(t, r).Components {
		if c.Name == "ci" && c.Version != "1.2.3" {
			t.Errorf("ci installed at %s, want the bundle's 1.2.3", c.Version)
		}
	}
}

// TestUpOfflineAfterUp: a second up downloads no chart (only the index is
// read, to resolve constraints), and with the repository stopped
// `up --offline` still reaches Ready from the cache. With a cold cache,
// --offline fails with exit 2, naming chart and cache, before installing.
func TestUpOfflineAfterUp(t *testing.T) {
	cache := coldCache(t)
	profile := fixtureProfile(t, "offline")
	args := []string{"up", "--kubeconfig", env.kubeconfig, "--profile", profile, "--chart-mirror", sources.http.URL(), "--timeout", "2m", "-o", "json"}
	assertAllReady(t, slipway(t, args...))

	before := sources.http.Requests()
	assertAllReady(t, slipway(t, args...))
	if n := sources.http.Requests() - before; n != 1 {
		t.Errorf("second up made %d requests to the repository, want 1 (index.yaml; every .tgz from the cache)", n)
	}

	repositoryDown(t)
	before = sources.http.Requests()
	assertAllReady(t, slipway(t, append(args, "--offline", "--set", "ci.controller.numExecutors=2")...))
	if n := sources.http.Requests() - before; n != 0 {
		t.Errorf("up --offline made %d requests, want 0", n)
	}

	// A cold cache: nothing to install from.
	empty := coldCache(t)
	miss := fixtureProfile(t, "offmiss")
	r := slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", miss, "--chart-mirror", sources.http.URL(), "--offline")
	if r.code != 2 {
		t.Fatalf("up --offline with an empty cache exited %d, want 2", r.code)
	}
	for _, want := range []string{"component ci", "chart ciserver", `">=1.0.0 <2.0.0"`, empty, "run once without --offline"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("offline miss message lacks %q", want)
		}
	}
	if cache == empty {
		t.Fatal("test bug: the caches are the same")
	}
	assertNothingInstalled(t, "offmiss")
}

// TestDamagedBundleInstallsNothing: a truncated bundle and one whose chart
// was swapped for another valid chart both fail with exit 2 before
// anything is installed.
func TestDamagedBundleInstallsNothing(t *testing.T) {
	profile := fixtureProfile(t, "badbundle")
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tgz")
	if r := slipway(t, "bundle", "create", "--profile", profile, "--chart-mirror", sources.http.URL(), "-o", good); r.code != 0 {
		t.Fatalf("bundle create exited %d", r.code)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.tgz")
	os.WriteFile(truncated, data[:len(data)*2/3], 0o600)

	// Swap ciserver 1.2.3 for the (valid, signed-by-nobody) 1.2.0 archive.
	var other []byte
	for _, p := range sources.packaged {
		if p.Name == "ciserver" && p.Version == "1.2.0" {
			other, _ = os.ReadFile(p.Path)
		}
	}
	swapped := filepath.Join(dir, "swapped.tgz")
	os.WriteFile(swapped, rewriteBundle(t, data, "charts/ciserver-1.2.3.tgz", other), 0o600)
	notGzip := filepath.Join(dir, "notgzip.tgz")
	os.WriteFile(notGzip, []byte("<html>proxy error</html>"), 0o600)

	for file, want := range map[string]string{
		truncated: "unexpected EOF",
		swapped:   "component ci: chart ciserver@1.2.3 in the bundle has digest",
		notGzip:   "not a gzip file",
	} {
		r := slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", profile, "--bundle", file, "--timeout", "1m")
		if r.code != 2 {
			t.Errorf("%s: exit %d, want 2", filepath.Base(file), r.code)
		}
		if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "nothing was installed") {
			t.Errorf("%s: message lacks %q", filepath.Base(file), want)
		}
	}
	assertNothingInstalled(t, "badbundle")
}

// rewriteBundle replaces one entry of a bundle.
func rewriteBundle(t *testing.T, data []byte, name string, content []byte) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var buf bytes.Buffer
	gw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gw)
	found := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		if h.Name == name {
			body, found = content, true
		}
		h.Size = int64(len(body))
		tw.WriteHeader(h)
		tw.Write(body)
	}
	tw.Close()
	gw.Close()
	if !found {
		t.Fatalf("bundle has no %s", name)
	}
	return buf.Bytes()
}

// TestLockRoundTrip: up --lock writes what was installed; --locked pins
// a version other than the newest match; the lock again goes back; a
// tampered digest fails with exit 2 before anything is installed.
func TestLockRoundTrip(t *testing.T) {
	profile := fixtureProfile(t, "lock")
	lockFile := filepath.Join(t.TempDir(), "slipway.lock")
	common := []string{"--kubeconfig", env.kubeconfig, "--profile", profile, "--chart-mirror", sources.http.URL(), "--timeout", "2m", "-o", "json"}
	assertAllReady(t, slipway(t, append([]string{"up", "--lock", lockFile}, common...)...))

	st, err := os.Stat(lockFile)
	if err != nil {
		t.Fatalf("no lock written: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("lock mode %v, want 0600", st.Mode().Perm())
	}
	lf, err := lock.Read(lockFile)
	if err != nil {
		t.Fatal(err)
	}
	digests := map[string]string{} // name@version -> digest of the served archive
	for _, p := range sources.packaged {
		digests[p.Name+"@"+p.Version] = p.Digest
	}
	want := map[string]string{"ingress": "ingress@1.2.3", "ci": "ciserver@1.2.3", "gitops": "gitops@1.0.0"}
	for comp, nv := range want {
		e, ok := lf.Get(comp)
		if !ok || e.Name+"@"+e.Version != nv || e.Digest != digests[nv] || e.Format != lock.FormatArchive || !strings.HasPrefix(e.Source, sources.http.URL()) {
			t.Errorf("lock entry %s = %+v, want %s with the served archive's digest %s", comp, e, nv, digests[nv])
		}
	}

	// Pin ci to 1.2.0 (with its true digest): --locked installs exactly
	// that, although 1.2.3 is the newest match.
	pinned := *lf
	pinned.Charts = nil
	for _, e := range lf.Charts {
		if e.Component == "ci" {
			e.Version, e.Digest = "1.2.0", digests["ciserver@1.2.0"]
			e.Source = strings.Replace(e.Source, "1.2.3", "1.2.0", 1)
		}
		pinned.Charts = append(pinned.Charts, e)
	}
	pinnedFile := filepath.Join(t.TempDir(), "pinned.lock")
	if err := pinned.Write(pinnedFile); err != nil {
		t.Fatal(err)
	}
	if r := slipway(t, "template", "--profile", profile, "--chart-mirror", sources.http.URL(), "--locked", pinnedFile); r.code != 0 || !strings.Contains(r.stdout, "chart ciserver@1.2.0") {
		t.Errorf("template --locked: exit %d, want ciserver@1.2.0 rendered", r.code)
	}
	r := slipway(t, append([]string{"up", "--locked", pinnedFile}, common...)...)
	assertAllReady(t, r)
	for _, c := range decodeUp(t, r).Components {
		if c.Name == "ci" && (c.Version != "1.2.0" || c.Action != "upgrade") {
			t.Errorf("ci: %s %s with the pinned lock, want upgrade to 1.2.0", c.Action, c.Version)
		}
	}
	// The original lock brings 1.2.3 back.
	r = slipway(t, append([]string{"up", "--locked", lockFile}, common...)...)
	assertAllReady(t, r)
	for _, c := range decodeUp(t, r).Components {
		if c.Name == "ci" && c.Version != "1.2.3" {
			t.Errorf("ci at %s with the original lock, want 1.2.3", c.Version)
		}
	}

	// A tampered digest, on a fresh prefix: exit 2, nothing installed.
	data, _ := os.ReadFile(lockFile)
	bad := strings.Replace(string(data), digests["ciserver@1.2.3"], "sha256:"+strings.Repeat("ab", 32), 1)
	badFile := filepath.Join(t.TempDir(), "tampered.lock")
	os.WriteFile(badFile, []byte(bad), 0o644)
	fresh := fixtureProfile(t, "locktamper")
	r = slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", fresh, "--chart-mirror", sources.http.URL(), "--locked", badFile)
	if r.code != 2 {
		t.Fatalf("tampered lock: exit %d, want 2", r.code)
	}
	for _, w := range []string{"component ci", "ciserver@1.2.3", "sha256:" + strings.Repeat("ab", 32), digests["ciserver@1.2.3"], "nothing was installed", "slipway up --lock"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("tampered-lock message lacks %q", w)
		}
	}
	assertNothingInstalled(t, "locktamper")
	// From the OCI registry, which publishes no digest before the pull:
	// the archive is downloaded, hashed, and refused before install.
	r = slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", fresh, "--chart-mirror", sources.oci.URL(), "--locked", badFile)
	if r.code != 2 || !strings.Contains(r.stderr, "component ci: chart ciserver@1.2.3 has digest "+digests["ciserver@1.2.3"]+", but lock file") {
		t.Errorf("tampered lock, OCI: exit %d\n%s", r.code, r.stderr)
	}
	assertNothingInstalled(t, "locktamper")

	// A lock that does not match the profile (a component missing).
	short := lock.New(lf.Profile, lf.ProfileVersion)
	for _, e := range lf.Charts {
		if e.Component != "gitops" {
			short.Charts = append(short.Charts, e)
		}
	}
	shortFile := filepath.Join(t.TempDir(), "short.lock")
	if err := short.Write(shortFile); err != nil {
		t.Fatal(err)
	}
	r = slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", fresh, "--chart-mirror", sources.http.URL(), "--locked", shortFile)
	if r.code != 2 || !strings.Contains(r.stderr, "has no entry for component gitops") {
		t.Errorf("lock without gitops: exit %d\n%s", r.code, r.stderr)
	}
	assertNothingInstalled(t, "locktamper")
}
