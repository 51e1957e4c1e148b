package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestDayTwo: status, diff, down on the hermetic cluster.
func TestDayTwo(t *testing.T) {
	profile := fixtureProfile(t, "day2")
	common := []string{"--kubeconfig", env.kubeconfig, "--profile", profile, "--chart-mirror", sources.http.URL()}
	if r := slipway(t, append([]string{"up"}, common...)...); r.code != 0 {
		t.Fatalf("up exited %d", r.code)
	}

	// Other tests' components share the cluster and may be not ready
	// now: status exits 4 exactly when one is not (issue 19).
	r := slipway(t, "status", "--kubeconfig", env.kubeconfig, "-o", "json")
	if r.code != 0 && r.code != 4 {
		t.Fatalf("status exited %d", r.code)
	}
	var st struct {
		APIVersion, Kind string
		Components       []struct{ Component, Namespace, Readiness, Chart, Version, URL string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatal(err)
	}
	if st.APIVersion != "slipway.dev/v1alpha1" || st.Kind != "StatusList" {
		t.Errorf("status document is %s %s, want slipway.dev/v1alpha1 StatusList", st.APIVersion, st.Kind)
	}
	allReady := true
	for _, c := range st.Components {
		allReady = allReady && c.Readiness == "ready"
	}
	if want := map[bool]int{true: 0, false: 4}[allReady]; r.code != want {
		t.Errorf("status exited %d with every component ready: %v; want %d", r.code, allReady, want)
	}
	mine := 0
	for _, c := range st.Components {
		if !strings.HasPrefix(c.Namespace, "day2-") {
			continue // other tests' components share the cluster
		}
		mine++
		if c.Readiness != "ready" || c.Chart == "" {
			t.Errorf("status of %s: %+v", c.Component, c)
		}
	}
	if mine != 3 {
		t.Errorf("status shows %d day2 components, want 3", mine)
	}

	r = slipway(t, append([]string{"diff"}, common...)...)
	if r.code != 0 || strings.Count(r.stdout, ": unchanged") != 3 {
		t.Errorf("diff right after up: exit %d\n%s", r.code, r.stdout)
	}
	r = slipway(t, append([]string{"diff", "--set", "ci.controller.numExecutors=7"}, common...)...)
	if r.code != 3 {
		t.Errorf("diff with a change exited %d, want 3", r.code)
	}
	for _, want := range []string{"ci: upgrade 1.2.3 → 1.2.3", "+ controller.numExecutors: 7", `+          value: "7"`, `-          value: "0"`, "ingress: unchanged", "gitops: unchanged"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diff lacks %q:\n%s", want, r.stdout)
		}
	}
	if n := strings.Count(r.stdout, "\n  ~ ") + strings.Count(r.stdout, "\n  + ") + strings.Count(r.stdout, "\n  - "); n != 1 {
		t.Errorf("diff should show exactly one changed value:\n%s", r.stdout)
	}
	if r := slipway(t, append([]string{"up", "--set", "ci.controller.numExecutors=7"}, common...)...); r.code != 0 {
		t.Fatalf("up with the change exited %d", r.code)
	}
	if r := slipway(t, append([]string{"diff", "--set", "ci.controller.numExecutors=7"}, common...)...); r.code != 0 {
		t.Errorf("diff after applying exited %d:\n%s", r.code, r.stdout)
	}

	// down removes this profile's components, namespaces and Secrets.
	r = slipway(t, "down", "--kubeconfig", env.kubeconfig, "--yes", "ingress", "ci", "gitops")
	if r.code != 0 {
		t.Fatalf("down exited %d", r.code)
	}
	ctx := context.Background()
	for _, ns := range []string{"day2-ingress", "day2-ci", "day2-gitops"} {
		if _, err := env.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("namespace %s still there: %v", ns, err)
		}
	}
	if !strings.Contains(r.stderr, "kept CRDs") || !strings.Contains(r.stderr, "applications.argoproj.io") {
		t.Errorf("down should list the kept CRDs:\n%s", r.stderr)
	}
	if r := slipway(t, "down", "--kubeconfig", env.kubeconfig, "--yes", "ingress", "ci", "gitops"); r.code != 0 || !strings.Contains(r.stderr, "nothing to remove") {
		t.Errorf("a second down should be a no-op with exit 0: exit %d\n%s", r.code, r.stderr)
	}
	if r := slipway(t, "down", "--kubeconfig", env.kubeconfig); r.code != 2 || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("down without --yes off a terminal: exit %d, %s", r.code, r.stderr)
	}
}

// TestTemplateNeedsNoCluster renders a profile with no kubeconfig at all.
func TestTemplateNeedsNoCluster(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing"))
	r := slipway(t, "template", "--profile", fixtureProfile(t, "tpl"), "--chart-mirror", sources.http.URL())
	if r.code != 0 {
		t.Fatalf("template exited %d", r.code)
	}
	for _, want := range []string{"kind: StatefulSet", "kind: IngressClass", "host: \"jenkins.127.0.0.1.sslip.io\"", "# slipway: component ci, chart ciserver@1.2.3",
		// The Secrets up makes and the charts read are named for whoever
		// applies the output by hand.
		"# slipway: the chart reads Secret tpl-ci/ci-admin-credentials, which `slipway up` creates",
		"# slipway: the chart reads Secret tpl-gitops/gitops-redis, which `slipway up` creates"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("template output lacks %q", want)
		}
	}
	dir := t.TempDir()
	if r := slipway(t, "template", "--profile", fixtureProfile(t, "tpl"), "--chart-mirror", sources.http.URL(), "--output-dir", dir); r.code != 0 {
		t.Fatalf("template --output-dir exited %d", r.code)
	}
	for _, f := range []string{"ingress.yaml", "ci.yaml", "gitops.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
