package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// configMap is a manifest committed under the GitOps path.
func configMap(ns, value string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: synced\n  namespace: %s\ndata:\n  value: %q\n", ns, value)
}

// eventually polls cond until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := ""
	for {
		ok, now := cond()
		if ok {
			return
		}
		last = now
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s (last: %s)", what, within, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestFluxFirstRun: the first `up --gitops flux` on a cluster without
// the Flux CRDs passes. The operator stand-in creates them a few seconds
// after the FluxInstance appears and only then marks it Ready, as the real
// operator does; slipway waits for that Ready before installing flux-repo
// (before issue 15 the FluxInstance was "ready" at once and flux-repo
// failed with Helm's "resource mapping not found"). The installer's own
// wait for unserved CRDs is not reached in this order; its progress text
// is checked in internal/bootstrap/crds_test.go.
func TestFluxFirstRun(t *testing.T) {
	ctx := context.Background()
	// The CRDs are cluster-wide and the operator stand-in keeps them once
	// made, so this must be the run's first Flux install (it is declared
	// before TestGitOpsSyncs).
	crds := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	if _, err := env.dynamic.Resource(crds).Get(ctx, "kustomizations.kustomize.toolkit.fluxcd.io", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the Flux CRDs exist before the first Flux install (%v): run this test before any other Flux test", err)
	}
	if _, err := env.git.Commit(ctx, "crdwait", "main", map[string]string{"apps/config.yaml": configMap("crdwait-flux", "one")}); err != nil {
		t.Fatal(err)
	}
	r := slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", fixtureProfile(t, "crdwait"), "--chart-mirror", sources.http.URL(),
		"--gitops", "flux", "--gitops-repo", env.git.URL("crdwait"), "--gitops-path", "apps")
	if r.code != 0 {
		t.Fatalf("up exited %d", r.code)
	}
	if _, err := env.client.CoreV1().ConfigMaps("crdwait-flux").Get(ctx, "synced", metav1.GetOptions{}); err != nil {
		t.Errorf("the ConfigMap committed under apps/ is not in the cluster: %v", err)
	}
}

// TestGitOpsSyncs: `up --gitops-repo` with each agent reports ready only
// once the agent synced: the ConfigMap committed under the path is in the
// cluster when up returns, a second commit changes it, and a path that
// does not exist ends up with exit 124 naming the object and quoting the
// agent's own message.
func TestGitOpsSyncs(t *testing.T) {
	for _, tc := range []struct {
		name, gitops, nsSuffix, object, message string
	}{
		{"argocd", "", "gitops", "Application %s-gitops/platform",
			"ComparisonError: Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = nope: app path does not exist"},
		{"flux", "flux", "flux", "Kustomization %s-flux/platform",
			"ArtifactFailed: kustomization path not found: stat /tmp/kustomization-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			prefix := "sync" + tc.name
			ns := prefix + "-" + tc.nsSuffix
			repo := prefix
			if _, err := env.git.Commit(ctx, repo, "main", map[string]string{"apps/config.yaml": configMap(ns, "one"), "README.md": "platform\n"}); err != nil {
				t.Fatal(err)
			}
			args := []string{"up", "--kubeconfig", env.kubeconfig, "--profile", fixtureProfile(t, prefix), "--chart-mirror", sources.http.URL(),
				"--gitops-repo", env.git.URL(repo), "--gitops-path", "apps"}
			if tc.gitops != "" {
				args = append(args, "--gitops", tc.gitops)
			}
			if r := slipway(t, args...); r.code != 0 {
				t.Fatalf("up exited %d", r.code)
			}
			value := func() (bool, string) {
				cm, err := env.client.CoreV1().ConfigMaps(ns).Get(ctx, "synced", metav1.GetOptions{})
				if err != nil {
					return false, err.Error()
				}
				return cm.Data["value"] == "two", cm.Data["value"]
			}
			// Ready means synced: the object is there when up returns.
			if _, got := value(); got != "one" {
				t.Fatalf("after up, ConfigMap %s/synced: %s, want value one", ns, got)
			}
			if _, err := env.git.Commit(ctx, repo, "main", map[string]string{"apps/config.yaml": configMap(ns, "two")}); err != nil {
				t.Fatal(err)
			}
			eventually(t, time.Minute, "the second commit reaches the cluster", value)

			// A path that does not exist: not ready, the agent says why.
			r := slipway(t, append(args[:len(args):len(args)], "--gitops-path", "nope", "--timeout", "30s")...)
			if r.code != 124 {
				t.Fatalf("missing path: exit %d, want 124", r.code)
			}
			for _, want := range []string{fmt.Sprintf(tc.object, prefix), tc.message} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("missing path: the diagnosis lacks %q", want)
				}
			}
		})
	}
}
