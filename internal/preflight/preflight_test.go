package preflight

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fakeRunner answers `<runtime> info` from a table: a missing entry is a
// program that is not installed.
type fakeRunner map[string]struct {
	out string
	err error
}

func (f fakeRunner) Output(_ context.Context, name string, args ...string) ([]byte, error) {
	r, ok := f[name]
	if !ok {
		return nil, &exec.Error{Name: name, Err: exec.ErrNotFound}
	}
	if len(args) == 0 || args[0] != "info" {
		return nil, fmt.Errorf("unexpected %s %v", name, args)
	}
	return []byte(r.out), r.err
}

var exit1 = errors.New("exit status 1")

func TestContainerRuntime(t *testing.T) {
	down := struct {
		out string
		err error
	}{"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n", exit1}
	up := struct {
		out string
		err error
	}{"28.1.1\n", nil}
	cases := []struct {
		name     string
		run      fakeRunner
		provider string
		want     string // runtime chosen
		err      string
	}{
		{"docker answers", fakeRunner{"docker": up, "podman": up}, "", "docker", ""},
		{"podman when docker is missing", fakeRunner{"podman": up}, "", "podman", ""},
		{"podman when docker is down", fakeRunner{"docker": down, "podman": up}, "", "podman", ""},
		{"none installed", fakeRunner{}, "", "",
			"neither docker nor podman is installed, and kind runs the cluster's nodes as containers: install Docker (https://docs.docker.com/get-docker/) or Podman (https://podman.io), or run slipway up without --create-cluster against a cluster you already have"},
		{"docker down", fakeRunner{"docker": down}, "", "",
			"docker is installed but its engine does not answer (`docker info`: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?): start Docker (Docker Desktop, or `sudo systemctl start docker`) and make sure `docker info` works without sudo (add yourself to the docker group)"},
		{"both down", fakeRunner{"docker": down, "podman": {"", exit1}}, "", "",
			"docker is installed but its engine does not answer (`docker info`: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?): start Docker (Docker Desktop, or `sudo systemctl start docker`) and make sure `docker info` works without sudo (add yourself to the docker group)\n" +
				"podman is installed but its engine does not answer (`podman info`: exit status 1): start it (`podman machine start` on macOS and Windows) and make sure `podman info` works"},
		{"provider chosen", fakeRunner{"docker": up, "podman": up}, "podman", "podman", ""},
		{"provider missing", fakeRunner{"docker": up}, "podman", "",
			"KIND_EXPERIMENTAL_PROVIDER=podman, but podman is not installed: install it, or unset KIND_EXPERIMENTAL_PROVIDER to use Docker"},
		{"provider unknown", fakeRunner{"docker": up}, "lxc", "",
			"KIND_EXPERIMENTAL_PROVIDER=lxc is not a runtime kind supports: use docker, podman or nerdctl, or unset it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ContainerRuntime(context.Background(), c.run, c.provider)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("err = %v\nwant  %s", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ContainerRuntime = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

type fakeProbe map[int]string

func (f fakeProbe) InUse(_ string, port int) (bool, string) {
	why, ok := f[port]
	return ok, why
}

func TestHostPortsFree(t *testing.T) {
	ports := []HostPort{{Port: 80}, {Port: 443}}
	if err := HostPortsFree(fakeProbe{}, ports, "kind-config.yaml"); err != nil {
		t.Fatalf("free ports: %v", err)
	}
	err := HostPortsFree(fakeProbe{80: "listen tcp :80: bind: address already in use"}, ports, "kind-config.yaml")
	want := "host port 80 is already in use on this machine (listen tcp :80: bind: address already in use), and kind-config.yaml maps it to the cluster's ingress: stop the program that holds it (`sudo ss -ltnp 'sport = :80'` or `sudo lsof -i :80` names it), or copy kind-config.yaml, change `hostPort: 80` to a free port such as 8080, and pass the copy with --config (URLs then need :8080)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	err = HostPortsFree(fakeProbe{80: "a", 443: "something accepts connections on 127.0.0.1:443"}, []HostPort{{Port: 80}, {Port: 443, Address: "127.0.0.1"}}, "my-kind.yaml")
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "host port 443 is already in use on 127.0.0.1 (something accepts connections on 127.0.0.1:443), and my-kind.yaml maps it") || !strings.Contains(lines[1], "such as 8443") {
		t.Fatalf("both ports taken: %v", err)
	}
}

// TestNetProbe holds a port and checks the real probe sees it taken.
func TestNetProbe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	inUse, why := NetProbe{}.InUse("127.0.0.1", port)
	if !inUse || !strings.Contains(why, "address already in use") {
		t.Fatalf("a held port: InUse = %v, %q", inUse, why)
	}
	l.Close()
	if inUse, why := (NetProbe{}).InUse("127.0.0.1", port); inUse {
		t.Fatalf("a released port: InUse = %v, %q", inUse, why)
	}
}

func node(name, mem string, labels map[string]string) corev1.Node {
	return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(mem)}}}
}

