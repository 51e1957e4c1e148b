package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// Bad uses of the bundle and lock flags exit 2 with a message that names
// the flag or file, before any chart is fetched.
func TestBundleAndLockUsage(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SLIPWAY_CACHE_DIR", filepath.Join(dir, "cache"))
	notBundle := filepath.Join(dir, "platform.tgz")
	os.WriteFile(notBundle, []byte("not a bundle"), 0o600)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"create without -o":      {[]string{"bundle", "create"}, "bundle create needs -o FILE"},
		"images of a non-bundle": {[]string{"bundle", "images", "--bundle", notBundle}, "is damaged or was modified"},
		"images, two sources":    {[]string{"bundle", "images", "--bundle", notBundle, "--profile", "default"}, "drop --profile"},
		"bundle, missing locked": {[]string{"template", "--bundle", notBundle, "--locked", filepath.Join(dir, "x.lock")}, "x.lock does not exist"},
		"missing lock":           {[]string{"template", "--locked", filepath.Join(dir, "none.lock")}, "does not exist; write one with `slipway up --lock"},
		"damaged bundle":         {[]string{"up", "--bundle", notBundle}, "not a gzip file"},
		"missing bundle":         {[]string{"template", "--bundle", filepath.Join(dir, "none.tgz")}, "none.tgz"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := run(tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

// The shared plan flags carry the new chart-source flags; --lock is up's.
func TestPlanFlags(t *testing.T) {
	names := map[string]bool{}
	diffCommand().Flags().VisitAll(func(f *pflag.Flag) { names[f.Name] = true })
	for _, n := range []string{"offline", "cache-dir", "locked", "bundle", "registry-config", "repository-config"} {
		if !names[n] {
			t.Errorf("diff/template lack --%s", n)
		}
	}
	if names["lock"] {
		t.Error("--lock should be up's alone")
	}
}
