package gitauth

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/slipway-dev/slipway/internal/kube"
)

func dataOf(s *corev1.Secret) map[string]string {
	out := map[string]string{}
	for k, v := range s.Data {
		out[k] = string(v)
	}
	return out
}

// TestNewSecret pins the keys each agent reads: Argo CD's declarative
// repository Secret and Flux's GitRepository secretRef.
func TestNewSecret(t *testing.T) {
	basic := Credential{URL: "https://git.example/p.git", Username: "bot", Password: "tok"}
	key := Credential{URL: "git@git.example:p.git", SSHKey: []byte("-----BEGIN OPENSSH PRIVATE KEY-----\n"), KnownHosts: []byte("git.example ssh-ed25519 AAAA\n")}
	for _, tc := range []struct {
		name, agent string
		c           Credential
		want        map[string]string
		argoLabel   bool
	}{
		{"argocd https", AgentArgoCD, basic, map[string]string{"type": "git", "url": basic.URL, "username": "bot", "password": "tok"}, true},
		{"argocd ssh", AgentArgoCD, key, map[string]string{"type": "git", "url": key.URL, "sshPrivateKey": string(key.SSHKey), "known_hosts": string(key.KnownHosts)}, true},
		{"flux https", AgentFlux, basic, map[string]string{"username": "bot", "password": "tok"}, false},
		{"flux ssh", AgentFlux, key, map[string]string{"identity": string(key.SSHKey), "known_hosts": string(key.KnownHosts)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSecret(tc.agent, "platform-repo", "gitops", tc.c)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != SecretName || s.Namespace != "gitops" || s.Type != corev1.SecretTypeOpaque {
				t.Errorf("secret %s/%s type %s", s.Namespace, s.Name, s.Type)
			}
			got := dataOf(s)
			if len(got) != len(tc.want) {
				t.Errorf("keys %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("key %s = %q, want %q", k, got[k], v)
				}
			}
			want := map[string]string{kube.LabelManagedBy: kube.ManagedBy, kube.LabelComponent: "platform-repo", kube.LabelCredentialKind: kube.KindGitRepository}
			if tc.argoLabel {
				want["argocd.argoproj.io/secret-type"] = "repository"
			}
			if len(s.Labels) != len(want) {
				t.Errorf("labels %v, want %v", s.Labels, want)
			}
			for k, v := range want {
				if s.Labels[k] != v {
					t.Errorf("label %s = %q, want %q", k, s.Labels[k], v)
				}
			}
			if URL(s) != tc.c.URL || KnownHosts(s) != string(tc.c.KnownHosts) {
				t.Errorf("read back URL %q, known hosts %q", URL(s), KnownHosts(s))
			}
			// credentials reads the login through the annotations.
			if u := got[s.Annotations[annotationUserKey]]; len(tc.c.SSHKey) == 0 && u != "bot" {
				t.Errorf("username through the annotation: %q", u)
			}
		})
	}
	if _, err := NewSecret("jenkins-x", "c", "ns", basic); err == nil || !strings.Contains(err.Error(), `names agent "jenkins-x"`) {
		t.Errorf("unknown agent: %v", err)
	}
}

func TestDecideNeverReplaces(t *testing.T) {
	const url = "https://git.example/p.git"
	desired, _ := NewSecret(AgentFlux, "flux-repo", "flux-system", Credential{URL: url, Username: "bot", Password: "tok"})
	other, _ := NewSecret(AgentFlux, "flux-repo", "flux-system", Credential{URL: url, Username: "bot", Password: "new"})
	stored := desired.DeepCopy()
	stored.ResourceVersion = "7"

	if d, err := Decide(nil, nil, url); err != nil || d.Secret != nil || d.Use {
		t.Errorf("nothing: %+v, %v", d, err)
	}
	if d, err := Decide(nil, desired, url); err != nil || !d.Create || !d.Use || d.Secret != desired {
		t.Errorf("new: %+v, %v", d, err)
	}
	if d, err := Decide(stored, desired, url); err != nil || d.Create || !d.Use || d.Secret != stored {
		t.Errorf("same again: %+v, %v", d, err)
	}
	if d, err := Decide(stored, nil, url); err != nil || d.Create || !d.Use || d.Secret != stored {
		t.Errorf("re-run without flags: %+v, %v", d, err)
	}
	d, err := Decide(stored, nil, "https://git.example/other.git")
	if err != nil || d.Use || d.Secret != stored || !strings.Contains(d.Note, "holds the credential for https://git.example/p.git, not for --gitops-repo https://git.example/other.git: it is not used") {
		t.Errorf("another repository: %+v, %v", d, err)
	}
	_, err = Decide(stored, other, url)
	want := "a GitOps repository credential is already kept in secret flux-system/slipway-gitops-repo (for https://git.example/p.git) and slipway never replaces one on a re-run; to use the new one: kubectl -n flux-system delete secret slipway-gitops-repo, then run slipway up again with the same flags"
	if err == nil || err.Error() != want {
		t.Errorf("different credential:\n%v\nwant:\n%s", err, want)
	}
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: SecretName, Namespace: "flux-system"}}
	if _, err := Decide(foreign, desired, url); err == nil || !strings.Contains(err.Error(), "exists but is not managed by slipway") {
		t.Errorf("foreign secret: %v", err)
	}
}

func TestStoreAndResolve(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "git-token", Namespace: "ci"}, Data: map[string][]byte{"token": []byte("ghp_x")}})
	st := Store{Client: client}
	r := &Request{URL: "https://git.example/p.git", Username: "bot", PasswordSecret: &SecretRef{"ci", "git-token", "token"}}
	c, err := r.Resolve(ctx, st.Read)
	if err != nil || c.Password != "ghp_x" {
		t.Fatalf("resolve: %+v, %v", c, err)
	}
	r.PasswordSecret.Key = "password"
	if _, err := r.Resolve(ctx, st.Read); err == nil || err.Error() != `--gitops-password secret:ci/git-token: the secret has no key "password" (keys: token); name the key: secret:ci/git-token:KEY` {
		t.Errorf("missing key: %v", err)
	}
	if s, err := st.Get(ctx, "flux-system", SecretName); s != nil || err != nil {
		t.Fatalf("get of none: %v, %v", s, err)
	}
	sec, _ := NewSecret(AgentFlux, "flux-repo", "flux-system", c)
	if err := st.Create(ctx, sec); err != nil {
		t.Fatal(err)
	}
	// A concurrent run that made the same Secret is not an error.
	if err := st.Create(ctx, sec.DeepCopy()); err != nil {
		t.Errorf("second create of the same: %v", err)
	}
	got, err := st.Get(ctx, "flux-system", SecretName)
	if err != nil || got == nil || string(got.Data["password"]) != "ghp_x" {
		t.Errorf("stored: %v, %v", got, err)
	}
}
