package charts_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/charts"
	"github.com/slipway-dev/slipway/internal/release"
	"sigs.k8s.io/yaml"
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

// TestGitOpsWiringFluxRef pins which GitRepository spec.ref field each
// spelling of --gitops-revision lands in. Flux checks out a tag written as
// branch: as a branch that does not exist, so the field matters; Argo CD
// takes the revision as it is (TestGitOpsWiringArgoCDRevisionAsGiven).
func TestGitOpsWiringFluxRef(t *testing.T) {
	sha1 := "0123456789abcdef0123456789abcdef01234567"
	sha256 := sha1 + "0123456789abcdef01234567"
	for _, tc := range []struct {
		revision string
		want     map[string]string
	}{
		{"main", map[string]string{"branch": "main"}},
		{"release/1.x", map[string]string{"branch": "release/1.x"}},
		{"refs/heads/main", map[string]string{"branch": "main"}},
		{"refs/tags/v1.2.3", map[string]string{"tag": "v1.2.3"}},
		{"refs/pull/420/head", map[string]string{"name": "refs/pull/420/head"}},
		{sha1, map[string]string{"commit": sha1}},
		{sha256, map[string]string{"commit": sha256}},
		// Not a full hash: Flux cannot check out an abbreviated commit, so it
		// stays a branch name (and fails visibly if there is no such branch).
		{sha1[:12], map[string]string{"branch": sha1[:12]}},
		{strings.ToUpper(sha1), map[string]string{"branch": strings.ToUpper(sha1)}},
	} {
		t.Run(tc.revision, func(t *testing.T) {
			m, err := render(t, map[string]any{"agent": "flux", "repo": map[string]any{"url": "https://git.example/platform.git", "revision": tc.revision}})
			if err != nil {
				t.Fatal(err)
			}
			got := gitRepositoryRef(t, m)
			if len(got) != len(tc.want) {
				t.Fatalf("spec.ref = %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Fatalf("spec.ref = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestGitOpsWiringArgoCDRevisionAsGiven(t *testing.T) {
	for _, rev := range []string{"main", "refs/heads/main", "refs/tags/v1.2.3", "0123456789abcdef0123456789abcdef01234567"} {
		m, err := render(t, map[string]any{"agent": "argocd", "repo": map[string]any{"url": "https://git.example/platform.git", "revision": rev}})
		if err != nil {
			t.Fatal(err)
		}
		if want := "targetRevision: \"" + rev + "\""; !strings.Contains(m, want) {
			t.Errorf("missing %q in:\n%s", want, m)
		}
	}
}

// gitRepositoryRef returns spec.ref of the one GitRepository in manifest.
func gitRepositoryRef(t *testing.T, manifest string) map[string]string {
	t.Helper()
	for _, doc := range strings.Split(manifest, "\n---") {
		var obj struct {
			Kind string `json:"kind"`
			Spec struct {
				Ref map[string]string `json:"ref"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("%v in:\n%s", err, doc)
		}
		if obj.Kind == "GitRepository" {
			return obj.Spec.Ref
		}
	}
	t.Fatalf("no GitRepository in:\n%s", manifest)
	return nil
}

// TestGitOpsWiringWithoutCredentialsAsBefore: 1.0.1 added repo.secretName
// (Flux's secretRef, for a private repository). Profiles released with
// "~1.0.0" now get 1.0.1, so without a credential it must render byte for
// byte what 1.0.0 rendered: testdata/gitops-wiring-1.0.0-*.yaml were
// written by the 1.0.0 chart (commit 82e6582).
func TestGitOpsWiringWithoutCredentialsAsBefore(t *testing.T) {
	for _, agent := range []string{"argocd", "flux"} {
		m, err := render(t, map[string]any{"agent": agent, "repo": map[string]any{"url": "https://git.example/platform.git", "path": "apps", "revision": "refs/tags/v1.2.3"}})
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "gitops-wiring-1.0.0-"+agent+".yaml")
		if os.Getenv("WRITE_WIRING_GOLDEN") != "" {
			if err := os.WriteFile(golden, []byte(m), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if m != string(want) {
			t.Errorf("%s: without a credential the chart renders\n%s\nbut 1.0.0 rendered\n%s", agent, m, want)
		}
	}
}

func TestGitOpsWiringFluxSecretRef(t *testing.T) {
	m, err := render(t, map[string]any{"agent": "flux", "repo": map[string]any{"url": "https://git.example/platform.git", "secretName": "slipway-gitops-repo"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m, "  secretRef:\n    name: slipway-gitops-repo\n") {
		t.Errorf("no spec.secretRef in:\n%s", m)
	}
	m, err = render(t, map[string]any{"agent": "argocd", "repo": map[string]any{"url": "https://git.example/platform.git", "secretName": "slipway-gitops-repo"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m, "slipway-gitops-repo") {
		t.Errorf("the Argo CD Application names the Secret, which Argo CD finds by URL:\n%s", m)
	}
}
