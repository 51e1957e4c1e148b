package teardown

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	corev1 "k8s.io/api/core/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	extfake "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset/fake"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/release"
	"github.com/slipway-dev/slipway/internal/ui"
)

// The installed platform: jenkins needs gitea, which needs postgres.
// postgres lives in a namespace the user made (no slipway label), and
// one of its generated Secrets was made by something else.
var entries = []inventory.Entry{
	{Component: "postgres", Namespace: "data", Release: "postgres", Secret: "postgres-admin", Generated: []string{"postgres-internal", "postgres-foreign"}},
	{Component: "jenkins", Namespace: "ci", Release: "jenkins", Secret: "jenkins-admin", Needs: []string{"gitea"}},
	{Component: "gitea", Namespace: "git", Release: "gitea", Secret: "gitea-admin", Needs: []string{"postgres"}},
}

// crdsOf is what each chart ships in crds/; jenkins and gitea share one.
var crdsOf = map[string][]string{
	"ci":  {"pipelines.example.com", "hooks.example.com"},
	"git": {"hooks.example.com"},
}

// withCRDs is the Helm release manager (Helm's in-memory store) with the
// CRDs its charts installed given by crdsOf: Helm's printing fake kube
// client builds no resources, and Helm refuses to install a chart's crds/
// then.
type withCRDs struct {
	*release.Manager
	crds []string
}

func (m withCRDs) CRDs(context.Context, string) ([]string, error) { return m.crds, nil }

type fixture struct {
	client   *fake.Clientset
	ext      *extfake.Clientset
	releases map[string]*release.Manager
	out      bytes.Buffer
	remover  *Remover
}

func owned(meta metav1.ObjectMeta) metav1.ObjectMeta {
	meta.Labels = map[string]string{kube.LabelManagedBy: kube.ManagedBy}
	return meta
}

func secret(ns, name string, slipways bool) *corev1.Secret {
	meta := metav1.ObjectMeta{Name: name, Namespace: ns}
	if slipways {
		meta = owned(meta)
	}
	return &corev1.Secret{ObjectMeta: meta}
}

