package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// credentialsJSON runs `slipway credentials -o json` and returns the
// passwords by component.
func credentialsJSON(t *testing.T) map[string]string {
	t.Helper()
	r := slipway(t, "credentials", "--kubeconfig", env.kubeconfig, "-o", "json")
	if r.code != 0 {
		t.Fatalf("credentials exited %d", r.code)
	}
	var doc struct {
		Credentials []struct{ Component, Password string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("credentials -o json: %v\n%s", err, r.stdout)
	}
	out := map[string]string{}
	for _, c := range doc.Credentials {
		out[c.Component] = c.Password
	}
	return out
}

// podPassword follows the CI server pod's ADMIN_PASSWORD env to its Secret.
func podPassword(t *testing.T, ns, pod string) string {
	t.Helper()
	ctx := context.Background()
	p, err := env.client.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range p.Spec.Containers[0].Env {
		if e.Name == "ADMIN_PASSWORD" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			s, err := env.client.CoreV1().Secrets(ns).Get(ctx, e.ValueFrom.SecretKeyRef.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return string(s.Data[e.ValueFrom.SecretKeyRef.Key])
		}
	}
	t.Fatalf("pod %s/%s has no ADMIN_PASSWORD from a secret", ns, pod)
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

// TestCredentialsLifecycle: the password up prints, the one credentials
// prints and the one the CI server's pod uses are the same; a re-run with
// other values keeps them; rotate changes them on purpose; the Argo-CD-
// shaped component gets a bcrypt hash of exactly the printed password; and
// no password ever shows in dry-run or failure output.
func TestCredentialsLifecycle(t *testing.T) {
	profile := fixtureProfile(t, "creds")
	up := []string{"up", "--kubeconfig", env.kubeconfig, "--profile", profile, "--chart-mirror", sources.http.URL(), "--timeout", "2m"}
	first := slipway(t, append(up, "-o", "json")...)
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

	// rotate changes the password on purpose, everywhere.
	rot := slipway(t, "credentials", "rotate", "ci", "--kubeconfig", env.kubeconfig, "-o", "json")
	if rot.code != 0 {
		t.Fatalf("rotate ci exited %d", rot.code)
	}
	after := credentialsJSON(t)
	if after["ci"] == printed["ci"] || !strings.Contains(rot.stdout, after["ci"]) {
		t.Fatalf("rotate did not change or report the ci password")
	}
	if podPassword(t, "creds-ci", "jenkins-ciserver-0") != after["ci"] {
		t.Fatal("the CI pod's secret does not hold the rotated password")
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
	// And up keeps the rotated passwords.
	if r := slipway(t, up...); r.code != 0 {
		t.Fatalf("up after rotate exited %d", r.code)
	}
	if got := credentialsJSON(t); got["ci"] != after["ci"] || got["gitops"] != after["gitops"] {
		t.Fatal("up after rotate changed a password")
	}
}
