package plan

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/profiles"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestShippedProfilesGolden renders the plan of every shipped profile (and
// the flag combinations users reach for) with fixed versions and
// credentials, so any change to a profile shows up in review as a diff of
// testdata/golden. Passwords never appear in a plan; the bcrypt hash is a
// placeholder here. Run `go test ./internal/plan -update` to accept changes.
func TestShippedProfilesGolden(t *testing.T) {
	scenarios := []struct {
		name, profile string
		choices       map[string]string
		gitopsRepo    string
		without       []string
		registry      UserRegistry
	}{
		{"default", "default@1.0.0", nil, "", nil, UserRegistry{}},
		{"default-flux-nginx", "default@1.0.0", map[string]string{"gitops": "flux", "ingress": "nginx"}, "", nil, UserRegistry{}},
		{"default-gitops-repo", "default@1.0.0", nil, "https://github.com/example/platform.git", nil, UserRegistry{}},
		{"classic", "classic@1.0.0", nil, "https://github.com/example/platform.git", nil, UserRegistry{}},
		{"minimal", "minimal@1.0.0", nil, "", nil, UserRegistry{}},
		// 1.1.0: the same platforms; jenkins and argocd start once traefik
		// is installed (dependentsStart), nginx's dependents still wait.
		{"default-1.1.0", "default@1.1.0", nil, "", nil, UserRegistry{}},
		{"default-1.1.0-flux-nginx", "default@1.1.0", map[string]string{"gitops": "flux", "ingress": "nginx"}, "", nil, UserRegistry{}},
		{"classic-1.1.0-traefik", "classic@1.1.0", map[string]string{"ingress": "traefik"}, "https://github.com/example/platform.git", nil, UserRegistry{}},
		{"minimal-1.1.0", "minimal@1.1.0", nil, "", nil, UserRegistry{}},
		// 1.2.0: slipway makes Argo CD's Redis Secret; its hook Job is off.
		{"default-1.2.0", "default@1.2.0", nil, "", nil, UserRegistry{}},
		{"classic-1.2.0-argocd", "classic@1.2.0", map[string]string{"gitops": "argocd"}, "https://github.com/example/platform.git", nil, UserRegistry{}},
		// 1.3.0: Argo CD and Jenkins are told the URL slipway prints
		// (global.domain, configs.cm.url, controller.jenkinsUrl).
		{"default-1.3.0", "default@1.3.0", nil, "", nil, UserRegistry{}},
		{"classic-1.3.0", "classic@1.3.0", nil, "https://github.com/example/platform.git", nil, UserRegistry{}},
		{"classic-1.3.0-argocd", "classic@1.3.0", map[string]string{"gitops": "argocd"}, "https://github.com/example/platform.git", nil, UserRegistry{}},
		// 1.4.0: the in-cluster registry; the sample pipeline pushes to
		// it, to the user's --registry, or nowhere (and says so).
		{"default-1.4.0", "default@1.4.0", nil, "", nil, UserRegistry{}},
		{"default-1.4.0-without-registry", "default@1.4.0", nil, "", []string{"registry"}, UserRegistry{}},
		{"default-1.4.0-own-registry", "default@1.4.0", nil, "", nil, UserRegistry{Ref: "ghcr.io/example", Login: true}},
		{"classic-1.4.0", "classic@1.4.0", nil, "https://github.com/example/platform.git", nil, UserRegistry{}},
		// minimal 1.2.0: the same pipeline with smaller requests, and no
		// registry unless --registry names one.
		{"minimal-1.2.0", "minimal@1.2.0", nil, "", nil, UserRegistry{}},
		{"minimal-1.2.0-own-registry", "minimal@1.2.0", nil, "", nil, UserRegistry{Ref: "registry.local:5000/team"}},
		// default 1.5.0 and minimal 1.3.0: Traefik's dependents start with
		// it (dependentsStart: started); nginx's still wait until Ready.
		{"default-1.5.0", "default@1.5.0", nil, "", nil, UserRegistry{}},
		{"default-1.5.0-flux-nginx", "default@1.5.0", map[string]string{"gitops": "flux", "ingress": "nginx"}, "", nil, UserRegistry{}},
		{"minimal-1.3.0", "minimal@1.3.0", nil, "", nil, UserRegistry{}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			p, err := profile.NewCatalog(profiles.FS).Resolve(sc.profile)
			if err != nil {
				t.Fatal(err)
			}
			flags := map[string]bool{"gitops-repo": sc.gitopsRepo != "", "in-cluster-registry": sc.registry.Ref == ""}
			sel, err := profile.Select(p, sc.choices, append(profile.Disabled(p, flags), sc.without...))
			if err != nil {
				t.Fatal(err)
			}
			in := Input{Profile: sel, Charts: map[string]Chart{}, Credentials: map[string]Credential{},
				Generated: map[string]map[string]any{}, Domain: "sslip.io", IP: "127.0.0.1", Registry: sc.registry}
			for _, c := range sel.Components {
				in.Charts[c.Name] = Chart{Name: chartName(c), Version: c.Chart.Version}
				if cr := c.Credentials; cr != nil {
					in.Credentials[c.Name] = Credential{SecretName: cr.SecretName, UsernameKey: cr.UsernameKey, PasswordKey: cr.PasswordKey,
						Username: cr.Username, Hash: "<bcrypt hash of the generated password>", Mtime: "2026-01-01T00:00:00Z"}
				}
				if c.EnabledBy == "gitops-repo" {
					in.Generated[c.Name] = map[string]any{"repo": map[string]any{"url": sc.gitopsRepo, "path": ".", "revision": "main"}}
				}
			}
			pl, err := Build(in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := yaml.Marshal(pl)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", sc.name+".yaml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/plan -update)", err)
			}
			if string(got) != string(want) {
				t.Errorf("plan of %s differs from %s; if intended, run go test ./internal/plan -update and review the diff", sc.name, golden)
			}
		})
	}
}

func chartName(c profile.Component) string {
	if c.Chart.Name != "" {
		return c.Chart.Name
	}
	if c.Chart.OCI != "" {
		return filepath.Base(c.Chart.OCI)
	}
	return filepath.Base(c.Chart.Path)
}
