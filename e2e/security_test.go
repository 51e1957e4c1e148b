package e2e

import (
	"bytes"
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/kube"
)

// TestSecurity installs the fixture profile once and checks what slipway
// leaves behind and prints: no password in any output but the report of
// a successful up and `credentials`; credential Secrets labelled as
// slipway's and only in their component's namespace; no file in the chart
// cache, lock, bundle or template output open to others; and `credentials` working with
// nothing but `get` on the inventory and on the named Secrets.
func TestSecurity(t *testing.T) {
	cache := freshCache(t)
	const prefix = "sec"
	profile := fixtureProfile(t, prefix)
	up := []string{"up", "--kubeconfig", env.kubeconfig, "--profile", profile, "--chart-mirror", sources.http.URL(), "--timeout", "2m"}
	first := slipway(t, append(up, "-o", "json", "--show-passwords")...)
	if first.code != 0 {
		t.Fatalf("up exited %d", first.code)
	}
	passwords := map[string]string{}
	secrets := map[string]string{} // component -> namespace/name
	namespaces := map[string]string{}
	for _, c := range decodeUp(t, first).Components {
		namespaces[c.Name] = c.Namespace
		if c.Password != "" {
			passwords[c.Name], secrets[c.Name] = c.Password, c.Secret
		}
	}
	if len(passwords) != 2 {
		t.Fatalf("want passwords for ci and gitops, got %v", secrets)
	}

	t.Run("no password in outputs", func(t *testing.T) {
		runs := map[string]result{"stderr of a successful up": {stderr: first.stderr}}
		// stdout is not a terminal here: without --show-passwords up
		// masks them (CI logs keep no password).
		runs["up -o json"] = slipway(t, append(up, "-o", "json")...)
		runs["up"] = slipway(t, up...)
		runs["up --dry-run"] = slipway(t, append(up, "--dry-run")...)
		runs["up --dry-run -o json"] = slipway(t, append(up, "--dry-run", "-o", "json")...)
		runs["status"] = slipway(t, "status", "--kubeconfig", env.kubeconfig)
		runs["status -o json"] = slipway(t, "status", "--kubeconfig", env.kubeconfig, "-o", "json")
		diff := up[1 : len(up)-2] // diff waits for nothing: no --timeout
		runs["diff"] = slipway(t, append([]string{"diff"}, diff...)...)
		runs["diff with changes"] = slipway(t, append([]string{"diff", "--set", "ci.controller.numExecutors=9", "--set", "gitops.image=registry.example/fixture/gitops:9"}, diff...)...)
		runs["diff -o json"] = slipway(t, append([]string{"diff", "-o", "json", "--set", "ci.controller.numExecutors=9"}, diff...)...)
		runs["credentials --no-password"] = slipway(t, "credentials", "--kubeconfig", env.kubeconfig, "--no-password")
		runs["failing up"] = slipway(t, append(up, "--timeout", "3s", "--set", `ingress.nodeSelector.slipway\.dev/unschedulable=yes`)...)
		if c := runs["failing up"].code; c != 124 {
			t.Errorf("the failing up exited %d, want 124", c)
		}
		if c := runs["diff with changes"].code; c != 3 {
			t.Errorf("diff with changes exited %d, want 3", c)
		}
		for name, r := range runs {
			for comp, pw := range passwords {
				if strings.Contains(r.stdout+r.stderr, pw) {
					t.Errorf("%s printed the %s password", name, comp)
				}
			}
		}
		// Heal the ingress.
		if r := slipway(t, up...); r.code != 0 {
			t.Fatalf("healing up exited %d", r.code)
		}
	})

	t.Run("credential secrets", func(t *testing.T) {
		ctx := context.Background()
		all, err := env.client.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for comp, pw := range passwords {
			ns, name, _ := strings.Cut(secrets[comp], "/")
			if ns != namespaces[comp] {
				t.Errorf("%s: credentials Secret %s is not in the component's namespace %s", comp, secrets[comp], namespaces[comp])
			}
			found := 0
			for _, s := range all.Items {
				holds := false
				for _, v := range s.Data {
					holds = holds || bytes.Contains(v, []byte(pw))
				}
				if !holds {
					continue
				}
				found++
				if s.Namespace != ns || s.Name != name {
					t.Errorf("%s's password is also in Secret %s/%s", comp, s.Namespace, s.Name)
				}
				if s.Labels[kube.LabelManagedBy] != kube.ManagedBy || s.Labels[kube.LabelComponent] != comp {
					t.Errorf("Secret %s/%s has labels %v, want %s=%s and %s=%s", s.Namespace, s.Name, s.Labels,
						kube.LabelManagedBy, kube.ManagedBy, kube.LabelComponent, comp)
				}
			}
			if found != 1 {
				t.Errorf("%s's password is in %d Secrets, want exactly its own", comp, found)
			}
		}
	})

	t.Run("chart cache not readable by others", func(t *testing.T) {
		if files := privateFiles(t, cache, 0o007); files < 3 {
			t.Errorf("the cache %s holds %d files; want at least the 3 charts", cache, files)
		}
	})

	t.Run("lock, bundle and template files not readable by others", func(t *testing.T) {
		dir := t.TempDir()
		src := []string{"--profile", profile, "--chart-mirror", sources.http.URL()}
		for _, args := range [][]string{
			append([]string{"up", "--kubeconfig", env.kubeconfig, "--dry-run", "--lock", filepath.Join(dir, "slipway.lock")}, src...),
			append([]string{"bundle", "create", "-o", filepath.Join(dir, "platform.tgz")}, src...),
			append([]string{"template", "--output-dir", filepath.Join(dir, "manifests")}, src...),
		} {
			if r := slipway(t, args...); r.code != 0 {
				t.Fatalf("%s exited %d", args[0], r.code)
			}
		}
		if files := privateFiles(t, dir, 0o077); files < 5 {
			t.Errorf("want the lock, the bundle and 3 manifests in %s, found %d files", dir, files)
		}
	})

	t.Run("credentials needs only get on the named secrets", func(t *testing.T) {
		kc := userKubeconfig(t, "alice")
		getOnly := func(names ...string) rbacv1.PolicyRule {
			return rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}, ResourceNames: names}
		}
		grantNamespace(t, "alice", inventory.Namespace, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}, ResourceNames: []string{inventory.Name}})
		ciNS, ciSecret, _ := strings.Cut(secrets["ci"], "/")
		gitopsNS, gitopsSecret, _ := strings.Cut(secrets["gitops"], "/")
		grantNamespace(t, "alice", ciNS, getOnly(ciSecret))
		revokeGitops := grantNamespace(t, "alice", gitopsNS, getOnly(gitopsSecret))

		r := slipway(t, "credentials", "ci", "gitops", "--kubeconfig", kc, "-o", "json")
		if r.code != 0 {
			t.Fatalf("credentials with get on the two Secrets exited %d", r.code)
		}
		for comp, pw := range passwords {
			if !strings.Contains(r.stdout, pw) {
				t.Errorf("credentials did not print the %s password", comp)
			}
		}

		revokeGitops()
		r = slipway(t, "credentials", "ci", "gitops", "--kubeconfig", kc)
		want := "slipway: not allowed to read secret " + secrets["gitops"] + " of component gitops: grant `get` on secrets in namespace " + gitopsNS + ": " +
			`secrets "` + gitopsSecret + `" is forbidden: User "alice" cannot get resource "secrets" in API group "" in the namespace "` + gitopsNS + `"` + "\n"
		if r.code != 1 || !strings.HasSuffix(r.stderr, want) {
			t.Errorf("exit %d, want 1; stderr does not end with\n%s", r.code, want)
		}
	})
}

// privateFiles walks dir, reports every file or directory below it with a
// permission bit in mask set, and returns how many files it saw.
func privateFiles(t *testing.T, dir string, mask fs.FileMode) int {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files++
		}
		if perm := info.Mode().Perm(); perm&mask != 0 {
			t.Errorf("%s is %s: it has bits of %s set", path, perm, mask)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
