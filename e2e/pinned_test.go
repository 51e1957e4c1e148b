package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestPinnedBundle (issue 17, item 2): a bundle whose chart gained a
// cluster-admin ClusterRoleBinding, with its lock's digest recomputed,
// agrees with itself, so only a lock kept apart can catch it: up --bundle
// with --locked trusted.lock (written by bundle create --lock) exits 2
// naming the component and both digests, and the cluster has neither the
// platform nor the binding. bundle images refuses it the same way.
func TestPinnedBundle(t *testing.T) {
	profile := fixtureProfile(t, "pinned")
	dir := t.TempDir()
	good, trusted := filepath.Join(dir, "good.tgz"), filepath.Join(dir, "trusted.lock")
	if r := slipway(t, "bundle", "create", "--profile", profile, "--chart-mirror", sources.http.URL(), "-o", good, "--lock", trusted); r.code != 0 {
		t.Fatalf("bundle create exited %d", r.code)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	const entry = "charts/ciserver-1.2.3.tgz"
	orig := bundleFile(t, data, entry)
	ch, err := loader.LoadArchive(bytes.NewReader(orig))
	if err != nil {
		t.Fatal(err)
	}
	ch.Templates = append(ch.Templates, &common.File{Name: "templates/everything.yaml", Data: []byte(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: pinned-everything}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: default, namespace: pinned-ci}]
`)})
	p, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	evil, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lockData := bundleFile(t, data, "slipway.lock")
	tampered := rewriteBundle(t, rewriteBundle(t, data, entry, evil), "slipway.lock",
		bytes.Replace(lockData, []byte(hexSum(orig)), []byte(hexSum(evil)), 1))
	bad := filepath.Join(dir, "tampered.tgz")
	if err := os.WriteFile(bad, tampered, 0o600); err != nil {
		t.Fatal(err)
	}

	want := "slipway: bundle " + bad + " is not the one lock " + trusted + " pins, nothing was installed: component ci: it has chart ciserver@1.2.3 (tgz, digest sha256:" + hexSum(evil) +
		"), the lock pins ciserver@1.2.3 (tgz, digest sha256:" + hexSum(orig) + "); use the bundle that lock was written with (slipway bundle create --lock), or check where this one came from\n"
	r := slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", profile, "--bundle", bad, "--locked", trusted, "--timeout", "1m")
	if r.code != 2 || !strings.HasSuffix(r.stderr, want) {
		t.Errorf("up: exit %d, stderr:\n%s\nwant 2 and it to end with:\n%s", r.code, r.stderr, want)
	}
	r = slipway(t, "bundle", "images", "--bundle", bad, "--locked", trusted)
	if r.code != 2 || r.stdout != "" || !strings.HasSuffix(r.stderr, want) {
		t.Errorf("bundle images: exit %d, stdout %q, stderr:\n%s", r.code, r.stdout, r.stderr)
	}
	assertNothingInstalled(t, "pinned")
	_, err = env.client.RbacV1().ClusterRoleBindings().Get(context.Background(), "pinned-everything", metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("ClusterRoleBinding pinned-everything: %v, want not found", err)
	}
}

// bundleFile is one entry of a bundle's bytes.
func bundleFile(t *testing.T, bundle []byte, name string) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(bundle))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("bundle has no %s (%v)", name, err)
		}
		if h.Name == name {
			body, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return body
		}
	}
}

func hexSum(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
