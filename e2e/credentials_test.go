package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/internal/credentials"
)

// credentialsJSON runs `slipway credentials -o json` and returns the
// admin passwords by component.
func credentialsJSON(t *testing.T) map[string]string {
	t.Helper()
	r := slipway(t, "credentials", "--kubeconfig", env.kubeconfig, "-o", "json")
	if r.code != 0 {
		t.Fatalf("credentials exited %d", r.code)
	}
	var doc struct {
		Credentials []struct {
			Component, Password string
			CredentialKind      string `json:"credentialKind"`
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("credentials -o json: %v\n%s", err, r.stdout)
	}
	out := map[string]string{}
	// A component's admin login: its registry or repository login, a row
	// of its own, has another password (masked).
	for _, c := range doc.Credentials {
		if c.CredentialKind == "admin" {
			out[c.Component] = c.Password
		}
	}
	return out
}

// podPassword follows the CI server pod's projected password file to the
// Secret key it comes from.
func podPassword(t *testing.T, ns, pod string) string {
	t.Helper()
	ctx := context.Background()
	p, err := env.client.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// As the Jenkins chart: the admin Secret reaches the controller as the
	// file chart-admin-password of the projected volume mounted at $SECRETS,
	// which configuration-as-code reads when Jenkins starts.
	for _, v := range p.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, src := range v.Projected.Sources {
			if src.Secret == nil {
				continue
			}
			for _, item := range src.Secret.Items {
				if item.Path != "chart-admin-password" {
					continue
				}
				s, err := env.client.CoreV1().Secrets(ns).Get(ctx, src.Secret.Name, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				return string(s.Data[item.Key])
			}
		}
	}
	t.Fatalf("pod %s/%s has no projected file chart-admin-password from a secret", ns, pod)
	return ""
}

// gitopsHash is the bcrypt hash the gitops fixture received in its values,
// as it landed in the chart's Secret.
func gitopsHash(t *testing.T, ns string) string {
	t.Helper()
	s, err := env.client.CoreV1().Secrets(ns).Get(context.Background(), "gitops-gitops-secret", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return string(s.Data["admin.password"])
}

// credentialKeys returns the data of the credentials Secret of a fixture
// component.
func credentialKeys(t *testing.T, ns, secret string) map[string][]byte {
	t.Helper()
	s, err := env.client.CoreV1().Secrets(ns).Get(context.Background(), secret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s.Data
}

// checkHashMAC: the gitops credentials Secret vouches for exactly the
// hash its release holds and the password (HMAC-SHA256 of the hash keyed
// with the password, hex), so a no-op up reuses the hash without bcrypt;
// the CI Secret, whose chart reads its keys, holds only its two keys.
func checkHashMAC(t *testing.T, password string) {
	t.Helper()
	m := hmac.New(sha256.New, []byte(password))
	m.Write([]byte(gitopsHash(t, "creds-gitops")))
	if got := string(credentialKeys(t, "creds-gitops", "slipway-gitops-admin")[credentials.KeyHashMAC]); got != hex.EncodeToString(m.Sum(nil)) {
		t.Errorf("the gitops Secret's %s is %q, not the MAC of the release's hash", credentials.KeyHashMAC, got)
	}
	if ci := credentialKeys(t, "creds-ci", "ci-admin-credentials"); len(ci) != 2 {
		t.Errorf("the CI Secret holds %d keys, want its username and password only", len(ci))
	}
}

// TestCredentialsLifecycle: the password up prints, the one credentials
// prints and the one the CI server's pod uses are the same; a re-run with
// other values keeps them; rotate changes them on purpose; the Argo-CD-
// shaped component gets a bcrypt hash of exactly the printed password; and
// no password ever shows in dry-run or failure output.
func TestCredentialsLifecycle(t *testing.T) {
	profile := fixtureProfile(t, "creds")
	up := []string{"up", "--kubeconfig", env.kubeconfig, "--profile", profile, "--chart-mirror", sources.http.URL(), "--timeout", "2m"}
	// --show-passwords: the report of up carries them even though stdout
	// is not a terminal, and they are the ones credentials reads back.
	first := slipway(t, append(up, "-o", "json", "--show-passwords")...)
	if first.code != 0 {
		t.Fatalf("up exited %d", first.code)
	}
	printed := map[string]string{}
	for _, c := range decodeUp(t, first).Components {
		printed[c.Name] = c.Password
	}
	if got := credentialsJSON(t); got["ci"] != printed["ci"] || got["gitops"] != printed["gitops"] || len(got) != 2 {
		t.Fatalf("credentials %v differ from what up printed", got)
	}
	if podPassword(t, "creds-ci", "jenkins-ciserver-0") != printed["ci"] {
		t.Fatal("the CI pod's password differs from the printed one")
	}
	if err := bcrypt.CompareHashAndPassword([]byte(gitopsHash(t, "creds-gitops")), []byte(printed["gitops"])); err != nil {
		t.Fatalf("the gitops bcrypt hash does not verify against the printed password: %v", err)
	}
	checkHashMAC(t, printed["gitops"])
	firstHash := gitopsHash(t, "creds-gitops")
	if r := slipway(t, "credentials", "--kubeconfig", env.kubeconfig, "ci", "--field", "password"); r.code != 0 || r.stdout != printed["ci"]+"\n" {
		t.Errorf("--field password printed %q", r.stdout)
	}
	if r := slipway(t, "credentials", "--kubeconfig", env.kubeconfig, "--no-password"); r.code != 0 || strings.Contains(r.stdout, printed["ci"]) || !strings.Contains(r.stdout, "********") {
		t.Errorf("--no-password showed:\n%s", r.stdout)
	}

	// A re-run with other values keeps every password.
	if r := slipway(t, append(up, "--set", "ci.controller.numExecutors=4")...); r.code != 0 {
		t.Fatalf("second up exited %d", r.code)
	}
	if got := credentialsJSON(t); got["ci"] != printed["ci"] || got["gitops"] != printed["gitops"] {
		t.Fatal("a re-run changed a password")
	}
	if podPassword(t, "creds-ci", "jenkins-ciserver-0") != printed["ci"] {
		t.Fatal("a re-run changed the CI pod's password")
	}
	if gitopsHash(t, "creds-gitops") != firstHash {
		t.Fatal("a re-run made a new gitops hash instead of reusing the one the Secret vouches for")
	}

	// Dry run and a failing run never show a password.
	dry := slipway(t, append(up, "--dry-run")...)
	if dry.code != 0 {
		t.Fatalf("dry run exited %d", dry.code)
	}
	failing := slipway(t, append(up, "--timeout", "3s", "--set", `ingress.nodeSelector.slipway\.dev/unschedulable=yes`)...)
	if failing.code != 124 {
		t.Fatalf("failing up exited %d, want 124", failing.code)
	}
	for name, r := range map[string]result{"dry run": dry, "failing up": failing} {
		for comp, pw := range printed {
			if pw != "" && strings.Contains(r.stdout+r.stderr, pw) {
				t.Errorf("%s printed the %s password", name, comp)
			}
		}
	}
	if !strings.Contains(dry.stdout, "********") {
		t.Errorf("dry run should show masked passwords:\n%s", dry.stdout)
	}
	// Heal the ingress for the rotation below.
	if r := slipway(t, up...); r.code != 0 {
		t.Fatalf("healing up exited %d", r.code)
	}

	// rotate changes the password on purpose, everywhere. The CI server
	// reads it only when it starts, so its pod must be replaced, and the
	// new password printed only once that pod is Ready.
	oldPod, err := env.client.CoreV1().Pods("creds-ci").Get(context.Background(), "jenkins-ciserver-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rot := slipway(t, "credentials", "rotate", "ci", "--kubeconfig", env.kubeconfig, "-o", "json")
	if rot.code != 0 {
		t.Fatalf("rotate ci exited %d", rot.code)
	}
	after := credentialsJSON(t)
	if after["ci"] == printed["ci"] || !strings.Contains(rot.stdout, after["ci"]) {
		t.Fatalf("rotate did not change or report the ci password")
	}
	newPod, err := env.client.CoreV1().Pods("creds-ci").Get(context.Background(), "jenkins-ciserver-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if newPod.UID == oldPod.UID || !podReady(newPod) {
		t.Fatalf("rotate returned before the CI pod was replaced and Ready (uid %s → %s, ready %v)", oldPod.UID, newPod.UID, podReady(newPod))
	}
	sec, err := env.client.CoreV1().Secrets("creds-ci").Get(context.Background(), "ci-admin-credentials", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rev := newPod.Annotations["slipway.dev/credentials-revision"]; rev != sec.ResourceVersion {
		t.Errorf("the new CI pod was started for credentials revision %q, the Secret is at %q", rev, sec.ResourceVersion)
	}
	if got := podPassword(t, "creds-ci", "jenkins-ciserver-0"); got != after["ci"] || got == printed["ci"] {
		t.Fatal("the new CI pod's projected password file does not hold the rotated password")
	}
	if r := slipway(t, "credentials", "rotate", "gitops", "--kubeconfig", env.kubeconfig); r.code != 0 {
		t.Fatalf("rotate gitops exited %d", r.code)
	}
	after = credentialsJSON(t)
	if after["gitops"] == printed["gitops"] {
		t.Fatal("rotate did not change the gitops password")
	}
	if err := bcrypt.CompareHashAndPassword([]byte(gitopsHash(t, "creds-gitops")), []byte(after["gitops"])); err != nil {
		t.Fatalf("after rotate the gitops hash does not verify against the new password: %v", err)
	}
	checkHashMAC(t, after["gitops"])
	rotatedHash := gitopsHash(t, "creds-gitops")
	// And up keeps the rotated passwords.
	if r := slipway(t, up...); r.code != 0 {
		t.Fatalf("up after rotate exited %d", r.code)
	}
	if got := credentialsJSON(t); got["ci"] != after["ci"] || got["gitops"] != after["gitops"] {
		t.Fatal("up after rotate changed a password")
	}
	if gitopsHash(t, "creds-gitops") != rotatedHash {
		t.Fatal("up after rotate made a new gitops hash instead of reusing rotate's")
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
