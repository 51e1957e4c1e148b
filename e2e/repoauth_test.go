package e2e

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/report"
)

// This file sorts after gitops_test.go on purpose: TestFluxFirstRun must
// be the run's first Flux install.

// TestGitOpsPrivateRepo: a repository that refuses anonymous access
// (the loopback Git server asks for HTTP basic authentication) syncs
// with --gitops-username/--gitops-password. Ready means synced, so up
// returning 0 with the committed object in the cluster shows the agent
// stand-in used the credential: it reads it from the Secret slipway made,
// where the real agent reads it (Argo CD: a repository Secret found by URL;
// Flux: the GitRepository's secretRef). The Secret carries slipway's labels
// and the agent's keys, is kept (same resourceVersion) by a re-run without
// the flags, which keeps syncing; a different credential is refused; down
// of the wiring component removes it.
func TestGitOpsPrivateRepo(t *testing.T) {
	for _, tc := range []struct {
		name, gitops, nsSuffix, wiring string
		keys                           []string
	}{
		{"argocd", "", "gitops", "gitops-repo", []string{"password", "type", "url", "username"}},
		{"flux", "flux", "flux", "flux-repo", []string{"password", "username"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			prefix := "private" + tc.name
			ns := prefix + "-" + tc.nsSuffix
			repo := prefix
			if _, err := env.git.Commit(ctx, repo, "main", map[string]string{"apps/config.yaml": configMap(ns, "one")}); err != nil {
				t.Fatal(err)
			}
			const user = "e2e-bot"
			token := "tok_" + prefix + "_0123456789"
			env.git.Private(repo, user, token)
			// The repository really is private.
			if out, err := exec.Command("git", "-c", "credential.helper=", "ls-remote", env.git.URL(repo)).CombinedOutput(); err == nil {
				t.Fatalf("anonymous git ls-remote of the private repository worked:\n%s", out)
			}
			dir := t.TempDir()
			tokenFile := filepath.Join(dir, "token")
			if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			up := []string{"up", "--kubeconfig", env.kubeconfig, "--profile", fixtureProfile(t, prefix), "--chart-mirror", sources.http.URL(),
				"--gitops-repo", env.git.URL(repo), "--gitops-path", "apps", "--timeout", "2m"}
			if tc.gitops != "" {
				up = append(up, "--gitops", tc.gitops)
			}
			withCreds := append(up[:len(up):len(up)], "--gitops-username", user, "--gitops-password", "@"+tokenFile)
			r := slipway(t, withCreds...)
			if r.code != 0 {
				t.Fatalf("up with the credential exited %d", r.code)
			}
			if strings.Contains(r.stdout+r.stderr, token) {
				t.Error("up printed the repository token")
			}
			value := func() (bool, string) {
				cm, err := env.client.CoreV1().ConfigMaps(ns).Get(ctx, "synced", metav1.GetOptions{})
				if err != nil {
					return false, err.Error()
				}
				return cm.Data["value"] == "two", cm.Data["value"]
			}
			if _, got := value(); got != "one" {
				t.Fatalf("after up, ConfigMap %s/synced: %s, want value one (synced from the private repository)", ns, got)
			}

			sec, err := env.client.CoreV1().Secrets(ns).Get(ctx, "slipway-gitops-repo", metav1.GetOptions{})
			if err != nil {
				t.Fatalf("the repository credential Secret: %v", err)
			}
			checkRepoSecret(t, sec, tc.wiring, tc.keys, tc.name == "argocd")
			if string(sec.Data["username"]) != user || string(sec.Data["password"]) != token {
				t.Error("the Secret does not hold the credential given")
			}
			if tc.name == "argocd" && string(sec.Data["url"]) != env.git.URL(repo) {
				t.Errorf("Argo CD matches its repository Secret by url; it holds %q", sec.Data["url"])
			}
			if tc.name == "flux" {
				gr, err := env.dynamic.Resource(schema.GroupVersionResource{Group: "source.toolkit.fluxcd.io", Version: "v1", Resource: "gitrepositories"}).Namespace(ns).Get(ctx, "platform", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if ref, _, _ := unstructuredString(gr.Object, "spec", "secretRef", "name"); ref != sec.Name {
					t.Errorf("GitRepository spec.secretRef.name = %q, want %s", ref, sec.Name)
				}
			}

			// credentials lists it, without the token unless asked.
			c := slipway(t, "credentials", "--kubeconfig", env.kubeconfig, tc.wiring, "-o", "json")
			var doc struct{ Credentials []report.Credential }
			if err := json.Unmarshal([]byte(c.stdout), &doc); c.code != 0 || err != nil || len(doc.Credentials) != 1 {
				t.Fatalf("credentials %s: exit %d, %v:\n%s", tc.wiring, c.code, err, c.stdout)
			}
			row := doc.Credentials[0]
			if row.Kind != kube.KindGitRepository || row.URL != env.git.URL(repo) || row.Username != user || row.Password != "********" || row.Secret != sec.Name || row.Namespace != ns {
				t.Errorf("credentials row %+v", row)
			}
			if f := slipway(t, "credentials", "--kubeconfig", env.kubeconfig, tc.wiring, "--field", "password"); f.code != 0 || f.stdout != token+"\n" {
				t.Errorf("credentials --field password: exit %d", f.code)
			}

			// A re-run without the flags keeps the Secret and keeps syncing.
			if r := slipway(t, up...); r.code != 0 {
				t.Fatalf("re-run without the credential flags exited %d", r.code)
			}
			again, err := env.client.CoreV1().Secrets(ns).Get(ctx, sec.Name, metav1.GetOptions{})
			if err != nil || again.ResourceVersion != sec.ResourceVersion {
				t.Fatalf("the re-run changed the Secret (resourceVersion %s → %v, %v)", sec.ResourceVersion, again.GetResourceVersion(), err)
			}
			if _, err := env.git.Commit(ctx, repo, "main", map[string]string{"apps/config.yaml": configMap(ns, "two")}); err != nil {
				t.Fatal(err)
			}
			eventually(t, time.Minute, "the second commit of the private repository reaches the cluster", value)

			// Another credential is refused, nothing changed.
			other := filepath.Join(dir, "other")
			if err := os.WriteFile(other, []byte("another-token\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			r = slipway(t, append(up[:len(up):len(up)], "--gitops-username", user, "--gitops-password", "@"+other)...)
			want := "a GitOps repository credential is already kept in secret " + ns + "/slipway-gitops-repo (for " + env.git.URL(repo) + ") and slipway never replaces one on a re-run"
			if r.code != 2 || !strings.Contains(r.stderr, want) {
				t.Errorf("another credential: exit %d, want 2 and %q", r.code, want)
			}

			if r := slipway(t, "down", "--kubeconfig", env.kubeconfig, "--yes", tc.wiring); r.code != 0 {
				t.Fatalf("down %s exited %d", tc.wiring, r.code)
			}
			if _, err := env.client.CoreV1().Secrets(ns).Get(ctx, sec.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("down left the repository credential Secret: %v", err)
			}
		})
	}
}

// TestGitOpsPrivateRepoSSH: the same over SSH, from a server that takes
// only the deploy key and whose host key the agent must know: up with
// --gitops-ssh-key and --gitops-known-hosts returns 0 with the committed
// object in the cluster. Argo CD's stand-in reads the key from the
// repository Secret and the host keys from argocd-ssh-known-hosts-cm,
// which the fixture chart renders from configs.ssh.extraHosts as the
// argo-cd chart does; Flux's reads identity and known_hosts from the
// Secret its GitRepository names.
func TestGitOpsPrivateRepoSSH(t *testing.T) {
	srv, err := env.git.ServeSSH()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, tc := range []struct {
		name, gitops, nsSuffix, wiring string
		keys                           []string
	}{
		{"argocd", "", "gitops", "gitops-repo", []string{"known_hosts", "sshPrivateKey", "type", "url"}},
		{"flux", "flux", "flux", "flux-repo", []string{"identity", "known_hosts"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			prefix := "sshrepo" + tc.name
			ns := prefix + "-" + tc.nsSuffix
			if _, err := env.git.Commit(ctx, prefix, "main", map[string]string{"apps/config.yaml": configMap(ns, "one")}); err != nil {
				t.Fatal(err)
			}
			key, _, _ := sshKeyFiles(t, "unused.example")
			pub, err := ssh.ParsePrivateKey(must(os.ReadFile(key)))
			if err != nil {
				t.Fatal(err)
			}
			srv.Authorize(pub.PublicKey())
			known := filepath.Join(t.TempDir(), "known_hosts")
			if err := os.WriteFile(known, []byte(srv.KnownHosts()+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			up := []string{"up", "--kubeconfig", env.kubeconfig, "--profile", fixtureProfile(t, prefix), "--chart-mirror", sources.http.URL(),
				"--gitops-repo", srv.URL(prefix), "--gitops-path", "apps", "--timeout", "2m", "--gitops-ssh-key", key, "--gitops-known-hosts", known}
			if tc.gitops != "" {
				up = append(up, "--gitops", tc.gitops)
			}
			if r := slipway(t, up...); r.code != 0 {
				t.Fatalf("up over SSH exited %d", r.code)
			}
			cm, err := env.client.CoreV1().ConfigMaps(ns).Get(ctx, "synced", metav1.GetOptions{})
			if err != nil || cm.Data["value"] != "one" {
				t.Fatalf("after up, ConfigMap %s/synced: %v %v, want value one (synced over SSH)", ns, cm.Data, err)
			}
			sec, err := env.client.CoreV1().Secrets(ns).Get(ctx, "slipway-gitops-repo", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			checkRepoSecret(t, sec, tc.wiring, tc.keys, tc.name == "argocd")
			if r := slipway(t, "down", "--kubeconfig", env.kubeconfig, "--yes", tc.wiring); r.code != 0 {
				t.Fatalf("down %s exited %d", tc.wiring, r.code)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// checkRepoSecret checks a repository credential Secret's labels, type and
// exact keys.
func checkRepoSecret(t *testing.T, s *corev1.Secret, component string, keys []string, argo bool) {
	t.Helper()
	want := map[string]string{kube.LabelManagedBy: kube.ManagedBy, kube.LabelComponent: component, kube.LabelCredentialKind: kube.KindGitRepository}
	if argo {
		want["argocd.argoproj.io/secret-type"] = "repository"
	}
	for k, v := range want {
		if s.Labels[k] != v {
			t.Errorf("Secret %s/%s label %s = %q, want %q", s.Namespace, s.Name, k, s.Labels[k], v)
		}
	}
	if s.Type != corev1.SecretTypeOpaque {
		t.Errorf("Secret type %s", s.Type)
	}
	var got []string
	for k := range s.Data {
		got = append(got, k)
	}
	if strings.Join(sorted(got), ",") != strings.Join(keys, ",") {
		t.Errorf("Secret keys %v, want %v", sorted(got), keys)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func unstructuredString(obj map[string]any, fields ...string) (string, bool, error) {
	var cur any = obj
	for _, f := range fields {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false, nil
		}
		cur = m[f]
	}
	s, ok := cur.(string)
	return s, ok, nil
}

// TestGitOpsSSHKnownHosts: with --gitops-ssh-key, the host keys of
// --gitops-known-hosts reach Argo CD as its chart takes them
// (configs.ssh.extraHosts, appended to the chart's own in
// argocd-ssh-known-hosts-cm), and the key never enters a rendered
// manifest (TestGitOpsPrivateRepoSSH syncs through it).
func TestGitOpsSSHKnownHosts(t *testing.T) {
	key, known, line := sshKeyFiles(t, "git.example")
	r := slipway(t, "template", "--profile", fixtureProfile(t, "sshkeys"), "--chart-mirror", sources.http.URL(),
		"--gitops-repo", "git@git.example:org/platform.git", "--gitops-ssh-key", key, "--gitops-known-hosts", known)
	if r.code != 0 {
		t.Fatalf("template exited %d", r.code)
	}
	want := "  ssh_known_hosts: |\n    github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n    \n    " + line + "\n"
	if !strings.Contains(r.stdout, want) {
		t.Errorf("argocd-ssh-known-hosts-cm does not end with the given host keys; want\n%s\nin\n%s", want, r.stdout)
	}
	if strings.Contains(r.stdout, "OPENSSH PRIVATE KEY") {
		t.Error("the private key is in a rendered manifest")
	}
}

// sshKeyFiles writes a deploy key (mode 0600) and a known_hosts file
// naming host, and returns their paths and the known_hosts line.
func sshKeyFiles(t *testing.T, host string) (key, known, line string) {
	t.Helper()
	dir := t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	key = filepath.Join(dir, "deploy-key")
	if err := os.WriteFile(key, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	hostKey, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	line = knownhosts.Line([]string{host}, hostKey)
	known = filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(known, []byte(line+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return key, known, line
}
