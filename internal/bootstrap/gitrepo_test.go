package bootstrap

import (
	"context"
	"reflect"
	"testing"

	"github.com/slipway-dev/slipway/internal/gitauth"
	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/ui"
	"github.com/slipway-dev/slipway/profiles"
)

func selected(t *testing.T, name string, choices map[string]string) *profile.Profile {
	t.Helper()
	p, err := profile.NewCatalog(profiles.FS).Resolve(name)
	if err != nil {
		t.Fatal(err)
	}
	sel, err := profile.Select(p, choices, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

// TestRepoAuthValues: the values that make each agent use the credential,
// and none without one, so that a run without a credential plans what it
// always did (the golden plans in internal/plan).
func TestRepoAuthValues(t *testing.T) {
	const repo = "git@git.example:org/platform.git"
	opts := Options{GitOpsRepo: repo, GitOpsPath: ".", GitOpsRevision: "main"}
	wiringOnly := func(comp string) map[string]map[string]any {
		return map[string]map[string]any{comp: {"repo": map[string]any{"url": repo, "path": ".", "revision": "main"}}}
	}
	req := &gitauth.Request{URL: repo, SSHKey: []byte("key"), KnownHosts: []byte("git.example ssh-ed25519 AAAA\n")}
	for _, tc := range []struct {
		name    string
		choices map[string]string
		req     *gitauth.Request
		want    map[string]map[string]any
	}{
		{"argocd without a credential", nil, nil, wiringOnly("argocd-repo")},
		{"flux without a credential", map[string]string{"gitops": "flux"}, nil, wiringOnly("flux-repo")},
		{"argocd with a key: the chart gets the host keys", nil, req, map[string]map[string]any{
			"argocd-repo": wiringOnly("argocd-repo")["argocd-repo"],
			"argocd":      {"configs": map[string]any{"ssh": map[string]any{"extraHosts": "git.example ssh-ed25519 AAAA\n"}}},
		}},
		{"flux with a key: the GitRepository names the Secret", map[string]string{"gitops": "flux"}, req, map[string]map[string]any{
			"flux-repo": {"repo": map[string]any{"url": repo, "path": ".", "revision": "main", "secretName": gitauth.SecretName}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Prepared{Options: opts, Profile: selected(t, "default@1.3.0", tc.choices)}
			ra, err := loadRepoAuth(context.Background(), p, tc.req, ui.New(nil, true))
			if err != nil {
				t.Fatal(err)
			}
			p.RepoAuth = ra
			if got := generatedValues(p); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("generated values\n%v\nwant\n%v", got, tc.want)
			}
			if tc.req != nil && (!ra.Create || ra.Secret.Namespace != p.component(ra.Component).Namespace) {
				t.Errorf("without a cluster the credential is planned as new in the wiring's namespace: %+v", ra)
			}
		})
	}
}
