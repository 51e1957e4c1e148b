package rotate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	k8stesting "k8s.io/client-go/testing"

	"golang.org/x/crypto/bcrypt"
	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/credentials"
	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/release"
	"github.com/slipway-dev/slipway/internal/ui"
	"github.com/slipway-dev/slipway/internal/values"
	"github.com/slipway-dev/slipway/internal/wait"
)

const (
	ns      = "ci"
	secret  = "jenkins-admin"
	oldPass = "old-password-1"
)

var clock = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeReadiness records what it was asked to wait for and answers err.
type fakeReadiness struct {
	targets []wait.Target
	err     error
}

func (f *fakeReadiness) Wait(_ context.Context, targets []wait.Target, _ func(wait.Event)) error {
	f.targets = append(f.targets, targets...)
	return f.err
}

// fixture is a cluster with jenkins installed: its inventory entry, its
// credentials Secret, its Helm release (in Helm's in-memory store) and
// the workloads of that release in the fake clientset.
type fixture struct {
	client    *fake.Clientset
	releases  *release.Manager
	readiness *fakeReadiness
	out       bytes.Buffer
	rotator   *Rotator
}

func podSpec(mutate func(*corev1.PodSpec)) corev1.PodTemplateSpec {
	spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}}
	mutate(&spec)
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x"}}, Spec: spec}
}

func deployment(name string, mutate func(*corev1.PodSpec)) *appsv1.Deployment {
	return &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: appsv1.DeploymentSpec{Template: podSpec(mutate)}}
}

func statefulSet(name string, mutate func(*corev1.PodSpec)) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: appsv1.StatefulSetSpec{Template: podSpec(mutate)}}
}

func envRef(name string) func(*corev1.PodSpec) {
	return func(s *corev1.PodSpec) {
		s.Containers[0].Env = []corev1.EnvVar{{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: "password"}}}}
	}
}

// workloads: the release's Deployments and StatefulSets, each reading a
// Secret one way or another (or not at all).
func workloads() []runtime.Object {
	return []runtime.Object{
		deployment("web-env", envRef(secret)),
		deployment("web-envfrom", func(s *corev1.PodSpec) {
			s.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: secret}}}}
		}),
		statefulSet("db-volume", func(s *corev1.PodSpec) {
			s.Volumes = []corev1.Volume{{Name: "creds", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: secret}}}}
		}),
		statefulSet("db-init", func(s *corev1.PodSpec) {
			init := &corev1.PodSpec{Containers: []corev1.Container{{Name: "init", Image: "init"}}}
			envRef(secret)(init)
			s.InitContainers = init.Containers
		}),
		deployment("web-projected", func(s *corev1.PodSpec) {
			s.Volumes = []corev1.Volume{{Name: "secrets", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: secret}}},
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: secret},
					Items: []corev1.KeyToPath{{Key: "pass", Path: "chart-admin-password"}}}},
			}}}}}
		}),
		deployment("other-secret", envRef("someone-else")),
		statefulSet("plain", func(*corev1.PodSpec) {}),
	}
}

// chartOf saves a chart whose templates are objs and returns its path.
func chartOf(t *testing.T, objs []runtime.Object) string {
	t.Helper()
	ch := &chartv2.Chart{Metadata: &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: "jenkins", Version: "1.0.0"}}
	for i, o := range objs {
		data, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		ch.Templates = append(ch.Templates, &common.File{Name: "templates/" + string(rune('a'+i)) + ".yaml", Data: data})
	}
	path, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func newFixture(t *testing.T, e inventory.Entry) *fixture {
	t.Helper()
	ctx := context.Background()
	objs := workloads()
	// A workload outside the release that reads the Secret: rotation
	// restarts only what the release owns.
	objs = append(objs, deployment("not-in-release", envRef(secret)))
	client := fake.NewClientset(objs...)
	// The fake tracker keeps no resourceVersion; the API server gives
	// every write a new one, which the restart annotation records.
	var writes atomic.Int64
	client.PrependReactor("update", "secrets", func(a k8stesting.Action) (bool, runtime.Object, error) {
		obj := a.(k8stesting.UpdateAction).GetObject().(*corev1.Secret)
		obj.ResourceVersion = fmt.Sprint(100 + writes.Add(1))
		return false, nil, nil
	})
	f := &fixture{client: client, releases: release.NewForTesting(ns), readiness: &fakeReadiness{}}
	if err := inventory.Upsert(ctx, f.client, e, inventory.Entry{Component: "gitea", Namespace: "git", Release: "gitea"}); err != nil {
		t.Fatal(err)
	}
	store := &credentials.Store{Client: f.client, Now: func() time.Time { return clock.Add(-time.Hour) }}
	spec := credentials.Spec{Component: "jenkins", Namespace: ns, SecretName: secret, Username: "admin", UsernameKey: "user", PasswordKey: "pass",
		Length: profile.DefaultLength, Digits: profile.DefaultDigits, Symbols: profile.DefaultSymbols}
	if _, err := store.Ensure(ctx, spec, oldPass, false); err != nil {
		t.Fatal(err)
	}
	vals := map[string]any{"controller": map[string]any{"adminUser": "admin"}}
	if _, err := f.releases.Apply(ctx, release.Spec{Name: "jenkins", Namespace: ns, ChartPath: chartOf(t, workloads()), Values: vals, Timeout: time.Minute,
		Labels: map[string]string{kube.LabelComponent: "jenkins"}}); err != nil {
		t.Fatal(err)
	}
	f.rotator = &Rotator{
		Client:    f.client,
		Releases:  func(string) (Releases, error) { return f.releases, nil },
		Readiness: f.readiness,
		Context:   "kind-test",
		Now:       func() time.Time { return clock },
	}
	return f
}

