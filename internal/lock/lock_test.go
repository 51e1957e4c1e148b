package lock

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

func sample() *File {
	f := New("default", "1.0.0")
	f.Charts = []Chart{
		{Component: "traefik", Name: "traefik", Version: "41.3.2", Source: "https://traefik.github.io/charts/traefik-41.3.2.tgz", Format: FormatArchive, Digest: d2},
		{Component: "argocd", Name: "argo-cd", Version: "10.1.0", Source: "oci://ghcr.io/argoproj/argo-cd:10.1.0", Format: FormatArchive, Digest: d1},
	}
	return f
}

func TestWriteReadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slipway.lock")
	if err := sample().Write(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Charts[0].Component != "argocd" || got.Charts[1].Digest != d2 {
		t.Errorf("entries not sorted by component or lost: %+v", got.Charts)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

func TestDecodeStrict(t *testing.T) {
	good, err := sample().Encode()
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ data, want string }{
		"unknown field":  {strings.Replace(string(good), "profile: default", "profile: default\nprofil: x", 1), "unknown field"},
		"wrong kind":     {strings.Replace(string(good), "kind: Lock", "kind: Profile", 1), `unsupported apiVersion "slipway.dev/v1alpha1" and kind "Profile"`},
		"future version": {strings.Replace(string(good), "slipway.dev/v1alpha1", "slipway.dev/v9", 1), "slipway up --lock"},
		"bad digest":     {strings.Replace(string(good), d1, "sha256:abc", 1), `charts[0] (argocd): digest "sha256:abc"`},
		"bad format":     {strings.Replace(string(good), "format: tgz", "format: zip", 1), `format "zip"`},
		"bad version":    {strings.Replace(string(good), "version: 10.1.0", "version: latest", 1), `version "latest" is not a semantic version`},
		"duplicate":      {strings.Replace(string(good), "component: traefik", "component: argocd", 1), "component listed twice"},
		"not yaml":       {"charts: [", "not valid YAML"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Decode("x.lock", []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "x.lock") {
				t.Errorf("error %v, want one naming x.lock and containing %q", err, tc.want)
			}
		})
	}
}

func TestReadMissing(t *testing.T) {
	_, err := Read(filepath.Join(t.TempDir(), "none.lock"))
	if err == nil || !strings.Contains(err.Error(), "does not exist; write one with `slipway up --lock") {
		t.Errorf("got %v", err)
	}
}

func TestMatch(t *testing.T) {
	f := sample()
	comps := []Component{{Name: "traefik", Chart: "traefik", Constraint: "~41.3.0"}, {Name: "argocd", Chart: "argo-cd", Constraint: "~10.1.0"}}
	if err := f.Match("s.lock", "default", "1.0.0", comps); err != nil {
		t.Fatalf("matching lock refused: %v", err)
	}
	// A subset of the locked components (--without) is fine.
	if err := f.Match("s.lock", "default", "1.0.0", comps[:1]); err != nil {
		t.Errorf("subset refused: %v", err)
	}
	err := f.Match("s.lock", "classic", "1.0.0", append(comps,
		Component{Name: "jenkins", Chart: "jenkins", Constraint: "*"}))
	for _, want := range []string{"written for profile default@1.0.0, not classic@1.0.0", "no entry for component jenkins"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	err = f.Match("s.lock", "default", "1.0.0", []Component{{Name: "traefik", Chart: "nginx", Constraint: "~42.0.0"}})
	for _, want := range []string{"locked to chart traefik, but the profile installs chart nginx", `constraint "~42.0.0" does not allow`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

func TestVerify(t *testing.T) {
	f := sample()
	if err := f.Verify("s.lock", "traefik", d2); err != nil {
		t.Fatal(err)
	}
	err := f.Verify("s.lock", "traefik", d1)
	for _, want := range []string{"traefik@41.3.2", "has digest " + d1, "expects " + d2, "nothing was installed", "slipway up --lock s.lock"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
