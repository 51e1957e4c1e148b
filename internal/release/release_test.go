package release

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/kube"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	helmkube "helm.sh/helm/v4/pkg/kube"
	kubefake "helm.sh/helm/v4/pkg/kube/fake"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web}]}
`

const hook = `apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-migrate
  annotations: {"helm.sh/hook": pre-install}
spec:
  template: {spec: {restartPolicy: Never, containers: [{name: m, image: m}]}}
`

// testChart writes a small chart to a temp dir and returns the .tgz path.
func testChart(t *testing.T, version string) string {
	t.Helper()
	ch := &chartv2.Chart{
		Metadata: &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: "web", Version: version},
		Values:   map[string]any{"replicas": 1},
		Templates: []*common.File{
			{Name: "templates/deployment.yaml", Data: []byte(deployment)},
			{Name: "templates/hook.yaml", Data: []byte(hook)},
			{Name: "templates/tests/ping.yaml", Data: []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-ping\n  annotations: {\"helm.sh/hook\": test}\nspec: {containers: [{name: ping, image: bats/bats:1.14.0}]}\n")},
			{Name: "templates/ingressclass.yaml", Data: []byte("apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: web\nspec:\n  controller: example.com/web\n")},
		},
	}
	path, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestApplyInstallsThenUpgrades(t *testing.T) {
	ctx := context.Background()
	m := NewForTesting("web")
	spec := Spec{Name: "web", Namespace: "web", ChartPath: testChart(t, "1.0.0"), Values: map[string]any{"replicas": 2},
		Timeout: time.Minute, Labels: map[string]string{"slipway.dev/profile": "default"}}
	res, err := m.Apply(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != "install" || res.Revision != 1 || res.ChartVersion != "1.0.0" {
		t.Fatalf("first apply: %+v", res)
	}
	kinds := ""
	for _, o := range res.Objects {
		kinds += o.Kind + " "
	}
	if kinds != "Deployment IngressClass " {
		t.Errorf("objects %q, want the Deployment and IngressClass without the hook", kinds)
	}
	spec.ChartPath = testChart(t, "1.1.0")
	res, err = m.Apply(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != "upgrade" || res.Revision != 2 || res.ChartVersion != "1.1.0" {
		t.Fatalf("second apply: %+v", res)
	}
	info, err := m.Get(ctx, "web")
	if err != nil || info == nil {
		t.Fatal(info, err)
	}
	if info.Status != "deployed" || info.Labels["slipway.dev/profile"] != "default" || info.Values["replicas"] != 2 {
		t.Errorf("info = %+v", info)
	}
	if none, err := m.Get(ctx, "absent"); none != nil || err != nil {
		t.Errorf("absent release: %v, %v", none, err)
	}
}

func TestApplyRefusesZeroTimeout(t *testing.T) {
	_, err := NewForTesting("web").Apply(context.Background(), Spec{Name: "web", Namespace: "web", ChartPath: testChart(t, "1.0.0")})
	if err == nil || !strings.Contains(err.Error(), "no time left") {
		t.Fatal(err)
	}
}

func TestRepair(t *testing.T) {
	ctx := context.Background()
	m := NewForTesting("web")
	spec := Spec{Name: "web", Namespace: "web", ChartPath: testChart(t, "1.0.0"), Timeout: time.Minute}
	if _, err := m.Apply(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(ctx, spec); err != nil {
		t.Fatal(err)
	}
	setStatus(t, m, "web", 2, rcommon.StatusPendingUpgrade)
	if _, err := m.Apply(ctx, spec); err == nil || !strings.Contains(err.Error(), "re-run `slipway up`, which repairs it") {
		t.Fatalf("a pending release should give the repair hint, got %v", err)
	}
	did, err := m.Repair(ctx, "web", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(did, "rolled back to revision 1") {
		t.Errorf("repair said %q", did)
	}
	if info, _ := m.Get(ctx, "web"); info.Pending() {
		t.Errorf("still pending: %s", info.Status)
	}
	if did, _ := m.Repair(ctx, "web", time.Minute); did != "" {
		t.Errorf("second repair did %q", did)
	}

}

// TestRepairNeverDeployed: a release an interrupted install left
// pending-install is upgraded in place, not uninstalled and installed
// again. Deleting its objects and creating them again under the same names
// left a StatefulSet at 0/1 after an API server restart: the garbage
// collector, relisting, never saw the old one deleted and kept its pod.
func TestRepairNeverDeployed(t *testing.T) {
	ctx := context.Background()
	m := NewForTesting("web")
	spec := Spec{Name: "web", Namespace: "web", ChartPath: testChart(t, "1.0.0"), Timeout: time.Minute}
	if _, err := m.Apply(ctx, spec); err != nil {
		t.Fatal(err)
	}
	setStatus(t, m, "web", 1, rcommon.StatusPendingInstall)
	deletes := &deleteCounter{PrintingKubeClient: m.cfg.KubeClient.(*kubefake.PrintingKubeClient)}
	m.cfg.KubeClient = deletes
	did, err := m.Repair(ctx, "web", time.Minute)
	if err != nil || !strings.Contains(did, "left pending-install by an interrupted run and never deployed: marked it failed, it will be upgraded in place") {
		t.Fatalf("repair of pending-install: %q, %v", did, err)
	}
	if deletes.n != 0 {
		t.Errorf("repair deleted objects %d times; it should keep what the interrupted install created", deletes.n)
	}
	if info, _ := m.Get(ctx, "web"); info == nil || info.Status != StatusFailed {
		t.Fatalf("after repair: %+v, want revision 1 failed", info)
	}
	res, err := m.Apply(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != Upgrade || res.Revision != 2 {
		t.Errorf("apply after repair: %s revision %d, want upgrade revision 2", res.Action, res.Revision)
	}
	if info, _ := m.Get(ctx, "web"); info.Status != StatusDeployed {
		t.Errorf("after apply: %s", info.Status)
	}
}

// deleteCounter counts the delete calls made through Helm's kube client.
type deleteCounter struct {
	*kubefake.PrintingKubeClient
	n int
}

func (d *deleteCounter) Delete(r helmkube.ResourceList, p metav1.DeletionPropagation) (*helmkube.Result, []error) {
	d.n++
	return d.PrintingKubeClient.Delete(r, p)
}

func setStatus(t *testing.T, m *Manager, name string, rev int, st rcommon.Status) {
	t.Helper()
	x, err := m.cfg.Releases.Get(name, rev)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := toV1(x)
	r.Info.Status = st
	if err := m.cfg.Releases.Update(r); err != nil {
		t.Fatal(err)
	}
}

func TestRenderWithoutCluster(t *testing.T) {
	res, err := Render(context.Background(), Spec{Name: "web", Namespace: "web", ChartPath: testChart(t, "1.0.0"), Values: map[string]any{"replicas": 3}}, "v1.37.2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Manifest, "replicas: 3") || !strings.Contains(res.Manifest, "web-migrate") {
		t.Errorf("manifest:\n%s", res.Manifest)
	}
	// A `helm test` hook never runs in up: not in the manifest, so not in
	// the bundle's image list or preflight's memory sum.
	if strings.Contains(res.Manifest, "web-ping") {
		t.Errorf("the test hook is in the manifest:\n%s", res.Manifest)
	}
}

func TestParseObjects(t *testing.T) {
	m := "---\n# Source: x\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: b\n  namespace: other\n"
	got := ParseObjects(m, "ns")
	if len(got) != 2 || got[0] != (kube.Ref{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "a"}) || got[1].Group != "rbac.authorization.k8s.io" || got[1].Namespace != "other" {
		t.Fatalf("%+v", got)
	}
}

// TestExplainForeignObject: Helm's refusal to adopt an object another
// owner created comes with the two commands that let the release take it.
func TestExplainForeignObject(t *testing.T) {
	ch := &chartv2.Chart{Metadata: &chartv2.Metadata{Name: "argo-cd", Version: "10.1.1"}}
	s := Spec{Name: "argocd", Namespace: "argocd"}
	cases := map[string]string{
		`unable to continue with install: CustomResourceDefinition "applications.argoproj.io" in namespace "" exists and cannot be imported into the current release: invalid ownership metadata`: `install argocd/argocd (chart argo-cd@10.1.1): unable to continue with install: CustomResourceDefinition "applications.argoproj.io" in namespace "" exists and cannot be imported into the current release: invalid ownership metadata
