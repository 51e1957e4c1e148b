package bootstrap

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/slipway-dev/slipway/internal/charts"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/release"
	"github.com/slipway-dev/slipway/internal/ui"
)

// resolves answers every name with one address.
type resolves string

func (r resolves) LookupHost(context.Context, string) ([]string, error) {
	return []string{string(r)}, nil
}

// ingressChart copies the e2e ingress fixture chart with kubeVersion set.
func ingressChart(t *testing.T, kubeVersion string) string {
	t.Helper()
	src := "../../e2e/testdata/charts/ingress"
	dst := filepath.Join(t.TempDir(), "ingress")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	if kubeVersion != "" {
		f, err := os.OpenFile(filepath.Join(dst, "Chart.yaml"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("kubeVersion: \"" + kubeVersion + "\"\n")
		f.Close()
	}
	return dst
}

// preflightRun is a prepared plan of one ingress chart on a fake cluster
// with nodes, and Deps that resolve every hostname to 127.0.0.1 and find
// no release installed.
type preflightRun struct {
	p   *Prepared
	d   Deps
	log *bytes.Buffer
	ui  *ui.Printer
}

func (r preflightRun) run() error {
	dns, err := runPreflight(context.Background(), r.p, r.d, r.ui)
	waitDNS(dns)
	return err
}

func newPreflightRun(t *testing.T, chart string, nodes ...corev1.Node) preflightRun {
	t.Helper()
	client := fake.NewClientset()
	for i := range nodes {
		if _, err := client.CoreV1().Nodes().Create(context.Background(), &nodes[i], metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	client.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: "v1.35.0"}
	var log bytes.Buffer
	values := map[string]any{"replicas": 3, "nodeSelector": map[string]any{"ingress-ready": "true"}, "hostPorts": map[string]any{"enabled": true}}
	p := &Prepared{
		Options: Options{IP: "127.0.0.1"},
		Profile: &profile.Profile{Components: []profile.Component{{Name: "ingress", Group: "ingress", Namespace: "ing"}}},
		Cluster: &kube.Cluster{Context: "test", Client: client},
		Charts:  map[string]Chart{"ingress": {Fetched: charts.Fetched{Path: chart}}},
		Plan: &plan.Plan{Releases: []plan.Release{{Component: "ingress", Namespace: "ing", Name: "ingress", Host: "x.127.0.0.1.sslip.io",
			Chart: plan.Chart{Name: "ingress", Version: "1.0.0", Ref: chart}, Values: values}}},
	}
	d := Deps{Resolver: resolves("127.0.0.1"), Releases: memReleases{}}
	return preflightRun{p: p, d: d, log: &log, ui: ui.New(&log, false)}
}

func memNode(name, mem string, labels map[string]string) corev1.Node {
	return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(mem)}}}
}

func TestPreflightStagePasses(t *testing.T) {
	r := newPreflightRun(t, ingressChart(t, ">=1.30.0-0"), memNode("kind-control-plane", "1Gi", map[string]string{"ingress-ready": "true"}))
	err := r.run()
	log := r.log
	if err != nil || strings.Contains(log.String(), "warning") {
		t.Fatalf("preflight: %v\n%s", err, log.String())
	}
}

// TestPreflightStageFailures: every failed check of the rendered plan is
// reported together as an input error; the DNS problem only warns.
func TestPreflightStageFailures(t *testing.T) {
	r := newPreflightRun(t, ingressChart(t, ""), memNode("worker", "128Mi", nil))
	r.d.Resolver = resolves("10.9.9.9")
	err := r.run()
	log := r.log
	want := "preflight checks failed; nothing was changed (--skip-preflight bypasses these checks):\n" +
		"the platform requests 192Mi of memory (ingress 192Mi), more than the 128Mi the cluster's schedulable nodes can allocate (worker 128Mi): give the container engine more memory (Docker Desktop: Settings → Resources), add nodes, or leave components out (--without COMPONENT)\n" +
		"component ingress: Deployment ing/ingress-ingress runs only on a node labelled ingress-ready=true to bind host ports 80, 443, and no node has that label: create the cluster from kind-config.yaml (`slipway cluster create`, or `slipway up --create-cluster`), or label the node that should receive traffic (`kubectl label node NAME ingress-ready=true`)"
	if !errors.Is(err, outcome.ErrInput) || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	if !strings.Contains(log.String(), "warning: the hostnames do not resolve to 127.0.0.1 (x.127.0.0.1.sslip.io resolves to 10.9.9.9)") ||
		!strings.Contains(log.String(), "\n  127.0.0.1 x.127.0.0.1.sslip.io\n") {
		t.Errorf("no DNS warning with the /etc/hosts line:\n%s", log.String())
	}

	r = newPreflightRun(t, ingressChart(t, ">=1.36.0"), memNode("kind-control-plane", "1Gi", map[string]string{"ingress-ready": "true"}))
	err = r.run()
	want = "preflight checks failed; nothing was changed (--skip-preflight bypasses these checks):\n" +
		"component ingress: chart ingress@1.0.0 requires Kubernetes >=1.36.0, and the cluster runs v1.35.0: use a cluster whose version matches (kind: a node image of that version in the kind config), or a profile version whose chart supports v1.35.0 (--profile NAME@VERSION)"
	if !errors.Is(err, outcome.ErrInput) || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}

	r = newPreflightRun(t, ingressChart(t, ""), memNode("worker", "128Mi", nil))
	r.p.Options.SkipPreflight = true
	if err := r.run(); err != nil {
		t.Fatalf("--skip-preflight: %v", err)
	}
}

func TestChooseIPAuto(t *testing.T) {
	r := newPreflightRun(t, "", memNode("dev-control-plane", "1Gi", map[string]string{"ingress-ready": "true"}))
	log := r.log
	ip, err := chooseIP(context.Background(), "auto", r.p.Cluster, r.p.Profile, r.ui)
	if err != nil || ip != "127.0.0.1" {
		t.Fatalf("chooseIP: %q, %v", ip, err)
	}
	if !strings.Contains(log.String(), "--ip auto: hostnames use 127.0.0.1: node dev-control-plane is shaped like kind's") {
		t.Errorf("log:\n%s", log.String())
	}
}

// memReleases are Helm's in-memory release stores, empty, one per
// namespace.
type memReleases struct{}

func (memReleases) For(ns string) (ReleaseClient, error) { return release.NewForTesting(ns), nil }
