package lock

import (
	"fmt"
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
		"name a path":    {strings.Replace(string(good), "name: argo-cd", "name: ../../../etc/x", 1), `charts[0] (argocd): name "../../../etc/x": want a chart name`},
		"name dot-dot":   {strings.Replace(string(good), "name: argo-cd", `name: ".."`, 1), `charts[0] (argocd): name "..": want a chart name`},
		"images digest":  {strings.Replace(string(good), "profile: default", "profile: default\nimagesDigest: sha256:../x", 1), `imagesDigest "sha256:../x": want sha256: and 64 hex digits`},
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

// TestDiff: a lock pins another exactly when profile, components, chart
// names, versions, formats and digests (and the images.txt digest, when
// the trusted lock has one) are equal; the first difference is named.
func TestDiff(t *testing.T) {
	with := func(edit func(f *File)) *File {
		f := sample()
		f.ImagesDigest = d1
		edit(f)
		return f
	}
	want := with(func(*File) {})
	for name, tc := range map[string]struct {
		got  *File
		want string
	}{
		"same":                {with(func(*File) {}), ""},
		"another source":      {with(func(f *File) { f.Charts[0].Source = "https://mirror.example/traefik-41.3.2.tgz" }), ""},
		"entries reordered":   {with(func(f *File) { f.Charts[0], f.Charts[1] = f.Charts[1], f.Charts[0] }), ""},
		"profile":             {with(func(f *File) { f.ProfileVersion = "1.1.0" }), "it is for profile default@1.1.0, the lock for default@1.0.0"},
		"digest":              {with(func(f *File) { f.Charts[0].Digest = d1 }), "component traefik: it has chart traefik@41.3.2 (tgz, digest " + d1 + "), the lock pins traefik@41.3.2 (tgz, digest " + d2 + ")"},
		"version":             {with(func(f *File) { f.Charts[1].Version = "10.1.1" }), "component argocd: it has chart argo-cd@10.1.1 (tgz, digest " + d1 + "), the lock pins argo-cd@10.1.0 (tgz, digest " + d1 + ")"},
		"format":              {with(func(f *File) { f.Charts[1].Format = FormatDirectory }), "component argocd: it has chart argo-cd@10.1.0 (dir, digest " + d1 + "), the lock pins argo-cd@10.1.0 (tgz, digest " + d1 + ")"},
		"missing component":   {with(func(f *File) { f.Charts = f.Charts[:1] }), "component argocd: the lock pins chart argo-cd@10.1.0, it has none"},
		"extra component":     {with(func(f *File) { f.Charts = append(f.Charts, Chart{Component: "evil", Name: "rbac", Version: "1.0.0"}) }), "component evil: it has chart rbac@1.0.0, the lock pins no such component"},
		"images":              {with(func(f *File) { f.ImagesDigest = d2 }), "images.txt: its digest is " + d2 + ", the lock pins " + d1},
		"images not recorded": {with(func(f *File) { f.ImagesDigest = "" }), "images.txt: its digest is not recorded, the lock pins " + d1},
		"first of two":        {with(func(f *File) { f.Charts[0].Digest, f.Charts[1].Digest = d1, d2 }), "component argocd: it has chart argo-cd@10.1.0 (tgz, digest " + d2 + "), the lock pins argo-cd@10.1.0 (tgz, digest " + d1 + ")"},
	} {
		t.Run(name, func(t *testing.T) {
			err := Diff(want, tc.got)
			if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
				t.Errorf("Diff: %v\nwant: %s", err, tc.want)
			}
		})
	}
	// A trusted lock without an image list (up --lock) pins the charts only.
	noImages := sample()
	if err := Diff(noImages, want); err != nil {
		t.Errorf("a lock without imagesDigest: %v", err)
	}
}
