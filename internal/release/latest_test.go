package release

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	kubefake "helm.sh/helm/v4/pkg/kube/fake"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
)

// onSecrets returns a Manager that stores releases as Secrets with Helm's
// own driver, over a fake clientset, and the Secrets client: Get reads
// what Helm wrote, as it does on a cluster.
func onSecrets(ns string) (*Manager, corev1client.SecretInterface) {
	secrets := fake.NewClientset().CoreV1().Secrets(ns)
	cfg := action.NewConfiguration()
	cfg.SetLogger(logHandler(nil))
	cfg.Releases = storage.Init(driver.NewSecrets(secrets))
	cfg.KubeClient = &kubefake.PrintingKubeClient{Out: io.Discard}
	cfg.Capabilities = common.DefaultCapabilities
	m := &Manager{cfg: cfg, namespace: ns}
	m.secrets = func() (corev1client.SecretInterface, error) { return secrets, nil }
	return m, secrets
}

// throughHelm is what Get returned before it read Secrets itself: the
// latest revision from Helm's storage.
func throughHelm(t *testing.T, m *Manager, name string) *Info {
	t.Helper()
	helm := *m
	helm.secrets = nil
	info, err := helm.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestGetReadsWhatHelmStored(t *testing.T) {
	ctx := context.Background()
	m, _ := onSecrets("web")
	spec := Spec{Name: "web", Namespace: "web", ChartPath: testChart(t, "1.0.0"), Values: map[string]any{"replicas": 2, "nested": map[string]any{"a": []any{1, "x"}}},
		Timeout: time.Minute, Labels: map[string]string{"slipway.dev/profile": "default", "slipway.dev/digest": "abc"}}
	for rev := 1; rev <= 3; rev++ {
		spec.Values["replicas"] = rev
		if _, err := m.Apply(ctx, spec); err != nil {
			t.Fatal(err)
		}
	}
	got, err := m.Get(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if want := throughHelm(t, m, "web"); !reflect.DeepEqual(got, want) {
		t.Fatalf("lean read:\n%+v\nHelm's storage:\n%+v", got, want)
	}
	if got.Revision != 3 || got.Status != StatusDeployed || got.Chart != "web" || got.ChartVersion != "1.0.0" ||
		got.Values["replicas"] != float64(3) || !strings.Contains(got.Manifest, "kind: Deployment") || got.Updated.IsZero() ||
		!reflect.DeepEqual(got.Labels, spec.Labels) {
		t.Errorf("got %+v", got)
	}
	if none, err := m.Get(ctx, "other"); none != nil || err != nil {
		t.Errorf("a release with no Secrets: %+v, %v; want nil, nil", none, err)
	}
}

// storeRevisions stores revisions 1..n of release "web" with Helm's driver.
func storeRevisions(t *testing.T, m *Manager, n int) {
	t.Helper()
	for v := 1; v <= n; v++ {
		r := &rspb.Release{Name: "web", Namespace: "web", Version: v,
			Info:   &rspb.Info{Status: rcommon.StatusSuperseded, LastDeployed: time.Unix(int64(1000+v), 0).UTC()},
			Chart:  &chartv2.Chart{Metadata: &chartv2.Metadata{Name: "web", Version: fmt.Sprintf("1.%d.0", v), AppVersion: "v9"}},
			Config: map[string]any{"v": v}, Manifest: fmt.Sprintf("# revision %d\n", v)}
		if v == n {
			r.Info.Status = rcommon.StatusDeployed
		}
		if err := m.cfg.Releases.Create(r); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGetTakesTheHighestRevision: the Secrets list in name order, where
// v10 comes before v9.
func TestGetTakesTheHighestRevision(t *testing.T) {
	m, _ := onSecrets("web")
	storeRevisions(t, m, 11)
	got, err := m.Get(context.Background(), "web")
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != 11 || got.ChartVersion != "1.11.0" || got.AppVersion != "v9" || got.Manifest != "# revision 11\n" {
		t.Errorf("got %+v, want revision 11", got)
	}
	if want := throughHelm(t, m, "web"); !reflect.DeepEqual(got, want) {
		t.Errorf("lean read:\n%+v\nHelm's storage:\n%+v", got, want)
	}
}

// TestGetDistrustsOddVersionLabels: a version label Helm would not have
// written, or one that disagrees with the revision stored, sends Get to
// decoding every revision, and it answers as Helm's storage does.
func TestGetDistrustsOddVersionLabels(t *testing.T) {
	for _, tc := range []struct{ name, secret, label string }{
		{"missing", "sh.helm.release.v1.web.v3", ""},
		{"leading zero", "sh.helm.release.v1.web.v3", "03"},
		{"signed", "sh.helm.release.v1.web.v1", "+9"},
		{"zero", "sh.helm.release.v1.web.v2", "0"},
		{"lies high", "sh.helm.release.v1.web.v1", "99"},
		{"duplicate", "sh.helm.release.v1.web.v1", "4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			m, secrets := onSecrets("web")
			storeRevisions(t, m, 4)
			s, err := secrets.Get(ctx, tc.secret, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.label == "" {
				delete(s.Labels, "version")
			} else {
				s.Labels["version"] = tc.label
			}
			if _, err := secrets.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			got, err := m.Get(ctx, "web")
			if err != nil {
				t.Fatal(err)
			}
			if got.Revision != 4 {
				t.Errorf("revision %d, want 4", got.Revision)
			}
			if want := throughHelm(t, m, "web"); !reflect.DeepEqual(got, want) {
				t.Errorf("lean read:\n%+v\nHelm's storage:\n%+v", got, want)
			}
		})
	}
}

// TestGetSkipsWhatDoesNotDecode: Helm's storage leaves out a Secret it
// cannot decode, so the latest revision is the highest that decodes, and
// a release none of whose Secrets decode is no release.
func TestGetSkipsWhatDoesNotDecode(t *testing.T) {
	ctx := context.Background()
	m, secrets := onSecrets("web")
	storeRevisions(t, m, 3)
	corrupt := func(name string) {
		s, err := secrets.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s.Data["release"] = []byte("not base64!")
		if _, err := secrets.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	corrupt("sh.helm.release.v1.web.v3")
	got, err := m.Get(ctx, "web")
	if err != nil || got == nil || got.Revision != 2 {
		t.Fatalf("got %+v, %v; want revision 2", got, err)
	}
	if want := throughHelm(t, m, "web"); !reflect.DeepEqual(got, want) {
		t.Errorf("lean read:\n%+v\nHelm's storage:\n%+v", got, want)
	}
	corrupt("sh.helm.release.v1.web.v2")
	corrupt("sh.helm.release.v1.web.v1")
	if got, err := m.Get(ctx, "web"); got != nil || err != nil {
		t.Errorf("nothing decodes: %+v, %v; want nil, nil as through Helm's storage", got, err)
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func b64(b []byte) []byte { return []byte(base64.StdEncoding.EncodeToString(b)) }

func TestDecodeStored(t *testing.T) {
	release := []byte(`{"name":"web","version":2,"chart":{"metadata":{"name":"web","version":"1.0.0"},"templates":[{"name":"t","data":"eA=="}]}}`)
	// A gzip bomb: 65 MiB of zeros, about 65 KiB compressed.
	var bomb bytes.Buffer
	w, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 65 {
		_, _ = w.Write(zeros)
	}
	_ = w.Close()
	gz := gzipped(t, release)
	for _, tc := range []struct {
		name string
		data []byte
		err  string // "" for none
	}{
		{"gzip", b64(gz), ""},
		{"plain JSON, from before Helm compressed", b64(release), ""},
		{"gzip bomb", b64(bomb.Bytes()), "release data inflates to more than 64 MiB"},
		{"bad base64", []byte("%%%"), "release data is not base64"},
		{"truncated gzip", b64(gz[:len(gz)-10]), "release data is not gzip"},
		{"bad JSON", b64(gzipped(t, []byte(`{"name":`))), "release data is not a release"},
		{"JSON of the wrong type", b64(gzipped(t, []byte(`{"version":"2"}`))), "release data is not a release"},
		{"empty", nil, "release data is not a release"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := decodeStored(tc.data)
			if tc.err == "" {
				if err != nil || r.Name != "web" || r.Version != 2 || r.Chart.Metadata.Version != "1.0.0" {
					t.Fatalf("got %+v, %v", r, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}

// FuzzDecodeStored: data from the cluster never panics the decoder. Not in
// `make fuzz`: instrumenting Helm's dependencies for it took 4 min of the
// 2-core machine; run it by hand after changing decodeStored:
// go test -run '^$' -fuzz FuzzDecodeStored ./internal/release
func FuzzDecodeStored(f *testing.F) {
	f.Add([]byte(base64.StdEncoding.EncodeToString([]byte(`{"name":"web","version":1}`))))
	f.Add([]byte(base64.StdEncoding.EncodeToString([]byte{0x1f, 0x8b, 0x08, 0, 0})))
	f.Fuzz(func(_ *testing.T, data []byte) {
		_, _ = decodeStored(data)
		_, _ = decodeStored([]byte(base64.StdEncoding.EncodeToString(data)))
	})
}
