package charts_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipwayhq/slipway/charts"
	"github.com/slipwayhq/slipway/internal/release"
)

// extract copies an embedded chart to disk for the Helm loader.
func extract(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	err := fs.WalkDir(charts.FS, name, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(charts.FS, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, strings.TrimPrefix(p, name))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func render(t *testing.T, values map[string]any) (string, error) {
	t.Helper()
	res, err := release.Render(context.Background(), release.Spec{Name: "wiring", Namespace: "argocd", ChartPath: extract(t, "gitops-wiring"), Values: values}, "v1.37.2")
	return res.Manifest, err
}

func TestGitOpsWiringArgoCD(t *testing.T) {
	m, err := render(t, map[string]any{"agent": "argocd", "repo": map[string]any{"url": "https://git.example/platform.git", "path": "apps", "revision": "main"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: Application", `repoURL: "https://git.example/platform.git"`, `path: "apps"`, "prune: true", "selfHeal: true", "CreateNamespace=true"} {
		if !strings.Contains(m, want) {
			t.Errorf("missing %q in:\n%s", want, m)
		}
	}
	if strings.Contains(m, "GitRepository") {
		t.Error("argocd wiring rendered Flux objects")
	}
}

func TestGitOpsWiringFlux(t *testing.T) {
	m, err := render(t, map[string]any{"agent": "flux", "repo": map[string]any{"url": "https://git.example/platform.git", "path": "./clusters/dev", "revision": "main"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: GitRepository", "kind: Kustomization", `branch: "main"`, `path: "./clusters/dev"`, "prune: true"} {
		if !strings.Contains(m, want) {
			t.Errorf("missing %q in:\n%s", want, m)
		}
	}
}

func TestGitOpsWiringNeedsARepo(t *testing.T) {
	_, err := render(t, map[string]any{"agent": "argocd"})
	if err == nil || !strings.Contains(err.Error(), "slipway up --gitops-repo URL") {
		t.Fatalf("err = %v", err)
	}
}