const manifest = `---
# Source: ci/templates/statefulset.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: jenkins
spec:
  replicas: 1
  template:
    spec:
      initContainers:
      - name: init
        resources: {requests: {memory: 3Gi}}
      containers:
      - name: jenkins
        resources: {requests: {memory: 2Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: traefik
  namespace: traefik
spec:
  replicas: 2
  template:
    spec:
      nodeSelector: {ingress-ready: "true"}
      containers:
      - name: traefik
        ports:
        - {containerPort: 8000, hostPort: 80}
        - {containerPort: 8443, hostPort: 443}
        resources: {requests: {memory: 512Mi}}
      - name: sidecar
        resources: {requests: {memory: 256Mi}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  template:
    spec:
      containers:
      - name: a
        resources: {requests: {memory: 100Mi}}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec:
      containers:
      - name: m
        resources: {requests: {memory: 8Gi}}
---
apiVersion: v1
kind: Pod
metadata:
  name: test-hook
  annotations: {helm.sh/hook: test}
spec:
  containers:
  - name: t
    resources: {requests: {memory: 8Gi}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
`

func TestWorkloads(t *testing.T) {
	ws, err := Workloads(manifest, "ci")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range ws {
		got = append(got, fmt.Sprintf("%s x%d %s %v %v", w.Ref(), w.Replicas, w.Memory.String(), w.NodeSelector, w.HostPorts))
	}
	want := []string{
		"StatefulSet ci/jenkins x1 3Gi map[] []",
		"Deployment traefik/traefik x2 768Mi map[ingress-ready:true] [80 443]",
		"DaemonSet ci/agent x1 100Mi map[] []",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Workloads:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMemory(t *testing.T) {
	ws, err := Workloads(manifest, "ci")
	if err != nil {
		t.Fatal(err)
	}
	ws[0].Component, ws[1].Component, ws[2].Component = "jenkins", "traefik", "agent"
	// 3Gi + 2×768Mi + 2 nodes×100Mi = 4808Mi
	if err := Memory([]corev1.Node{node("a", "4Gi", nil), node("b", "1Gi", nil)}, ws); err != nil {
		t.Errorf("4808Mi on 5Gi: %v", err)
	}
	cordoned := node("b", "1Gi", nil)
	cordoned.Spec.Unschedulable = true
	err = Memory([]corev1.Node{node("kind-control-plane", "4Gi", nil), cordoned}, ws)
	want := "the platform requests 4.6Gi of memory (jenkins 3Gi, traefik 1.5Gi, agent 100Mi), more than the 4Gi the cluster's schedulable nodes can allocate (kind-control-plane 4Gi): give the container engine more memory (Docker Desktop: Settings → Resources), add nodes, or leave components out (--without COMPONENT)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	err = Memory(nil, ws)
	want = "the platform requests 4.6Gi of memory (jenkins 3Gi, traefik 1.5Gi, agent 100Mi), more than the 0Mi the cluster's schedulable nodes can allocate (no schedulable node): give the container engine more memory (Docker Desktop: Settings → Resources), add nodes, or leave components out (--without COMPONENT)"
	if err == nil || err.Error() != want {
		t.Fatalf("no nodes: err = %v\nwant  %s", err, want)
	}
	if err := Memory(nil, nil); err != nil {
		t.Errorf("nothing requested: %v", err)
	}
}

func TestKubeVersion(t *testing.T) {
	charts := []Chart{
		{Component: "traefik", Name: "traefik", Version: "41.3.0", KubeVersion: ">=1.22.0-0"},
		{Component: "jenkins", Name: "jenkins", Version: "5.9.1"},
	}
	if err := KubeVersion("v1.35.0", charts); err != nil {
		t.Fatalf("compatible: %v", err)
	}
	err := KubeVersion("v1.21.14", charts)
	want := "component traefik: chart traefik@41.3.0 requires Kubernetes >=1.22.0-0, and the cluster runs v1.21.14: use a cluster whose version matches (kind: a node image of that version in the kind config), or a profile version whose chart supports v1.21.14 (--profile NAME@VERSION)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	err = KubeVersion("v1.35.0", []Chart{{Component: "x", Name: "x", Version: "1.0.0", KubeVersion: ">= one"}})
	want = `component x: chart x@1.0.0 declares kubeVersion ">= one", which is not a valid constraint (improper constraint: ">= one"); Helm would refuse to install it: pick another chart version in the profile`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	err = KubeVersion("latest", charts)
	want = `the cluster reports Kubernetes version "latest", which is not a semantic version; charts' kubeVersion constraints cannot be checked (--skip-preflight skips this check)`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
}

func TestIngressNode(t *testing.T) {
	ws, err := Workloads(manifest, "ci")
	if err != nil {
		t.Fatal(err)
	}
	for i := range ws {
		ws[i].Component = "traefik"
	}
	ready := node("kind-control-plane", "4Gi", map[string]string{"ingress-ready": "true"})
	if err := IngressNode([]corev1.Node{node("w", "1Gi", nil), ready}, ws); err != nil {
		t.Fatalf("with an ingress-ready node: %v", err)
	}
	err = IngressNode([]corev1.Node{node("w", "1Gi", map[string]string{"ingress-ready": "false"})}, ws)
	want := "component traefik: Deployment traefik/traefik runs only on a node labelled ingress-ready=true to bind host ports 80, 443, and no node has that label: create the cluster from kind-config.yaml (`slipway cluster create`, or `slipway up --create-cluster`), or label the node that should receive traffic (`kubectl label node NAME ingress-ready=true`)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	// Other selectors are the scheduler's business, not preflight's.
	extra := ws[1]
	extra.NodeSelector = map[string]string{"ingress-ready": "true", "zone": "a"}
	if err := IngressNode([]corev1.Node{ready}, []Workload{extra}); err != nil {
		t.Errorf("an extra node selector: %v", err)
	}
	if err := IngressNode(nil, ws[:1]); err != nil {
		t.Errorf("a workload not pinned to the ingress node: %v", err)
	}
}

// fakeResolver answers from a table; a missing name blocks until the
// context ends, like a resolver that never answers.
type fakeResolver map[string][]string

func (f fakeResolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	if addrs, ok := f[host]; ok {
		if addrs == nil {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return addrs, nil
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestHostnames(t *testing.T) {
	hosts := []string{"jenkins.127.0.0.1.sslip.io", "argocd.127.0.0.1.sslip.io"}
	ok := fakeResolver{hosts[0]: {"127.0.0.1"}, hosts[1]: {"::1", "127.0.0.1"}}
	if w := Hostnames(context.Background(), ok, "127.0.0.1", hosts, time.Second); w != "" {
		t.Fatalf("resolving names warned: %s", w)
	}
	bad := fakeResolver{hosts[0]: nil, hosts[1]: {"10.0.0.9"}}
	w := Hostnames(context.Background(), bad, "127.0.0.1", hosts, time.Second)
	want := "the hostnames do not resolve to 127.0.0.1 (jenkins.127.0.0.1.sslip.io: lookup jenkins.127.0.0.1.sslip.io: no such host; argocd.127.0.0.1.sslip.io resolves to 10.0.0.9), so the URLs will not open from this machine. " +
		"sslip.io answers <anything>.<ip>.sslip.io with <ip>; if you are offline or your resolver blocks it (home routers' DNS-rebinding protection drops answers that point at private addresses; allow sslip.io there), add this line to /etc/hosts instead:\n" +
		"  127.0.0.1 jenkins.127.0.0.1.sslip.io argocd.127.0.0.1.sslip.io"
	if w != want {
		t.Fatalf("warning = %s\nwant      %s", w, want)
	}
	// A resolver that never answers is cut off by the timeout.
	w = Hostnames(context.Background(), fakeResolver{}, "127.0.0.1", hosts[:1], 10*time.Millisecond)
	if !strings.HasPrefix(w, "the hostnames do not resolve to 127.0.0.1 (jenkins.127.0.0.1.sslip.io: no answer within 10ms)") {
		t.Fatalf("timeout warning = %s", w)
	}
}
