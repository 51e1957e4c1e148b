package values

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestMergeLeavesInputsAlone(t *testing.T) {
	dst := map[string]any{"a": map[string]any{"x": 1, "y": 2}, "b": "keep"}
	src := map[string]any{"a": map[string]any{"y": 3, "z": map[string]any{"n": 1}}, "c": []any{1}}
	got := Merge(dst, src)
	want := map[string]any{"a": map[string]any{"x": 1, "y": 3, "z": map[string]any{"n": 1}}, "b": "keep", "c": []any{1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Merge = %v, want %v", got, want)
	}
	if dst["a"].(map[string]any)["y"] != 2 {
		t.Errorf("Merge modified dst: %v", dst)
	}
	got["a"].(map[string]any)["z"].(map[string]any)["n"] = 9
	if src["a"].(map[string]any)["z"].(map[string]any)["n"] != 1 {
		t.Errorf("the result shares maps with src: %v", src)
	}
}

func TestSetPathAndLookup(t *testing.T) {
	m := map[string]any{"a": "not a map"}
	SetPath(m, "a.b.c", 1)
	SetPath(m, "d", true)
	if v, ok := Lookup(m, "a.b.c"); !ok || v != 1 {
		t.Errorf("Lookup a.b.c = %v, %v", v, ok)
	}
	if v, ok := Lookup(m, "d"); !ok || v != true {
		t.Errorf("Lookup d = %v, %v", v, ok)
	}
	for _, p := range []string{"a.b.x", "d.e", "nope"} {
		if v, ok := Lookup(m, p); ok {
			t.Errorf("Lookup %s = %v, want absent", p, v)
		}
	}
}

func TestParseFlags(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	list := filepath.Join(dir, "list.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("controller:\n  numExecutors: 2\n"), 0o600)
	os.WriteFile(list, []byte("- a\n"), 0o600)
	os.WriteFile(bad, []byte("a: [\n"), 0o600)

	ov, err := ParseFlags([]string{"jenkins.controller.x=1", "jenkins.controller.y=b"}, []string{"jenkins=" + good})
	if err != nil {
		t.Fatal(err)
	}
	if len(ov.Sets["jenkins"]) != 2 || len(ov.Files["jenkins"]) != 1 {
		t.Errorf("overrides %+v", ov)
	}
	if v, _ := Lookup(ov.Files["jenkins"][0], "controller.numExecutors"); v != float64(2) {
		t.Errorf("-f decoded numExecutors as %#v, want float64(2) as Helm does", v)
	}

	_, err = ParseFlags([]string{"nodot", "a.b"}, []string{"nofile", "a=" + list, "b=" + bad, "c=" + filepath.Join(dir, "missing.yaml")})
	want := `--set "nodot": want COMPONENT.KEY=VALUE, e.g. --set jenkins.controller.numExecutors=2
--set "a.b": want COMPONENT.KEY=VALUE, e.g. --set jenkins.controller.numExecutors=2
-f "nofile": want COMPONENT=FILE, e.g. -f jenkins=jenkins-values.yaml
values file ` + list + ` (for a): the top level is a list, want a map of chart values like ` + "`controller: {numExecutors: 2}`" + `
values file ` + bad + ` (for b): not valid YAML: ` + bad + `:2:1: did not find expected node content
-f c=` + filepath.Join(dir, "missing.yaml") + `: open ` + filepath.Join(dir, "missing.yaml") + `: no such file or directory`
	if err == nil || err.Error() != want {
		t.Errorf("errors:\n%v\nwant:\n%s", err, want)
	}
}
