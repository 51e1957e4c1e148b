package release

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	chartcommon "helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	corev1 "k8s.io/client-go/kubernetes/typed/core/v1"
)

// sampleStored is a release as an install stores it: a chart, values, a
// manifest of some size (so the gzip levels differ) and a user label.
func sampleStored(version int, status common.Status) *rspb.Release {
	var manifest strings.Builder
	for i := range 400 {
		fmt.Fprintf(&manifest, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\ndata:\n  key: value-%d\n", i, i*7919%1000)
	}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	return &rspb.Release{
		Name: "argocd", Namespace: "argocd", Version: version,
		Info: &rspb.Info{Status: status, FirstDeployed: now, LastDeployed: now, Description: "Install complete"},
		Chart: &chartv2.Chart{
			Metadata:  &chartv2.Metadata{APIVersion: "v2", Name: "argo-cd", Version: "10.1.1", AppVersion: "v3.2.0"},
			Templates: []*chartcommon.File{{Name: "templates/cm.yaml", Data: []byte(manifest.String()[:2000])}},
		},
		Config:   map[string]any{"server": map[string]any{"replicas": 1.0}},
		Manifest: manifest.String(),
		Labels:   map[string]string{"app.slipway.dev/profile": "default"},
	}
}

func secretsOf(t *testing.T) corev1.SecretInterface {
	t.Helper()
	return fake.NewClientset().CoreV1().Secrets("argocd")
}

func fastDriver(c corev1.SecretInterface) releaseSecrets {
	return releaseSecrets{Secrets: driver.NewSecrets(c), secrets: func() (corev1.SecretInterface, error) { return c, nil }}
}

func storedSecret(t *testing.T, c corev1.SecretInterface, key string) *v1.Secret {
	t.Helper()
	s, err := c.Get(context.Background(), key, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func gunzipped(t *testing.T, s *v1.Secret) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(string(s.Data["release"]))
	if err != nil {
		t.Fatal(err)
	}
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameAsHelms fails unless ours and helms are the same Secret but for
// the gzip level of its data and the times Helm stamps into its labels
// (stamp's between from and to).
func sameAsHelms(t *testing.T, ours, helms *v1.Secret, stamp string, from, to time.Time) {
	t.Helper()
	if ours.Name != helms.Name || ours.Type != helms.Type || !maps.Equal(ours.Annotations, helms.Annotations) {
		t.Errorf("secret %s of type %s, want Helm's %s of type %s", ours.Name, ours.Type, helms.Name, helms.Type)
	}
	for _, s := range []*v1.Secret{ours, helms} {
		at, err := strconv.ParseInt(s.Labels[stamp], 10, 64)
		if err != nil || at < from.Unix() || at > to.Unix() {
			t.Errorf("label %s=%q, want the time of the write", stamp, s.Labels[stamp])
		}
	}
	if !maps.Equal(unstamped(ours.Labels), unstamped(helms.Labels)) {
		t.Errorf("labels %v, want Helm's %v", ours.Labels, helms.Labels)
	}
	if len(ours.Data) != 1 || !bytes.Equal(gunzipped(t, ours), gunzipped(t, helms)) {
		t.Errorf("data is not the gzip of the JSON Helm stores")
	}
	if len(ours.Data["release"]) >= len(helms.Data["release"]) {
		t.Errorf("stored at Helm's own level (%d bytes, Helm's %d), want gzip's default", len(ours.Data["release"]), len(helms.Data["release"]))
	}
}

// unstamped is labels with the times in them marked, not given: two
// writes a second apart stamp different ones.
func unstamped(labels map[string]string) map[string]string {
	out := maps.Clone(labels)
	for _, k := range []string{"createdAt", "modifiedAt"} {
		if _, ok := out[k]; ok {
			out[k] = "(a time)"
		}
	}
	return out
}

// TestReleaseSecretsStoreWhatHelmReads: a release stored by
// releaseSecrets reads back through Helm's own driver as the release
// stored, and its Secret is the one Helm's driver makes of it (name,
// type, labels, JSON) but for the gzip level; so for an update of a
// release read back, whose labels hold Helm's system ones.
func TestReleaseSecretsStoreWhatHelmReads(t *testing.T) {
	ours, helms := secretsOf(t), secretsOf(t)
	key := "sh.helm.release.v1.argocd.v1"
	from := time.Now()
	if err := fastDriver(ours).Create(key, sampleStored(1, common.StatusPendingInstall)); err != nil {
		t.Fatal(err)
	}
	if err := driver.NewSecrets(helms).Create(key, sampleStored(1, common.StatusPendingInstall)); err != nil {
		t.Fatal(err)
	}
	sameAsHelms(t, storedSecret(t, ours, key), storedSecret(t, helms, key), "createdAt", from, time.Now())

	// Helm's driver reads it; an update stores what was read, with a
	// new status, as Helm's actions do.
	readOurs, err := driver.NewSecrets(ours).Get(key)
	if err != nil {
		t.Fatal(err)
	}
	readHelms, err := driver.NewSecrets(helms).Get(key)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(withoutLabels(readOurs), withoutLabels(readHelms)) ||
		!maps.Equal(unstamped(readOurs.(*rspb.Release).Labels), unstamped(readHelms.(*rspb.Release).Labels)) {
		t.Fatalf("read back:\n%+v\nHelm's read back:\n%+v", readOurs, readHelms)
	}
	want, _ := json.Marshal(sampleStored(1, common.StatusPendingInstall))
	if got, _ := json.Marshal(withoutLabels(readOurs)); !bytes.Equal(got, withoutLabelsJSON(t, want)) {
		t.Errorf("read back a release other than the one stored")
	}
	up := func(r any) *rspb.Release {
		rel := r.(*rspb.Release)
		rel.Info.Status = common.StatusDeployed
		return rel
	}
	from = time.Now()
	if err := fastDriver(ours).Update(key, up(readOurs)); err != nil {
		t.Fatal(err)
	}
	if err := driver.NewSecrets(helms).Update(key, up(readHelms)); err != nil {
		t.Fatal(err)
	}
	o, h := storedSecret(t, ours, key), storedSecret(t, helms, key)
	// Helm keeps the createdAt it read; modifiedAt is Helm's own only if
	// the release read had none.
	sameAsHelms(t, o, h, "modifiedAt", from, time.Now())
	if o.Labels["status"] != "deployed" {
		t.Errorf("status label %q after the update, want deployed", o.Labels["status"])
	}

	if err := fastDriver(ours).Create(key, sampleStored(1, common.StatusPendingInstall)); !errors.Is(err, driver.ErrReleaseExists) {
		t.Errorf("create of a stored revision: %v, want Helm's ErrReleaseExists", err)
	}
}

func withoutLabels(r any) *rspb.Release {
	rel := *r.(*rspb.Release)
	rel.Labels = nil
	return &rel
}

func withoutLabelsJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var r rspb.Release
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(withoutLabels(&r))
	return out
}

// TestEncodeReleaseFallsBackToHelmsLevel: a release whose encoding at
// the faster level would be too big is encoded byte for byte as Helm's
// driver does, so slipway stores every release Helm could.
func TestEncodeReleaseFallsBackToHelmsLevel(t *testing.T) {
	rel := sampleStored(1, common.StatusDeployed)
	fast, err := encodeRelease(rel, maxStoredRelease)
	if err != nil {
		t.Fatal(err)
	}
	helms := secretsOf(t)
	if err := driver.NewSecrets(helms).Create("k", rel); err != nil {
		t.Fatal(err)
	}
	want := storedSecret(t, helms, "k").Data["release"]
	if bytes.Equal(fast, want) {
		t.Fatal("the faster level gave Helm's bytes: the test release is too small to tell them apart")
	}
	got, err := encodeRelease(rel, len(fast)-1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("over the limit: %d bytes, want Helm's own %d", len(got), len(want))
	}
}