func (f *fixture) rotate(t *testing.T, o Options) (credentials.Credential, error) {
	t.Helper()
	o.Timeout = time.Minute
	return f.rotator.Rotate(context.Background(), o, &ui.Printer{W: &f.out})
}

// restarted lists the workloads whose pod template carries the
// credentials revision annotation, which must be the Secret's revision
// now.
func (f *fixture) restarted(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	sec, err := f.client.CoreV1().Secrets(ns).Get(ctx, secret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	check := func(kind, name string, annotations map[string]string) {
		if v, ok := annotations[CredentialsRevision]; ok {
			if v == "" || v != sec.ResourceVersion {
				t.Errorf("%s %s restarted for revision %q, want the Secret's %q", kind, name, v, sec.ResourceVersion)
			}
			out = append(out, kind+" "+name)
		}
	}
	ds, _ := f.client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	for _, d := range ds.Items {
		check("Deployment", d.Name, d.Spec.Template.Annotations)
	}
	ss, _ := f.client.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
	for _, s := range ss.Items {
		check("StatefulSet", s.Name, s.Spec.Template.Annotations)
	}
	slices.Sort(out)
	return out
}

func (f *fixture) stored(t *testing.T) (user, pass string) {
	t.Helper()
	s, err := f.client.CoreV1().Secrets(ns).Get(context.Background(), secret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return string(s.Data["user"]), string(s.Data["pass"])
}

var jenkins = inventory.Entry{Component: "jenkins", Namespace: ns, Release: "jenkins", Secret: secret, URL: "http://jenkins.test"}

// TestRotateRestartsWhatReadsTheSecret: a chart that reads the password
// from the Secret keeps its release as it is; the release's workloads
// that read the Secret (env, envFrom, a volume, an init container) are
// restarted, and no others.
func TestRotateRestartsWhatReadsTheSecret(t *testing.T) {
	f := newFixture(t, jenkins)
	cred, err := f.rotate(t, Options{Component: "jenkins"})
	if err != nil {
		t.Fatal(err)
	}
	user, pass := f.stored(t)
	if pass == oldPass || len(pass) != profile.DefaultLength || cred.Password != pass || user != "admin" || cred.Username != "admin" {
		t.Errorf("stored %s/%s, returned %q; want a new %d-character password for admin, stored and returned", user, pass, cred.Password, profile.DefaultLength)
	}
	if !cred.CreatedAt.Equal(clock) || cred.URL != "http://jenkins.test" {
		t.Errorf("credential created %s, URL %q; want the clock's time and the inventory's URL", cred.CreatedAt, cred.URL)
	}
	want := []string{"Deployment web-env", "Deployment web-envfrom", "Deployment web-projected", "StatefulSet db-init", "StatefulSet db-volume"}
	if got := f.restarted(t); !slices.Equal(got, want) {
		t.Errorf("restarted %q, want %q", got, want)
	}
	info, err := f.releases.Get(context.Background(), "jenkins")
	if err != nil || info.Revision != 1 {
		t.Errorf("release revision %v (%v); a chart without a hash must not be upgraded", info, err)
	}
	if len(f.readiness.targets) != 1 || f.readiness.targets[0].Component != "jenkins" || len(f.readiness.targets[0].Objects) != 7 {
		t.Errorf("waited for %+v, want jenkins's 7 objects", f.readiness.targets)
	}
	wantOut := "jenkins: new password stored in secret ci/jenkins-admin\n" +
		"jenkins: restarting Deployment web-env, Deployment web-envfrom, Deployment web-projected, StatefulSet db-volume, StatefulSet db-init to pick up the new password\n"
	if f.out.String() != wantOut {
		t.Errorf("printed\n%s\nwant\n%s", f.out.String(), wantOut)
	}
}

// TestRotateUpgradesHashCharts: a chart that takes a hash gets a Helm
// upgrade with the hash of the password from the file, and its mtime.
func TestRotateUpgradesHashCharts(t *testing.T) {
	e := jenkins
	e.BcryptPaths, e.MtimePaths = []string{"controller.adminPasswordHash"}, []string{"controller.passwordMtime"}
	f := newFixture(t, e)
	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte("brand-new-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cred, err := f.rotate(t, Options{Component: "jenkins", PasswordFile: file})
	if err != nil {
		t.Fatal(err)
	}
	if _, pass := f.stored(t); pass != "brand-new-secret" || cred.Password != pass {
		t.Errorf("stored %q, returned %q; want the file's password without its newline", pass, cred.Password)
	}
	info, err := f.releases.Get(context.Background(), "jenkins")
	if err != nil || info.Revision != 2 {
		t.Fatalf("release %+v (%v), want revision 2", info, err)
	}
	hash, _ := values.Lookup(info.Values, "controller.adminPasswordHash")
	if h, ok := hash.(string); !ok || bcrypt.CompareHashAndPassword([]byte(h), []byte("brand-new-secret")) != nil {
		t.Errorf("controller.adminPasswordHash = %v, want a bcrypt hash of the new password", hash)
	}
	if mtime, _ := values.Lookup(info.Values, "controller.passwordMtime"); mtime != "2030-01-02T03:04:05Z" {
		t.Errorf("controller.passwordMtime = %v, want the password's creation time", mtime)
	}
	if user, _ := values.Lookup(info.Values, "controller.adminUser"); user != "admin" {
		t.Errorf("controller.adminUser = %v: the recorded values must be kept", user)
	}
	if !strings.Contains(f.out.String(), "jenkins: release jenkins upgraded to revision 2 with the new password hash\n") {
		t.Errorf("printed\n%s", f.out.String())
	}
	if got := f.restarted(t); len(got) != 5 {
		t.Errorf("restarted %q, want the 4 workloads that read the Secret", got)
	}
}

// TestRotateUnknownComponent: a component that is not installed, or has
// no credentials slipway manages, is bad input, and nothing changes.
func TestRotateUnknownComponent(t *testing.T) {
	for _, name := range []string{"nope", "gitea"} {
		f := newFixture(t, jenkins)
		_, err := f.rotate(t, Options{Component: name})
		want := `no component "` + name + `" with slipway-managed credentials in context kind-test; components with credentials: jenkins`
		if err == nil || err.Error() != want || !errors.Is(err, outcome.ErrInput) {
			t.Errorf("%s: got %v, want input error %q", name, err, want)
		}
		if _, pass := f.stored(t); pass != oldPass {
			t.Errorf("%s: the password changed", name)
		}
		if got := f.restarted(t); len(got) != 0 {
			t.Errorf("%s: restarted %q", name, got)
		}
	}
}

// TestRotateTimeout: the new password is in force even when the component
// is not ready in time; the caller gets it with a timeout error.
func TestRotateTimeout(t *testing.T) {
	f := newFixture(t, jenkins)
	f.readiness.err = &wait.TimeoutError{After: time.Minute}
	cred, err := f.rotate(t, Options{Component: "jenkins"})
	if !errors.Is(err, outcome.ErrTimeout) {
		t.Fatalf("got %v, want a timeout", err)
	}
	if _, pass := f.stored(t); cred.Password == "" || cred.Password != pass {
		t.Errorf("returned %q, stored %q: the stored password must be returned", cred.Password, pass)
	}
}

// TestUsesSecret: every way a pod can read a Secret counts, and only the
// Secret named.
func TestUsesSecret(t *testing.T) {
	for _, o := range workloads() {
		var spec corev1.PodSpec
		var name string
		switch w := o.(type) {
		case *appsv1.Deployment:
			spec, name = w.Spec.Template.Spec, w.Name
		case *appsv1.StatefulSet:
			spec, name = w.Spec.Template.Spec, w.Name
		}
		want := name != "other-secret" && name != "plain"
		if got := usesSecret(spec, secret); got != want {
			t.Errorf("usesSecret(%s) = %v, want %v", name, got, want)
		}
	}
}

// TestRotateRefusesForeignRelease (issue 17, item 6): when the release
// the inventory names was installed by someone else (no
// slipway.dev/component label, e.g. `helm install` by hand after a
// `down`), rotate is bad input naming the release, and neither the
// password nor any workload changes.
func TestRotateRefusesForeignRelease(t *testing.T) {
	f := newFixture(t, jenkins)
	f.releases = release.NewForTesting(ns)
	if _, err := f.releases.Apply(context.Background(), release.Spec{Name: "jenkins", Namespace: ns, ChartPath: chartOf(t, workloads()),
		Values: map[string]any{"controller": map[string]any{"adminUser": "someone"}}, Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	_, err := f.rotate(t, Options{Component: "jenkins"})
	want := "release ci/jenkins (component jenkins) was not installed by slipway: its Helm release lacks the label slipway.dev/component=jenkins, and rotate changes only slipway's releases; nothing was changed"
	if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, outcome.ErrInput) {
		t.Fatalf("got %v, want input error containing %q", err, want)
	}
	if _, pass := f.stored(t); pass != oldPass {
		t.Error("the password changed")
	}
	if got := f.restarted(t); len(got) != 0 {
		t.Errorf("restarted %q", got)
	}
}
