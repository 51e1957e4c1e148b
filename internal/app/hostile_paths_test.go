package app

import (
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutsidePathsCatalogue is issue 17, item 1: a digest in a
// repository's index.yaml that climbs out of the cache
// ("../../victim") is refused before it names a file, with exit 2, and
// is not remembered: the --offline rerun finds nothing cached and
// touches nothing either. victim.tgz sits where the digest points
// (<cache>/sha256/../../victim.tgz), and every file outside the cache
// is byte for byte what it was.
func TestOutsidePathsCatalogue(t *testing.T) {
	c := newCatalogue(t)
	victim := c.write(t, "victim.tgz", "the user's own file\n")
	mux := http.NewServeMux()
	mux.HandleFunc("/evil/index.yaml", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `apiVersion: v1
entries:
  web:
  - {apiVersion: v2, name: web, version: 1.0.0, urls: [web-1.0.0.tgz], digest: "../../victim"}
generated: "2026-01-01T00:00:00Z"
`)
	})
	mux.HandleFunc("/evil/web-1.0.0.tgz", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, victim) // what a "download" would give, if one were made
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	evil := srv.URL + "/evil"
	c.profile(t, "web.yaml", `{repo: https://example.com/charts, name: web, version: "*"}`)

	before := outsideCache(t, c.dir)
	c.run(t, []badInput{
		{name: "index digest climbing out of the cache",
			args: []string{"template", "--profile", "{dir}/web.yaml", "--chart-mirror", evil},
			code: 2,
			want: `component web: chart web@1.0.0 in repository ` + evil + `: index.yaml gives digest "../../victim", which is not 64 lowercase hex digits of a sha256; the index is damaged, ask its owner to regenerate it (helm repo index)`},
		{name: "the --offline rerun finds nothing remembered",
			args: []string{"template", "--profile", "{dir}/web.yaml", "--chart-mirror", evil, "--offline"},
			code: 2,
			want: `component web: --offline: no cached version of chart web from ` + evil + ` matches "*" (cached: none) in {dir}/cache; run once without --offline to fill the cache, or use a bundle (slipway bundle create / up --bundle)`},
	})
	if after := outsideCache(t, c.dir); after != before {
		t.Errorf("files outside the cache changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// outsideCache lists every file under dir but outside dir/cache, with
// its content, so that a test can tell that none was removed, added or
// changed.
func outsideCache(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p == filepath.Join(dir, "cache") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%s %q\n", p, data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
