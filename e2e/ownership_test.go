package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/release"
)

// TestOwnership (issue 17, item 6): slipway changes only what carries its
// labels. A Helm release with the ci component's name installed by hand
// stops up (exit 2, nothing installed); --adopt takes it over and labels
// it. A credentials Secret that lost slipway's label stops credentials
// rotate and down (exit 2, nothing changed or removed); with the label
// back, down removes everything.
func TestOwnership(t *testing.T) {
	ctx := context.Background()
	profile := fixtureProfile(t, "own")
	args := []string{"--kubeconfig", env.kubeconfig}
	up := append([]string{"up", "--profile", profile, "--chart-mirror", sources.http.URL(), "--timeout", "2m", "-o", "json"}, args...)

	// Someone installed a release named like the ci component's.
	ensureNamespaceExists(t, "own-ci")
	cluster, err := kube.Load(kube.Options{Kubeconfig: env.kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := release.New(cluster.GetterFor("own-ci"), "own-ci", nil)
	if err != nil {
		t.Fatal(err)
	}
	var chart string
	for _, p := range sources.packaged {
		if p.Name == "ciserver" && p.Version == "1.2.3" {
			chart = p.Path
		}
	}
	if _, err := mgr.Apply(ctx, release.Spec{Name: "jenkins", Namespace: "own-ci", ChartPath: chart, Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}

	r := slipway(t, up...)
	want := "slipway: nothing was changed: release own-ci/jenkins (component ci) was not installed by slipway: its Helm release lacks the label slipway.dev/component=ci\n" +
		"up would upgrade it with the plan's values only, replacing its own; pass --adopt to take it over, or set another namespace or release name for the component in the profile\n"
	if r.code != 2 || !strings.HasSuffix(r.stderr, want) {
		t.Errorf("up over a foreign release: exit %d, want 2; stderr does not end with\n%s", r.code, want)
	}
	if info, err := mgr.Get(ctx, "jenkins"); err != nil || info.Revision != 1 {
		t.Errorf("the foreign release was changed: %+v, %v", info, err)
	}
	assertNamespacesAbsent(t, "own-ingress")

	r = slipway(t, append(up, "--adopt")...)
	assertAllReady(t, r)
	if !strings.Contains(r.stderr, "ci: --adopt: taking over release own-ci/jenkins (revision 1, chart ciserver@1.2.3)") {
		t.Errorf("--adopt did not say what it took over:\n%s", r.stderr)
	}
	if info, err := mgr.Get(ctx, "jenkins"); err != nil || info.Labels[kube.LabelComponent] != "ci" {
		t.Errorf("the adopted release lacks slipway's label: %+v, %v", info, err)
	}

	// The credentials Secret loses slipway's label.
	label := func(value string) {
		t.Helper()
		patch := `{"metadata":{"labels":{"app.kubernetes.io/managed-by":` + value + `}}}`
		if _, err := env.client.CoreV1().Secrets("own-ci").Patch(ctx, "ci-admin-credentials", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	label("null")
	r = slipway(t, append([]string{"credentials", "rotate", "ci"}, args...)...)
	want = "slipway: secret own-ci/ci-admin-credentials (component ci's credentials in the inventory) is not slipway's: it lacks the label app.kubernetes.io/managed-by=slipway, and rotate changes only slipway's Secrets; nothing was changed\n"
	if r.code != 2 || !strings.HasSuffix(r.stderr, want) {
		t.Errorf("rotate of a foreign Secret: exit %d, want 2; stderr does not end with\n%s", r.code, want)
	}
	r = slipway(t, append([]string{"down", "--yes", "ingress", "ci", "gitops"}, args...)...)
	if r.code != 2 || !strings.Contains(r.stderr, "slipway: nothing was removed: down removes only what slipway installed:\nsecret own-ci/ci-admin-credentials (component ci's credentials in the inventory) is not slipway's") {
		t.Errorf("down with a foreign Secret: exit %d, want 2", r.code)
	}
	if info, err := mgr.Get(ctx, "jenkins"); err != nil || info == nil {
		t.Errorf("down removed the release after refusing: %v", err)
	}
	label(`"slipway"`)
	r = slipway(t, append([]string{"down", "--yes", "ingress", "ci", "gitops"}, args...)...)
	if r.code != 0 {
		t.Errorf("down with everything slipway's: exit %d", r.code)
	}
	// own-ci was made by the test, not slipway: it stays, empty of
	// slipway's release and Secret.
	for _, ns := range []string{"own-ingress", "own-gitops"} {
		if _, err := env.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("namespace %s exists (err %v)", ns, err)
		}
	}
	if info, err := mgr.Get(ctx, "jenkins"); err != nil || info != nil {
		t.Errorf("release own-ci/jenkins left after down: %+v, %v", info, err)
	}
	env.client.CoreV1().Namespaces().Delete(ctx, "own-ci", metav1.DeleteOptions{})
}
