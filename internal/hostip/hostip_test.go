package hostip

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

func node(name, ip string, labels map[string]string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: name}, {Type: corev1.NodeInternalIP, Address: ip}}}}
}

func lb(ns, name, ip string) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer}}
	if ip != "" {
		s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
	}
	return s
}

var ready = map[string]string{"ingress-ready": "true"}

func TestChoose(t *testing.T) {
	cases := []struct {
		name    string
		context string
		objs    []runtime.Object
		want    Choice
		err     string
	}{
		{"kind context", "kind-slipway", nil,
			Choice{"127.0.0.1", "context kind-slipway is a kind cluster, whose kind-config.yaml maps ports 80 and 443 to this machine"}, ""},
		{"kind-shaped node", "dev", []runtime.Object{node("dev-control-plane", "172.18.0.2", ready), lb("traefik", "traefik", "10.0.0.5")},
			Choice{"127.0.0.1", "node dev-control-plane is shaped like kind's (an ingress-ready control-plane node with host port mappings)"}, ""},
		{"load balancer", "prod", []runtime.Object{node("n1", "10.1.0.4", ready), lb("traefik", "a-pending", ""), lb("traefik", "traefik", "203.0.113.7"), lb("other", "x", "198.51.100.1")},
			Choice{"203.0.113.7", "the load balancer of service traefik/traefik"}, ""},
		{"ingress-ready node", "prod", []runtime.Object{node("n0", "10.1.0.3", nil), node("n1", "10.1.0.4", ready), lb("traefik", "pending", "")},
			Choice{"10.1.0.4", "the InternalIP of node n1, labelled ingress-ready=true, where the ingress binds its host ports"}, ""},
		{"nothing", "prod", []runtime.Object{node("n0", "10.1.0.3", nil)}, Choice{},
			`--ip auto: no address found: not a kind cluster, no load-balancer address in namespace "traefik", and no node labelled ingress-ready=true with an InternalIP; pass --ip with the address that reaches the ingress controller`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Choose(context.Background(), fake.NewClientset(c.objs...), c.context, "traefik")
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("err = %v\nwant  %s", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Choose = %+v, %v\nwant %+v", got, err, c.want)
			}
		})
	}
}