CustomResourceDefinition applications.argoproj.io exists but was not created by this release (an install by hand, another tool, or another release name). To let this release take it over, keep it and mark it:
  kubectl label CustomResourceDefinition applications.argoproj.io app.kubernetes.io/managed-by=Helm
  kubectl annotate CustomResourceDefinition applications.argoproj.io meta.helm.sh/release-name=argocd meta.helm.sh/release-namespace=argocd
then re-run ` + "`slipway up`.",
		`unable to continue with install: ConfigMap "argocd-cm" in namespace "argocd" exists and cannot be imported into the current release: invalid ownership metadata`: `install argocd/argocd (chart argo-cd@10.1.1): unable to continue with install: ConfigMap "argocd-cm" in namespace "argocd" exists and cannot be imported into the current release: invalid ownership metadata
ConfigMap argocd-cm exists but was not created by this release (an install by hand, another tool, or another release name). To let this release take it over, keep it and mark it:
  kubectl -n argocd label ConfigMap argocd-cm app.kubernetes.io/managed-by=Helm
  kubectl -n argocd annotate ConfigMap argocd-cm meta.helm.sh/release-name=argocd meta.helm.sh/release-namespace=argocd
then re-run ` + "`slipway up`.",
	}
	for helmMsg, want := range cases {
		if got := explain(s, ch, "install", errors.New(helmMsg)).Error(); got != want {
			t.Errorf("got:\n%s\nwant:\n%s", got, want)
		}
	}
}

// TestParseObjectsReadsTheHeadOnly: ParseObjects decodes the top-level
// apiVersion, kind and metadata of each document and finds the same
// objects as decoding it whole, whatever else the document holds.
func TestParseObjectsReadsTheHeadOnly(t *testing.T) {
	m := `apiVersion: v1
kind: ConfigMap
data:
  x: |
    kind: Fake
    metadata:
      name: fake
items:
- kind: Also
  metadata: {name: fake}
metadata:
  # the name
  name: late
  labels: {a: b}
---
{apiVersion: v1, kind: Secret, metadata: {name: flow}}
---
{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "json", "namespace": "n"}}
---
metadata:
  name: nokind
`
	got := ParseObjects(m, "ns")
	want := []kube.Ref{
		{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "late"},
		{Version: "v1", Kind: "Secret", Namespace: "ns", Name: "flow"},
		{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "n", Name: "json"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("object %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