func chartOf(t *testing.T, name string) string {
	t.Helper()
	ch := &chartv2.Chart{
		Metadata:  &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: name, Version: "1.0.0"},
		Templates: []*common.File{{Name: "templates/cm.yaml", Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n")}},
	}
	path, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func newFixture(t *testing.T, installed bool) *fixture {
	t.Helper()
	ctx := context.Background()
	objs := []runtime.Object{
		&corev1.Namespace{ObjectMeta: owned(metav1.ObjectMeta{Name: "ci"})},
		&corev1.Namespace{ObjectMeta: owned(metav1.ObjectMeta{Name: "git"})},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "data"}},
		secret("ci", "jenkins-admin", true), secret("git", "gitea-admin", true), secret("data", "postgres-admin", true),
		secret("data", "postgres-internal", true), secret("data", "postgres-foreign", false),
	}
	if installed {
		// The run lock of the up that installed them made it.
		objs = append(objs, &corev1.Namespace{ObjectMeta: owned(metav1.ObjectMeta{Name: inventory.Namespace})})
	}
	f := &fixture{client: fake.NewClientset(objs...), releases: map[string]*release.Manager{}}
	var crds []runtime.Object
	for _, name := range []string{"pipelines.example.com", "hooks.example.com"} {
		crds = append(crds, &apiextv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: name}})
	}
	f.ext = extfake.NewClientset(crds...)
	if installed {
		if err := inventory.Upsert(ctx, f.client, entries...); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			m := release.NewForTesting(e.Namespace)
			f.releases[e.Namespace] = m
			if _, err := m.Apply(ctx, release.Spec{Name: e.Release, Namespace: e.Namespace, ChartPath: chartOf(t, e.Component), Timeout: time.Minute,
				Labels: map[string]string{kube.LabelComponent: e.Component}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.remover = &Remover{
		Client: f.client,
		Releases: func(ns string) (Releases, error) {
			if f.releases[ns] == nil {
				f.releases[ns] = release.NewForTesting(ns)
			}
			return withCRDs{f.releases[ns], crdsOf[ns]}, nil
		},
		CRDs:    f.ext.ApiextensionsV1().CustomResourceDefinitions(),
		Context: "kind-test",
		Poll:    time.Millisecond,
	}
	return f
}

func (f *fixture) down(t *testing.T, o Options) error {
	t.Helper()
	o.Timeout = 5 * time.Second
	_, err := f.remover.Down(context.Background(), o, &ui.Printer{W: &f.out})
	return err
}

func (f *fixture) checkOutput(t *testing.T, want string) {
	t.Helper()
	if got := f.out.String(); got != want {
		t.Errorf("printed\n%s\nwant\n%s", got, want)
	}
}

// secrets lists the Secrets left, as namespace/name.
func (f *fixture) secrets(t *testing.T) []string {
	t.Helper()
	l, err := f.client.CoreV1().Secrets("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range l.Items {
		out = append(out, s.Namespace+"/"+s.Name)
	}
	slices.Sort(out)
	return out
}

func (f *fixture) namespaces(t *testing.T) []string {
	t.Helper()
	l, err := f.client.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range l.Items {
		out = append(out, n.Name)
	}
	slices.Sort(out)
	return out
}

// installed lists the components whose Helm release is still there.
func (f *fixture) installed(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, e := range entries {
		info, err := f.releases[e.Namespace].Get(context.Background(), e.Release)
		if err != nil {
			t.Fatal(err)
		}
		if info != nil {
			out = append(out, e.Component)
		}
	}
	slices.Sort(out)
	return out
}

func (f *fixture) inventory(t *testing.T) []string {
	t.Helper()
	es, err := inventory.Load(context.Background(), f.client)
	if errors.Is(err, inventory.ErrEmpty) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Component)
	}
	return out
}

func (f *fixture) crds(t *testing.T) []string {
	t.Helper()
	l, err := f.ext.ApiextensionsV1().CustomResourceDefinitions().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range l.Items {
		out = append(out, c.Name)
	}
	slices.Sort(out)
	return out
}

func check(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: %q, want %q", what, got, want)
	}
}

// TestDownAll removes dependents before what they need, then only what
// slipway made: its Secrets and namespaces, never the user's; CRDs stay.
func TestDownAll(t *testing.T) {
	f := newFixture(t, true)
	var asked string
	err := f.down(t, Options{Confirm: func(s string) bool { asked = s; return true }})
	if err != nil {
		t.Fatal(err)
	}
	if asked != "Remove jenkins, gitea, postgres from context kind-test?" {
		t.Errorf("asked %q", asked)
	}
	f.checkOutput(t, "jenkins: uninstalling release ci/jenkins\n"+
		"gitea: uninstalling release git/gitea\n"+
		"postgres: uninstalling release data/postgres\n"+
		"waiting for namespaces ci, git, slipway-system to be deleted\n"+
		"kept CRDs (custom resources of other users may depend on them; --delete-crds removes them): hooks.example.com, pipelines.example.com\n"+
		"removed jenkins, gitea, postgres\n")
	check(t, "releases left", f.installed(t), nil)
	check(t, "secrets left", f.secrets(t), []string{"data/postgres-foreign"})
	check(t, "namespaces left", f.namespaces(t), []string{"data"})
	check(t, "CRDs left", f.crds(t), []string{"hooks.example.com", "pipelines.example.com"})
}

