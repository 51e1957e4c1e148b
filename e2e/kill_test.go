package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// buildSlipway compiles the CLI once, for tests that need a real process.
func buildSlipway(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "slipway")
	root, _ := filepath.Abs("..")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/slipway")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build slipway: %v\n%s", err, out)
	}
	return bin
}

// TestSIGKILLThenUpConverges kills `slipway up` with SIGKILL at several
// points (before, during and after chart installs and readiness waits) and
// checks that the next `up` always converges: exit 0, every component
// ready, no Helm release left pending, and passwords never changed once
// created.
func TestSIGKILLThenUpConverges(t *testing.T) {
	bin := buildSlipway(t)
	profile := fixtureProfile(t, "kill")
	args := []string{"up", "--kubeconfig", env.kubeconfig, "--profile", profile, "--chart-mirror", sources.http.URL(), "--timeout", "2m"}
	var known map[string]string
	// Kill points spread over a run that takes about 3s on the fast
	// cluster: resolving, installing the ingress, its wait, the parallel
	// installs (the gitops hook Job), the final waits.
	repaired := 0
	for i, after := range []time.Duration{150 * time.Millisecond, 400 * time.Millisecond, 700 * time.Millisecond, 1100 * time.Millisecond, 1600 * time.Millisecond, 2200 * time.Millisecond} {
		// Every round changes every component, so the killed run is in the
		// middle of real upgrades (and the gitops hook Job, switched back
		// on for these rounds), not a no-op.
		args := append(slices.Clone(args), "--set", "gitops.redisSecretInit.enabled=true",
			"--set", fmt.Sprintf("ingress.image=registry.example/fixture/ingress:1.%d", i),
			"--set", fmt.Sprintf("ci.controller.numExecutors=%d", i),
			"--set", fmt.Sprintf("gitops.image=registry.example/fixture/gitops:3.%d", i))
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "SLIPWAY_CACHE_DIR="+os.Getenv("SLIPWAY_CACHE_DIR"))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(after) // where to kill, not a timing assertion
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		r := slipway(t, append(args, "-o", "json")...)
		if r.code != 0 {
			t.Fatalf("up after SIGKILL at %s exited %d", after, r.code)
		}
		if strings.Contains(r.stderr, "by an interrupted run") {
			repaired++
		}
		for _, c := range decodeUp(t, r).Components {
			if c.Status != "ready" {
				t.Errorf("after SIGKILL at %s: %s is %s", after, c.Name, c.Status)
			}
		}
		got := credentialsJSON(t)
		if known != nil && (got["ci"] != known["ci"] || got["gitops"] != known["gitops"]) {
			t.Errorf("after SIGKILL at %s a password changed", after)
		}
		known = got
		for _, ns := range []string{"kill-ingress", "kill-ci", "kill-gitops"} {
			secrets, err := env.client.CoreV1().Secrets(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "owner=helm"})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets.Items {
				if st := s.Labels["status"]; st != "deployed" && st != "superseded" && st != "uninstalled" && st != "failed" {
					t.Errorf("after SIGKILL at %s: release record %s/%s is %s", after, ns, s.Name, st)
				}
			}
		}
	}
	t.Logf("%d of the runs after a SIGKILL repaired a pending release", repaired)
}
