//go:build kind

package kind

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/slipway-dev/slipway/internal/app"
	"github.com/slipway-dev/slipway/internal/report"
)

// name is the cluster the platform goes on. The CI workflow creates it
// with the kind CLI from kind-config.yaml beforehand (so slipway's "already
// exists" path runs too); locally the test creates it and deletes it
// afterwards.
var name = envOr("KIND_CLUSTER_NAME", "slipway-e2e")

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

type result struct {
	code           int
	stdout, stderr string
}

func slipway(t testing.TB, timeout time.Duration, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	full := append([]string{"slipway"}, args...)
	code := app.Run(ctx, full, strings.NewReader(""), &out, &errb)
	t.Logf("$ %s\nexit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(full, " "), code, out.String(), errb.String())
	return result{code, out.String(), errb.String()}
}

func clusters(t testing.TB) []string {
	t.Helper()
	r := slipway(t, time.Minute, "cluster", "list")
	if r.code != 0 {
		t.Fatalf("cluster list exited %d", r.code)
	}
	return strings.Fields(r.stdout)
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var out, errb bytes.Buffer
	if app.Run(context.Background(), []string{"slipway", "cluster", "list"}, nil, &out, &errb) != 0 {
		fmt.Fprintln(os.Stderr, "e2e/kind: needs a container engine:", errb.String())
		return 1
	}
	existed := slices.Contains(strings.Fields(out.String()), name)
	code := m.Run()
	if !existed && os.Getenv("KEEP_CLUSTER") == "" {
		app.Run(context.Background(), []string{"slipway", "cluster", "delete", "--name", name}, nil, os.Stdout, os.Stderr)
	}
	return code
}

// TestClusterLifecycle creates, re-creates (a no-op), lists and deletes a
// throwaway cluster with no host ports, in its own kubeconfig file.
func TestClusterLifecycle(t *testing.T) {
	lib := name + "-lib"
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	cfg := filepath.Join(dir, "kind.yaml")
	if err := os.WriteFile(cfg, []byte("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { slipway(t, 5*time.Minute, "cluster", "delete", "--name", lib, "--kubeconfig", kc) })

	r := slipway(t, 10*time.Minute, "cluster", "create", "--name", lib, "--config", cfg, "--kubeconfig", kc)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "kind-"+lib {
		t.Fatalf("cluster create: exit %d, stdout %q", r.code, r.stdout)
	}
	conf, err := clientcmd.LoadFromFile(kc)
	if err != nil {
		t.Fatal(err)
	}
	if conf.CurrentContext != "kind-"+lib {
		t.Errorf("current context %q, want kind-%s", conf.CurrentContext, lib)
	}
	r = slipway(t, time.Minute, "cluster", "create", "--name", lib, "--config", cfg, "--kubeconfig", kc)
	if r.code != 0 || !strings.Contains(r.stderr, "already exists: not creating it") {
		t.Errorf("second create: exit %d", r.code)
	}
	if !slices.Contains(clusters(t), lib) {
		t.Errorf("cluster list lacks %s", lib)
	}
	if r := slipway(t, 5*time.Minute, "cluster", "delete", "--name", lib, "--kubeconfig", kc); r.code != 0 {
		t.Fatalf("cluster delete exited %d", r.code)
	}
	if conf, err := clientcmd.LoadFromFile(kc); err != nil || conf.Contexts["kind-"+lib] != nil {
		t.Errorf("context kind-%s still in the kubeconfig (%v)", lib, err)
	}
	if slices.Contains(clusters(t), lib) {
		t.Errorf("%s still listed after delete", lib)
	}
	if r := slipway(t, time.Minute, "cluster", "delete", "--name", lib); r.code != 0 || !strings.Contains(r.stderr, "nothing to delete") {
		t.Errorf("deleting a missing cluster: exit %d", r.code)
	}
}

// TestUpCreateCluster creates (or finds) the cluster from the built-in
// kind-config.yaml, installs the minimal profile, and reaches Jenkins
// through host port 80; then checks that a second cluster wanting the
// same ports is stopped by preflight, and that a re-run changes nothing.
func TestUpCreateCluster(t *testing.T) {
	args := []string{"up", "--create-cluster", "--cluster-name", name, "--profile", "minimal", "--ip", "auto", "--timeout", "15m", "-o", "json"}
	r := slipway(t, 25*time.Minute, args...)
	if r.code != 0 {
		t.Fatalf("up --create-cluster exited %d", r.code)
	}
	var up report.Up
	if err := json.Unmarshal([]byte(r.stdout), &up); err != nil {
		t.Fatalf("stdout is not the JSON report: %v", err)
	}
	if up.Context != "kind-"+name {
		t.Errorf("installed into context %q, want kind-%s", up.Context, name)
	}
	if !strings.Contains(r.stderr, "--ip auto: hostnames use 127.0.0.1") {
		t.Errorf("--ip auto did not choose 127.0.0.1 on kind")
	}
	url := ""
	for _, c := range up.Components {
		if c.Status != "ready" {
			t.Errorf("%s: %s", c.Name, c.Status)
		}
		if c.Name == "jenkins" {
			url = c.URL
		}
	}
	if url != "http://jenkins.127.0.0.1.sslip.io" {
		t.Fatalf("jenkins URL %q", url)
	}

	// Through the host port mapping and the ingress, without DNS: a
	// request to 127.0.0.1:80 with Jenkins's Host header. Traefik answers
	// 404 for a host it has no route for; Jenkins answers 200 or 403.
	req, _ := http.NewRequest("GET", "http://127.0.0.1/login", nil)
	req.Host = strings.TrimPrefix(url, "http://")
	deadline := time.Now().Add(2 * time.Minute)
	status := 0
	for time.Now().Before(deadline) {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			status = resp.StatusCode
			resp.Body.Close()
			if status == http.StatusOK || status == http.StatusForbidden {
				break
			}
		}
		time.Sleep(2 * time.Second)
	}
	if status != http.StatusOK && status != http.StatusForbidden {
		t.Errorf("GET http://127.0.0.1/login with Host %s: status %d, want 200 or 403 from Jenkins", req.Host, status)
	}

	// Another cluster from the same configuration wants ports 80 and 443,
	// which this one holds: preflight stops it before kind starts.
	clash := name + "-clash"
	r = slipway(t, time.Minute, "cluster", "create", "--name", clash)
	if r.code != 2 || !strings.Contains(r.stderr, "host port 80 is already in use") || !strings.Contains(r.stderr, "host port 443 is already in use") {
		t.Errorf("a second cluster on ports 80/443: exit %d, want 2 naming both ports", r.code)
	}
	if slices.Contains(clusters(t), clash) {
		slipway(t, 5*time.Minute, "cluster", "delete", "--name", clash)
		t.Errorf("preflight let %s be created", clash)
	}

	r = slipway(t, 10*time.Minute, args...)
	if r.code != 0 || !strings.Contains(r.stderr, "already exists: not creating it") {
		t.Fatalf("re-run: exit %d", r.code)
	}
	if err := json.Unmarshal([]byte(r.stdout), &up); err != nil {
		t.Fatal(err)
	}
	for _, c := range up.Components {
		if c.Action != "unchanged" || c.Status != "ready" {
			t.Errorf("re-run: %s %s (%s), want unchanged and ready", c.Name, c.Action, c.Status)
		}
	}
}
