package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/slipway-dev/slipway/internal/app"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/report"
)

// result is one run of the slipway CLI, in-process.
type result struct {
	code           int
	stdout, stderr string
}

// slipway runs the CLI with the hermetic cluster's kubeconfig.
func slipway(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	full := append([]string{"slipway"}, args...)
	code := app.Run(ctx, full, strings.NewReader(""), &out, &errb)
	t.Logf("$ %s\nexit %d\nstderr:\n%s", strings.Join(full, " "), code, errb.String())
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func decodeUp(t *testing.T, r result) report.Up {
	t.Helper()
	var up report.Up
	if err := json.Unmarshal([]byte(r.stdout), &up); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, r.stdout)
	}
	return up
}

// TestUpFromHTTPRepository installs the fixture profile from the loopback
// classic Helm repository, checks the report, then runs up again, which
// must succeed as an upgrade and keep the generated passwords.
func TestUpFromHTTPRepository(t *testing.T) {
	testUp(t, sources.http.URL(), "up-http")
}

// TestUpFromOCIRegistry does the same from the in-process OCI registry.
func TestUpFromOCIRegistry(t *testing.T) {
	testUp(t, sources.oci.URL(), "up-oci")
}

func testUp(t *testing.T, mirror, prefix string) {
	profile := fixtureProfile(t, prefix)
	args := []string{"up", "--kubeconfig", env.kubeconfig, "--profile", profile, "--chart-mirror", mirror, "--timeout", "2m", "-o", "json"}
	first := slipway(t, args...)
	if first.code != 0 {
		t.Fatalf("up exited %d", first.code)
	}
	up := decodeUp(t, first)
	if len(up.Components) != 3 {
		t.Fatalf("want 3 components, got %+v", up.Components)
	}
	urls := map[string]string{}
	for _, c := range up.Components {
		if c.Status != "ready" {
			t.Errorf("%s: status %s, want ready", c.Name, c.Status)
		}
		// stdout is not a terminal: up prints no password (issue 19).
		if c.Password != "" && c.Password != "********" {
			t.Errorf("%s: up printed a password to a non-terminal stdout without --show-passwords", c.Name)
		}
		urls[c.Name] = c.URL
	}
	passwords := credentialsJSON(t)
	if urls["ci"] != "http://jenkins.127.0.0.1.sslip.io" || urls["gitops"] != "http://argocd.127.0.0.1.sslip.io" {
		t.Errorf("urls = %v", urls)
	}
	checkJenkinsURL(t, prefix+"-ci", urls["ci"])
	checkArgoCDURL(t, prefix+"-gitops", urls["gitops"])
	if len(passwords["ci"]) < 24 || len(passwords["gitops"]) < 24 {
		t.Errorf("passwords not generated: ci %d chars, gitops %d chars", len(passwords["ci"]), len(passwords["gitops"]))
	}
	for _, c := range up.Components {
		if c.Name == "ci" && c.Version != "1.2.3" {
			t.Errorf("ci resolved to %s, want the highest match 1.2.3 of >=1.0.0 <2.0.0", c.Version)
		}
	}
	// The CI server's pod takes its password from slipway's Secret, as the
	// projected file its configuration-as-code reads.
	if podPassword(t, prefix+"-ci", "jenkins-ciserver-0") != passwords["ci"] {
		t.Error("the password the pod uses differs from the one up printed")
	}

	second := slipway(t, append(args, "--set", "ci.controller.numExecutors=3")...)
	if second.code != 0 {
		t.Fatalf("second up exited %d", second.code)
	}
	again := decodeUp(t, second)
	after := credentialsJSON(t)
	for _, c := range again.Components {
		if after[c.Name] != passwords[c.Name] {
			t.Errorf("%s: the second up changed the password", c.Name)
		}
		if c.Status != "ready" {
			t.Errorf("%s: status %s after the second up", c.Name, c.Status)
		}
		if want := map[string]string{"ci": "upgrade"}[c.Name]; want == "upgrade" && c.Action != "upgrade" {
			t.Errorf("%s: action %q after changing its values, want upgrade", c.Name, c.Action)
		}
	}
	// The same again changes nothing: no Helm upgrade at all.
	third := slipway(t, append(args, "--set", "ci.controller.numExecutors=3")...)
	if third.code != 0 {
		t.Fatalf("third up exited %d", third.code)
	}
	for _, c := range decodeUp(t, third).Components {
		if c.Action != "unchanged" || c.Status != "ready" {
			t.Errorf("%s: no-op re-run did %q (status %s), want unchanged and ready", c.Name, c.Action, c.Status)
		}
	}
}

