package lock

import (
	"reflect"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/internal/digest"
)

// FuzzLockDecode feeds arbitrary bytes to the strict lock decoder, as a
// lock file or a bundle's slipway.lock reaches it: it must never panic,
// every error names the file, and whatever it accepts has only digests
// of the exact form and chart names that are one plain path element (a
// bundle names files after them), and encodes and decodes back to
// itself. Seeds are locks as slipway writes them, and hostile ones.
//
//	go test ./internal/lock -run '^$' -fuzz FuzzLockDecode -fuzztime 60s
func FuzzLockDecode(f *testing.F) {
	good, err := sample().Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	withImages := sample()
	withImages.ImagesDigest = d1
	withImages.Charts = append(withImages.Charts, Chart{Component: "wiring", Name: "gitops-wiring", Version: "1.0.0", Source: "slipway:charts/gitops-wiring", Format: FormatDirectory, Digest: d2})
	data, err := withImages.Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	for _, hostile := range []string{
		strings.Replace(string(good), "name: argo-cd", "name: ../../../../tmp/x", 1),
		strings.Replace(string(good), d1, "sha256:../../victim", 1),
		strings.Replace(string(good), "version: 10.1.0", "version: 10.1.0/../../x", 1),
		strings.Replace(string(good), "component: traefik", "component: argocd", 1),
		"apiVersion: slipway.dev/v1alpha1\nkind: Lock\nprofile: p\nprofileVersion: 1\ncharts: &a [*a]\n",
		"apiVersion: slipway.dev/v1alpha1\nkind: Lock\ncharts: [null, {}]\n",
	} {
		f.Add([]byte(hostile))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lf, err := Decode("fuzz.lock", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.lock") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, c := range lf.Charts {
			if !digest.Valid(c.Digest) || !validName(c.Name) || strings.ContainsAny(c.Version, `/\`) {
				t.Fatalf("accepted entry %+v", c)
			}
		}
		if lf.ImagesDigest != "" && !digest.Valid(lf.ImagesDigest) {
			t.Fatalf("accepted imagesDigest %q", lf.ImagesDigest)
		}
		enc, err := lf.Encode()
		if err != nil {
			t.Fatalf("an accepted lock does not encode: %v", err)
		}
		again, err := Decode("fuzz.lock", enc)
		if err != nil {
			t.Fatalf("an encoded lock does not decode: %v\n%s", err, enc)
		}
		if err := Diff(lf, again); err != nil || !reflect.DeepEqual(sorted(lf), again) {
			t.Fatalf("round trip changed the lock: %v\n%+v\n%+v", err, sorted(lf), again)
		}
	})
}
