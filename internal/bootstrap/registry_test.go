package bootstrap

import (
	"bytes"
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/slipway-dev/slipway/internal/cluster"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/ui"
)

// nodeKind is a kind provider that records the files written on nodes.
type nodeKind struct {
	fakeKind
	wrote map[string]string
}

func (n *nodeKind) WriteNodeFile(name, path string, content []byte) (int, error) {
	n.wrote[name+":"+path] = string(content)
	return 1, nil
}

func registryPrepared(create bool) *Prepared {
	reg := profile.Component{Name: "registry", Namespace: "registry", Release: "registry", Registry: &profile.Registry{Port: 5000}}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "registry", Namespace: "registry"}, Spec: corev1.ServiceSpec{ClusterIP: "10.96.3.4"}}
	return &Prepared{
		Options: Options{CreateCluster: create, Cluster: ClusterOptions{Name: "dev"}},
		Profile: &profile.Profile{Components: []profile.Component{reg}},
		Plan:    &plan.Plan{Releases: []plan.Release{{Component: "registry", Host: "registry.127.0.0.1.sslip.io", URL: "http://registry.127.0.0.1.sslip.io"}}},
		Cluster: &kube.Cluster{Client: fake.NewClientset(svc), Context: "kind-dev"},
	}
}

// On the kind cluster up created, every node gets the hosts.toml that
// maps the registry's in-cluster name to its Service's ClusterIP.
func TestRegistryNotesConfigureCreatedCluster(t *testing.T) {
	k := &nodeKind{wrote: map[string]string{}}
	d := clusterDeps{provider: func(string, func(string, ...any)) (cluster.Provider, error) { return k, nil }}
	notes, err := registryNotes(context.Background(), registryPrepared(true), d, ui.New(&bytes.Buffer{}, true))
	if err != nil {
		t.Fatal(err)
	}
	want := "dev:/etc/containerd/certs.d/registry.registry.svc.cluster.local:5000/hosts.toml"
	if k.wrote[want] != "[host.\"http://10.96.3.4:5000\"]\n" {
		t.Errorf("wrote %v, want %s", k.wrote, want)
	}
	if got := strings.Join(notes, "\n"); !strings.Contains(got, "The cluster's 1 node(s) pull registry.registry.svc.cluster.local:5000/NAME:TAG") {
		t.Errorf("notes:\n%s", got)
	}
}

// On a cluster slipway did not create nothing is written; the report
// says how images are named and what the nodes need.
func TestRegistryNotesOtherCluster(t *testing.T) {
	d := clusterDeps{provider: func(string, func(string, ...any)) (cluster.Provider, error) {
		t.Fatal("a cluster slipway did not create was touched")
		return nil, nil
	}}
	notes, err := registryNotes(context.Background(), registryPrepared(false), d, ui.New(&bytes.Buffer{}, true))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(notes, "\n")
	for _, want := range []string{
		"Registry: http://registry.127.0.0.1.sslip.io from this machine (docker push registry.127.0.0.1.sslip.io/NAME:TAG), registry.registry.svc.cluster.local:5000 inside the cluster",
		`Nodes pull images named registry.registry.svc.cluster.local:5000/NAME:TAG only once their container runtime maps that name to http://10.96.3.4:5000: with containerd, a /etc/containerd/certs.d/registry.registry.svc.cluster.local:5000/hosts.toml holding "[host.\"http://10.96.3.4:5000\"]" on every node (for kind cluster dev made by slipway, ` + "`slipway up --create-cluster --cluster-name dev`" + ` writes it)`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("notes lack %q:\n%s", want, got)
		}
	}
}
