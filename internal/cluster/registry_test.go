package cluster

import (
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"
)

// The containerd patch, as kind's local-registry page
// (https://kind.sigs.k8s.io/docs/user/local-registry/) writes it, parses
// as TOML and sets the CRI registry's config_path to /etc/containerd/certs.d.
func TestContainerdConfigPatch(t *testing.T) {
	var doc map[string]any
	if err := toml.Unmarshal([]byte(ContainerdConfigPatch), &doc); err != nil {
		t.Fatal(err)
	}
	plugins, _ := doc["plugins"].(map[string]any)
	cri, _ := plugins["io.containerd.grpc.v1.cri"].(map[string]any)
	reg, _ := cri["registry"].(map[string]any)
	if reg["config_path"] != "/etc/containerd/certs.d" {
		t.Errorf("config_path = %v, want /etc/containerd/certs.d; patch:\n%s", reg["config_path"], ContainerdConfigPatch)
	}
}

// The built-in configuration carries the patch, so WithCertsDir leaves it
// byte for byte; a user's configuration without one gets it appended and
// stays a valid kind v1alpha4 Cluster with its nodes.
func TestWithCertsDir(t *testing.T) {
	got, err := WithCertsDir(DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(DefaultConfig) {
		t.Errorf("the built-in kind-config.yaml was rewritten:\n%s", got)
	}
	user := []byte("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n- role: worker\n")
	got, err = WithCertsDir(user)
	if err != nil {
		t.Fatal(err)
	}
	var c v1alpha4.Cluster
	if err := yaml.UnmarshalStrict(got, &c); err != nil {
		t.Fatalf("not a kind configuration: %v\n%s", err, got)
	}
	if len(c.Nodes) != 2 || len(c.ContainerdConfigPatches) != 1 || c.ContainerdConfigPatches[0] != ContainerdConfigPatch {
		t.Errorf("nodes %d, patches %q", len(c.Nodes), c.ContainerdConfigPatches)
	}
	var builtin v1alpha4.Cluster
	if err := yaml.UnmarshalStrict(DefaultConfig, &builtin); err != nil {
		t.Fatal(err)
	}
	if len(builtin.ContainerdConfigPatches) != 1 || strings.TrimSpace(builtin.ContainerdConfigPatches[0]) != ContainerdConfigPatch {
		t.Errorf("kind-config.yaml patches %q, want [%q]", builtin.ContainerdConfigPatches, ContainerdConfigPatch)
	}
}

// hosts.toml is kind's documented form: a [host."http://…"] table for
// the endpoint, in the directory named after the registry host:port.
func TestHostsTOML(t *testing.T) {
	if got, want := HostsPath("registry.registry.svc.cluster.local:5000"), "/etc/containerd/certs.d/registry.registry.svc.cluster.local:5000/hosts.toml"; got != want {
		t.Errorf("HostsPath = %s, want %s", got, want)
	}
	content := HostsTOML("10.96.12.34:5000")
	if want := "[host.\"http://10.96.12.34:5000\"]\n"; content != want {
		t.Errorf("HostsTOML = %q, want %q", content, want)
	}
	var doc map[string]map[string]any
	if err := toml.Unmarshal([]byte(content), &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["host"]["http://10.96.12.34:5000"]; !ok {
		t.Errorf("no host table for http://10.96.12.34:5000 in %v", doc)
	}
}

type writerProvider struct {
	fakeProvider
	wrote map[string]string
}

func (w *writerProvider) WriteNodeFile(name, path string, content []byte) (int, error) {
	w.wrote[name+":"+path] = string(content)
	return 2, nil
}

func TestConfigureRegistry(t *testing.T) {
	w := &writerProvider{wrote: map[string]string{}}
	m := &Manager{Provider: w}
	n, err := m.ConfigureRegistry("slipway", "registry.registry.svc.cluster.local:5000", "10.96.0.7:5000")
	if err != nil || n != 2 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if got := w.wrote["slipway:/etc/containerd/certs.d/registry.registry.svc.cluster.local:5000/hosts.toml"]; got != "[host.\"http://10.96.0.7:5000\"]\n" {
		t.Errorf("wrote %v", w.wrote)
	}
	if _, err := (&Manager{Provider: &fakeProvider{}}).ConfigureRegistry("x", "r:5000", "1.2.3.4:5000"); err == nil {
		t.Error("a provider that cannot write files did not fail")
	}
}
