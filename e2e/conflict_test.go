package e2e

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestInstallRefusesForeignObject (issue 18): a fresh install whose
// chart renders an object that exists and was not created by the
// release fails, before it creates anything, and leaves that object as
// it was: slipway never changes what it did not create. The install
// fetches Helm's conflict check at once (internal/release/prefetch.go);
// the foreign object is one of many in the chart, not the first Helm
// asks for.
func TestInstallRefusesForeignObject(t *testing.T) {
	ctx := context.Background()
	profile := fixtureProfile(t, "fc")
	args := []string{"--kubeconfig", env.kubeconfig}
	ensureNamespaceExists(t, "fc-gitops")
	t.Cleanup(func() {
		slipway(t, append([]string{"down", "--yes", "--timeout", "2m"}, args...)...)
		env.client.CoreV1().Namespaces().Delete(ctx, "fc-gitops", metav1.DeleteOptions{})
	})
	cms := env.client.CoreV1().ConfigMaps("fc-gitops")
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "argocd-notifications-cm"}, Data: map[string]string{"context": "by hand"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	r := slipway(t, append([]string{"up", "--profile", profile, "--chart-mirror", sources.http.URL(), "--timeout", "2m", "-o", "json"}, args...)...)
	want := "ConfigMap argocd-notifications-cm exists but was not created by this release (an install by hand, another tool, or another release name)"
	if r.code == 0 || !strings.Contains(r.stderr, "gitops: install fc-gitops/gitops") || !strings.Contains(r.stderr, want) {
		t.Errorf("up over a foreign ConfigMap: exit %d, want a failure naming it; stderr:\n%s", r.code, r.stderr)
	}
	cm, err := cms.Get(ctx, "argocd-notifications-cm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["context"] != "by hand" || len(cm.Labels) != 0 || len(cm.Annotations) != 0 || len(cm.ManagedFields) != 1 {
		t.Errorf("the foreign ConfigMap was changed: data %v, labels %v, annotations %v, %d field managers", cm.Data, cm.Labels, cm.Annotations, len(cm.ManagedFields))
	}
	deps, err := env.client.AppsV1().Deployments("fc-gitops").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(deps.Items) != 0 {
		t.Errorf("the refused install created %d Deployments, want none", len(deps.Items))
	}
}