// TestUpReadinessTimeout: a workload that never becomes Ready makes up
// exit 124 within the timeout, naming the pod and the scheduler's reason.
func TestUpReadinessTimeout(t *testing.T) {
	start := time.Now()
	r := slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", "testdata/profiles/neverready.yaml",
		"--chart-mirror", sources.http.URL(), "--timeout", "5s")
	if r.code != 124 {
		t.Fatalf("exit %d, want 124", r.code)
	}
	if took := time.Since(start); took > 45*time.Second {
		t.Errorf("took %s for a 5s timeout", took)
	}
	for _, want := range []string{"Pod e2e-stuck/stuck-neverready-", "Unschedulable", "didn't match Pod's node affinity/selector", "kubectl -n e2e-stuck describe pod"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("diagnosis lacks %q", want)
		}
	}
}

// TestDependentsStart: a dependent of a component whose profile says
// `dependentsStart: installed` is installed and becomes Ready while that
// component never does; a dependent of one that keeps the default waits
// for Ready and is skipped. Both stuck pods are named in the diagnosis.
func TestDependentsStart(t *testing.T) {
	r := slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", "testdata/profiles/gates.yaml",
		"--chart-mirror", sources.http.URL(), "--timeout", "10s", "-o", "json")
	if r.code != 124 {
		t.Fatalf("exit %d, want 124 (soft and hard never become Ready)", r.code)
	}
	want := map[string]string{"soft": "not-ready", "after-soft": "ready", "hard": "not-ready", "after-hard": "skipped"}
	got := map[string]string{}
	for _, c := range decodeUp(t, r).Components {
		got[c.Name] = c.Status
	}
	for name, status := range want {
		if got[name] != status {
			t.Errorf("%s: status %q, want %q", name, got[name], status)
		}
	}
	for _, msg := range []string{"Pod e2e-gates-soft/soft-neverready-", "Pod e2e-gates-hard/hard-neverready-", "after-hard: skipped because hard is not ready"} {
		if !strings.Contains(r.stderr, msg) {
			t.Errorf("stderr lacks %q", msg)
		}
	}
	if strings.Contains(r.stderr, "after-soft-neverready") {
		t.Error("the diagnosis names after-soft's pod, which is Ready")
	}
}

// TestUpBadInput: unknown profiles and typos exit 2 and name the problem,
// before anything touches the cluster.
func TestUpBadInput(t *testing.T) {
	r := slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", "nosuch")
	if r.code != 2 || !strings.Contains(r.stderr, `"nosuch"`) {
		t.Errorf("--profile nosuch: exit %d, stderr %q", r.code, r.stderr)
	}
	r = slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", "testdata/profiles/typo.yaml")
	if r.code != 2 || !strings.Contains(r.stderr, "namespce") {
		t.Errorf("typo'd field: exit %d, stderr %q", r.code, r.stderr)
	}
}

// fixtureProfile writes the fixture profile with its namespaces and
// ingress class prefixed, so tests do not share cluster-scoped names.
func fixtureProfile(t *testing.T, prefix string) string {
	t.Helper()
	return prefixedProfile(t, "fixture.yaml", prefix)
}

// prefixedProfile writes testdata/profiles/NAME with every "NS-" replaced
// by prefix + "-", and returns its path.
func prefixedProfile(t *testing.T, name, prefix string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata/profiles", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, bytes.ReplaceAll(data, []byte("NS-"), []byte(prefix+"-")), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestUpGitOpsRepo: with --gitops-repo, slipway installs its own wiring
// chart after the agent (whose CRDs must exist first), and the agent gets
// an Application pointing at the repo path with automated sync, which the
// Argo CD stand-in syncs from the loopback Git server.
func TestUpGitOpsRepo(t *testing.T) {
	profile := fixtureProfile(t, "wiring")
	if _, err := env.git.Commit(context.Background(), "wiring", "main", map[string]string{"clusters/dev/config.yaml": configMap("wiring-gitops", "one")}); err != nil {
		t.Fatal(err)
	}
	repo := env.git.URL("wiring")
	r := slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", profile, "--chart-mirror", sources.http.URL(),
		"--gitops-repo", repo, "--gitops-path", "clusters/dev", "-o", "json")
	if r.code != 0 {
		t.Fatalf("up exited %d", r.code)
	}
	app, err := env.dynamic.Resource(schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}).
		Namespace("wiring-gitops").Get(context.Background(), "platform", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("no Application: %v", err)
	}
	url, _, _ := unstructured.NestedString(app.Object, "spec", "source", "repoURL")
	path, _, _ := unstructured.NestedString(app.Object, "spec", "source", "path")
	prune, _, _ := unstructured.NestedBool(app.Object, "spec", "syncPolicy", "automated", "prune")
	if url != repo || path != "clusters/dev" || !prune {
		t.Errorf("Application source %s path %s prune %v", url, path, prune)
	}
	// Without --gitops-repo the wiring is not installed and the report says
	// how to connect a repository.
	r = slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", fixtureProfile(t, "idle"), "--chart-mirror", sources.http.URL())
	if r.code != 0 || !strings.Contains(r.stdout, "slipway up --gitops-repo URL") {
		t.Errorf("idle agent: exit %d, report:\n%s", r.code, r.stdout)
	}
}

