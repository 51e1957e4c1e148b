package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// fakeProvider records calls instead of running kind.
type fakeProvider struct {
	clusters  []string
	createErr error
	listErr   error
	created   []string
	config    []byte
	kubecfg   string
	wait      time.Duration
	deleted   []string
}

func (f *fakeProvider) Create(name string, config []byte, kubeconfig string, wait time.Duration) error {
	f.created = append(f.created, name)
	f.config, f.kubecfg, f.wait = config, kubeconfig, wait
	if f.createErr != nil {
		return f.createErr
	}
	f.clusters = append(f.clusters, name)
	return nil
}

func (f *fakeProvider) Delete(name, kubeconfig string) error {
	f.deleted = append(f.deleted, name)
	f.kubecfg = kubeconfig
	return nil
}

func (f *fakeProvider) List() ([]string, error) { return f.clusters, f.listErr }

func newManager(f *fakeProvider) (*Manager, *bytes.Buffer) {
	var log bytes.Buffer
	return &Manager{Provider: f, Kubeconfig: "/tmp/kc", Wait: 3 * time.Minute, Logf: func(format string, args ...any) {
		fmt.Fprintf(&log, format+"\n", args...)
	}}, &log
}

func TestDefaultConfigIsTheRepositoryOne(t *testing.T) {
	repo, err := os.ReadFile("../../kind-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(repo, DefaultConfig) {
		t.Fatal("internal/cluster/kind-config.yaml differs from the repository's kind-config.yaml; copy it: cp kind-config.yaml internal/cluster/")
	}
}

func TestCreate(t *testing.T) {
	f := &fakeProvider{clusters: []string{"other"}}
	m, log := newManager(f)
	created, err := m.Create("slipway", nil)
	if err != nil || !created {
		t.Fatalf("Create = %v, %v", created, err)
	}
	if len(f.created) != 1 || f.created[0] != "slipway" || !bytes.Equal(f.config, DefaultConfig) || f.kubecfg != "/tmp/kc" || f.wait != 3*time.Minute {
		t.Errorf("provider got name %v, kubeconfig %q, wait %s, default config %v", f.created, f.kubecfg, f.wait, bytes.Equal(f.config, DefaultConfig))
	}
	if !strings.Contains(log.String(), `kind cluster "slipway" ready in`) || !strings.Contains(log.String(), "kubeconfig context kind-slipway is now the current context") {
		t.Errorf("log:\n%s", log)
	}
}

func TestCreateGivenConfig(t *testing.T) {
	f := &fakeProvider{}
	m, _ := newManager(f)
	cfg := []byte("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n")
	if _, err := m.Create("dev", cfg); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.config, cfg) {
		t.Errorf("provider got config %q", f.config)
	}
}

func TestCreateAlreadyExists(t *testing.T) {
	f := &fakeProvider{clusters: []string{"slipway"}}
	m, log := newManager(f)
	created, err := m.Create("slipway", nil)
	if err != nil || created {
		t.Fatalf("Create = %v, %v; want a no-op", created, err)
	}
	if len(f.created) != 0 {
		t.Errorf("provider.Create called for an existing cluster")
	}
	want := "kind cluster \"slipway\" already exists: not creating it (context kind-slipway; `slipway cluster delete --name slipway` removes it)\n"
	if log.String() != want {
		t.Errorf("log = %q\nwant %q", log, want)
	}
}

func TestCreateError(t *testing.T) {
	f := &fakeProvider{createErr: errors.New("failed to create cluster: node(s) failed to start")}
	m, _ := newManager(f)
	_, err := m.Create("slipway", nil)
	want := "create kind cluster \"slipway\": failed to create cluster: node(s) failed to start\n(`slipway cluster delete --name slipway` cleans up what was left)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if !errors.Is(err, f.createErr) {
		t.Error("the provider's error is not wrapped")
	}
}

func TestListError(t *testing.T) {
	f := &fakeProvider{listErr: errors.New("command \"docker ps\" failed")}
	m, _ := newManager(f)
	if _, err := m.Create("slipway", nil); err == nil || err.Error() != `list kind clusters: command "docker ps" failed` {
		t.Fatalf("err = %v", err)
	}
	if len(f.created) != 0 {
		t.Error("created a cluster although listing failed")
	}
}

func TestDelete(t *testing.T) {
	f := &fakeProvider{clusters: []string{"slipway"}}
	m, log := newManager(f)
	deleted, err := m.Delete("slipway")
	if err != nil || !deleted || len(f.deleted) != 1 || f.kubecfg != "/tmp/kc" {
		t.Fatalf("Delete = %v, %v; provider deleted %v with kubeconfig %q", deleted, err, f.deleted, f.kubecfg)
	}
	if log.String() != "deleted kind cluster \"slipway\" and its kubeconfig context kind-slipway\n" {
		t.Errorf("log = %q", log)
	}
}

func TestDeleteMissing(t *testing.T) {
	f := &fakeProvider{clusters: []string{"other"}}
	m, log := newManager(f)
	deleted, err := m.Delete("slipway")
	if err != nil || deleted || len(f.deleted) != 0 {
		t.Fatalf("Delete of a missing cluster = %v, %v (provider deleted %v)", deleted, err, f.deleted)
	}
	if log.String() != "no kind cluster \"slipway\": nothing to delete\n" {
		t.Errorf("log = %q", log)
	}
}

func TestList(t *testing.T) {
	m, _ := newManager(&fakeProvider{clusters: []string{"b", "a"}})
	names, err := m.List()
	if err != nil || strings.Join(names, ",") != "a,b" {
		t.Fatalf("List = %v, %v", names, err)
	}
}

func TestHostPorts(t *testing.T) {
	ports, err := HostPorts(nil)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(ports)
	if want := "[{control-plane 80  TCP} {control-plane 443  TCP}]"; got != want {
		t.Errorf("default config ports = %s, want %s", got, want)
	}
	cfg := []byte(`kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
- role: control-plane
  extraPortMappings:
  - {containerPort: 80, hostPort: 8080, listenAddress: 127.0.0.1}
  - {containerPort: 443, hostPort: 0}
`)
	if ports, err = HostPorts(cfg); err != nil || fmt.Sprint(ports) != "[{control-plane 8080 127.0.0.1 TCP}]" {
		t.Errorf("HostPorts = %v, %v", ports, err)
	}
	if _, err := HostPorts([]byte("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n  extraPortMapings: []\n")); err == nil || !strings.Contains(err.Error(), `unknown field "extraPortMapings"`) {
		t.Errorf("a misspelt field: %v", err)
	}
	if _, err := HostPorts([]byte("kind: Pod\napiVersion: v1\n")); err == nil || err.Error() != "kind configuration: want kind: Cluster and apiVersion: kind.x-k8s.io/v1alpha4" {
		t.Errorf("not a kind config: %v", err)
	}
}