// TestDownSome removes the components named, skips a name that is not
// installed, and keeps a namespace another component still uses.
func TestDownSome(t *testing.T) {
	f := newFixture(t, true)
	if err := f.down(t, Options{Components: []string{"nope", "jenkins"}}); err != nil {
		t.Fatal(err)
	}
	f.checkOutput(t, "warning: not installed, skipped: nope\n"+
		"jenkins: uninstalling release ci/jenkins\n"+
		"waiting for namespaces ci to be deleted\n"+
		"kept CRDs (custom resources of other users may depend on them; --delete-crds removes them): hooks.example.com, pipelines.example.com\n"+
		"removed jenkins\n")
	check(t, "releases left", f.installed(t), []string{"gitea", "postgres"})
	check(t, "inventory", f.inventory(t), []string{"gitea", "postgres"})
	check(t, "secrets left", f.secrets(t), []string{"data/postgres-admin", "data/postgres-foreign", "data/postgres-internal", "git/gitea-admin"})
	check(t, "namespaces left", f.namespaces(t), []string{"data", "git", "slipway-system"})
}

// TestDownKeepCredentials uninstalls the releases but keeps the Secrets,
// their inventory entries and so their namespaces.
func TestDownKeepCredentials(t *testing.T) {
	f := newFixture(t, true)
	if err := f.down(t, Options{KeepCredentials: true}); err != nil {
		t.Fatal(err)
	}
	f.checkOutput(t, "jenkins: uninstalling release ci/jenkins\n"+
		"gitea: uninstalling release git/gitea\n"+
		"postgres: uninstalling release data/postgres\n"+
		"kept CRDs (custom resources of other users may depend on them; --delete-crds removes them): hooks.example.com, pipelines.example.com\n"+
		"removed jenkins, gitea, postgres\n")
	check(t, "releases left", f.installed(t), nil)
	check(t, "secrets left", f.secrets(t), []string{"ci/jenkins-admin", "data/postgres-admin", "data/postgres-foreign", "data/postgres-internal", "git/gitea-admin"})
	check(t, "namespaces left", f.namespaces(t), []string{"ci", "data", "git", "slipway-system"})
	check(t, "inventory", f.inventory(t), []string{"gitea", "jenkins", "postgres"})
}

// TestDownDeleteCRDs deletes each CRD the charts installed once; one
// already gone is not an error.
func TestDownDeleteCRDs(t *testing.T) {
	f := newFixture(t, true)
	if err := f.ext.ApiextensionsV1().CustomResourceDefinitions().Delete(context.Background(), "hooks.example.com", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := f.down(t, Options{Components: []string{"jenkins"}, DeleteCRDs: true}); err != nil {
		t.Fatal(err)
	}
	f.checkOutput(t, "jenkins: uninstalling release ci/jenkins\n"+
		"waiting for namespaces ci to be deleted\n"+
		"deleted CRDs: hooks.example.com, pipelines.example.com\n"+
		"removed jenkins\n")
	check(t, "CRDs left", f.crds(t), nil)
}

// TestDownNothingInstalled: removing what is not there is not an error.
func TestDownNothingInstalled(t *testing.T) {
	f := newFixture(t, false)
	if err := f.down(t, Options{}); err != nil {
		t.Fatal(err)
	}
	f.checkOutput(t, "nothing to remove: no slipway components in this cluster (no configmap slipway-system/slipway-inventory); install the platform with `slipway up`\n")

	f = newFixture(t, true)
	if err := f.down(t, Options{Components: []string{"nope", "nada"}}); err != nil {
		t.Fatal(err)
	}
	f.checkOutput(t, "nothing to remove: nope, nada not installed by slipway in context kind-test\n")
	check(t, "releases left", f.installed(t), []string{"gitea", "jenkins", "postgres"})
}

// TestDownDeclined: a declined confirmation removes nothing.
func TestDownDeclined(t *testing.T) {
	f := newFixture(t, true)
	err := f.down(t, Options{Confirm: func(string) bool { return false }})
	if !errors.Is(err, outcome.ErrAborted) {
		t.Fatalf("got %v, want ErrAborted", err)
	}
	check(t, "releases left", f.installed(t), []string{"gitea", "jenkins", "postgres"})
	if n := len(f.secrets(t)); n != 5 {
		t.Errorf("%d secrets left, want all 5", n)
	}
	f.checkOutput(t, "")
}