// TestGeneratedSecrets: a profile's `secrets` are made before the install
// (so the chart's hook Job that would make them is off), kept across runs,
// never printed; one something else made (an earlier profile version's
// hook) is kept as it is; `down` removes only the ones slipway made.
func TestGeneratedSecrets(t *testing.T) {
	ctx := context.Background()
	secrets := env.client.CoreV1().Secrets
	run := func(prefix string, extra ...string) result {
		t.Helper()
		args := append([]string{"up", "--kubeconfig", env.kubeconfig, "--profile", fixtureProfile(t, prefix),
			"--chart-mirror", sources.http.URL(), "--timeout", "2m", "-o", "json"}, extra...)
		r := slipway(t, args...)
		if r.code != 0 {
			t.Fatalf("up exited %d:\n%s", r.code, r.stderr)
		}
		return r
	}
	value := func(ns string) (string, map[string]string) {
		t.Helper()
		s, err := secrets(ns).Get(ctx, "gitops-redis", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("secret %s/gitops-redis: %v", ns, err)
		}
		return string(s.Data["auth"]), s.Labels
	}
	// The namespace exists beforehand, so down keeps it and must remove
	// the Secret itself.
	for _, ns := range []string{"gensec-gitops", "genkeep-gitops"} {
		if _, err := env.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { env.client.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	}

	first := run("gensec")
	made, labels := value("gensec-gitops")
	if len(made) != 32 || labels[kube.LabelManagedBy] != kube.ManagedBy || labels[kube.LabelComponent] != "gitops" {
		t.Errorf("generated secret: %d chars, labels %v; want 32 chars labelled for component gitops", len(made), labels)
	}
	if strings.Contains(first.stdout+first.stderr, made) {
		t.Error("up printed the generated value")
	}
	if _, err := env.client.BatchV1().Jobs("gensec-gitops").Get(ctx, "gitops-redis-secret-init", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the chart's hook Job ran although the profile switches it off: %v", err)
	}
	// An upgrade keeps the value.
	run("gensec", "--set", "gitops.image=registry.example/fixture/gitops:3.1")
	if again, _ := value("gensec-gitops"); again != made {
		t.Error("an upgrade changed the generated value")
	}

	// Made by an earlier profile's hook: kept, not relabelled.
	if _, err := secrets("genkeep-gitops").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "gitops-redis"}, Data: map[string][]byte{"auth": []byte("made-by-a-hook")}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	run("genkeep")
	if kept, labels := value("genkeep-gitops"); kept != "made-by-a-hook" || labels[kube.LabelManagedBy] != "" {
		t.Errorf("a Secret slipway did not make: value %q, labels %v; want it untouched", kept, labels)
	}

	// down (of the genkeep components, the last installed) keeps the
	// hook-made Secret; the gensec one slipway made goes with its own down.
	if r := slipway(t, "down", "--kubeconfig", env.kubeconfig, "--yes", "gitops"); r.code != 0 {
		t.Fatalf("down exited %d:\n%s", r.code, r.stderr)
	}
	if kept, _ := value("genkeep-gitops"); kept != "made-by-a-hook" {
		t.Error("down removed a Secret slipway did not make")
	}
	run("gensec")
	if r := slipway(t, "down", "--kubeconfig", env.kubeconfig, "--yes", "gitops"); r.code != 0 {
		t.Fatalf("down exited %d:\n%s", r.code, r.stderr)
	}
	if _, err := secrets("gensec-gitops").Get(ctx, "gitops-redis", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("down left the Secret slipway made: %v", err)
	}
	slipway(t, "down", "--kubeconfig", env.kubeconfig, "--yes", "ingress", "ci")
}
