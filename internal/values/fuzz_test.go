package values

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzSetParse feeds arbitrary --set and -f COMPONENT=FILE arguments, and
// arbitrary values-file contents, to the flag parser: it must never panic,
// and what it accepts must be filed under the component named before the
// first '.' (or '=').
//
//	go test ./internal/values -run '^$' -fuzz FuzzSetParse -fuzztime 60s
func FuzzSetParse(f *testing.F) {
	for _, seed := range []struct {
		set, file string
		values    []byte
	}{
		{"jenkins.controller.numExecutors=2", "jenkins", []byte("controller:\n  numExecutors: 2\n")},
		{"ci.list[0].name=a", "ci", []byte("a: [1, 2]\n")},
		{`ingress.nodeSelector.slipway\.dev/x=yes`, "ingress", []byte("- a\n")},
		{"a.b={x,y}", "a", []byte("a: [")},
		{"a.b[65536]=1", "=", []byte("\t")},
		{"a.=1", "", nil},
		{"jenkins", "jenkins=", []byte("~")},
	} {
		f.Add(seed.set, seed.file, seed.values)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, set, comp string, values []byte) {
		path := filepath.Join(dir, "values.yaml")
		if err := os.WriteFile(path, values, 0o600); err != nil {
			t.Fatal(err)
		}
		ov, err := ParseFlags([]string{set}, []string{comp + "=" + path})
		if err != nil {
			return
		}
		setComp, _, _ := strings.Cut(set, ".")
		if _, ok := ov.Sets[setComp]; !ok || len(ov.Sets) != 1 {
			t.Fatalf("--set %q filed under %v, want %q", set, slices.Collect(maps.Keys(ov.Sets)), setComp)
		}
		if _, ok := ov.Files[comp]; !ok || len(ov.Files) != 1 {
			t.Fatalf("-f %s=… filed under %v, want %q", comp, slices.Collect(maps.Keys(ov.Files)), comp)
		}
	})
}
