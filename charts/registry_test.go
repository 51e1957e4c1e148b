package charts_test

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/release"
)

func renderRegistry(t *testing.T, values map[string]any) map[string]map[string]any {
	t.Helper()
	res, err := release.Render(context.Background(), release.Spec{Name: "registry", Namespace: "registry", ChartPath: extract(t, "registry"), Values: values}, "v1.37.2")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, doc := range strings.Split(res.Manifest, "\n---") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil || obj == nil {
			continue
		}
		out[obj["kind"].(string)] = obj
	}
	return out
}

// The local-registry-hosting ConfigMap is KEP-1755's LocalRegistryHosting
// v1 in kube-public, as kind's local-registry page publishes it: host for
// the user's machine (the ingress), and the in-cluster name for pods and
// for the nodes' container runtime.
func TestRegistryLocalRegistryHosting(t *testing.T) {
	objs := renderRegistry(t, map[string]any{"ingress": map[string]any{"host": "registry.127.0.0.1.sslip.io", "className": "traefik"}})
	cm := objs["ConfigMap"]
	meta := cm["metadata"].(map[string]any)
	if meta["name"] != "local-registry-hosting" || meta["namespace"] != "kube-public" {
		t.Fatalf("ConfigMap %v", meta)
	}
	var hosting map[string]string
	if err := yaml.UnmarshalStrict([]byte(cm["data"].(map[string]any)["localRegistryHosting.v1"].(string)), &hosting); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"host":                     "registry.127.0.0.1.sslip.io",
		"hostFromClusterNetwork":   "registry.registry.svc.cluster.local:5000",
		"hostFromContainerRuntime": "registry.registry.svc.cluster.local:5000",
		"help":                     "https://kind.sigs.k8s.io/docs/user/local-registry/",
	}
	for k, v := range want {
		if hosting[k] != v {
			t.Errorf("%s = %q, want %q", k, hosting[k], v)
		}
	}
	if len(hosting) != len(want) {
		t.Errorf("fields %v, want only %v", hosting, want)
	}
	for _, kind := range []string{"Deployment", "Service", "Ingress", "PersistentVolumeClaim"} {
		if objs[kind] == nil {
			t.Errorf("no %s rendered", kind)
		}
	}
}

// Nothing privileged: non-root, no privilege escalation, no capabilities,
// a read-only root; the readiness probe asks the API root /v2/.
func TestRegistryUnprivileged(t *testing.T) {
	objs := renderRegistry(t, map[string]any{"ingress": map[string]any{"host": "registry.example"}})
	spec := objs["Deployment"]["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	if spec["securityContext"].(map[string]any)["runAsNonRoot"] != true {
		t.Error("pod may run as root")
	}
	c := spec["containers"].([]any)[0].(map[string]any)
	sc := c["securityContext"].(map[string]any)
	if sc["allowPrivilegeEscalation"] != false || sc["readOnlyRootFilesystem"] != true || sc["privileged"] != nil {
		t.Errorf("container securityContext %v", sc)
	}
	if p := c["readinessProbe"].(map[string]any)["httpGet"].(map[string]any)["path"]; p != "/v2/" {
		t.Errorf("readiness path %v", p)
	}
	if c["image"] != "docker.io/library/registry:3.0.0" {
		t.Errorf("image %v", c["image"])
	}
}

func TestRegistryIngressNeedsHost(t *testing.T) {
	_, err := release.Render(context.Background(), release.Spec{Name: "registry", Namespace: "registry", ChartPath: extract(t, "registry")}, "v1.37.2")
	if err == nil || !strings.Contains(err.Error(), "ingress.host is required") {
		t.Errorf("render without a host: %v", err)
	}
}
