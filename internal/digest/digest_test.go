package digest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDir(t *testing.T) {
	mk := func(files map[string]string) string {
		dir := t.TempDir()
		for name, content := range files {
			p := filepath.Join(dir, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		d, err := Dir(dir)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a := mk(map[string]string{"Chart.yaml": "name: a", "templates/x.yaml": "x"})
	b := mk(map[string]string{"templates/x.yaml": "x", "Chart.yaml": "name: a"})
	c := mk(map[string]string{"Chart.yaml": "name: a", "templates/x.yaml": "y"})
	d := mk(map[string]string{"Chart.yaml": "name: a", "templates/y.yaml": "x"})
	if a != b || a == c || a == d || !Valid(a) {
		t.Errorf("digests: same content %s %s, other content %s, renamed %s", a, b, c, d)
	}
}

func TestValid(t *testing.T) {
	hex64 := strings.Repeat("0123456789abcdef", 4)
	for d, want := range map[string]bool{
		"sha256:" + hex64:                      true,
		"sha256:" + strings.ToUpper(hex64):     false, // lowercase only: one spelling per digest
		"sha256:" + hex64[:63]:                 false,
		"sha256:" + hex64 + "0":                false,
		"sha512:" + hex64:                      false,
		"sha256:../../../../etc/" + hex64[:50]: false,
		"":                                     false,
	} {
		if got := Valid(d); got != want {
			t.Errorf("Valid(%q) = %v, want %v", d, got, want)
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := WriteFileAtomic(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	st, serr := os.Stat(p)
	if err != nil || serr != nil || string(data) != "two" || st.Mode().Perm() != 0o600 {
		t.Fatalf("content %q mode %v (%v, %v), want \"two\" 0600", data, st.Mode().Perm(), err, serr)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("temp files left beside %s: %v", p, entries)
	}
}

// TestDirRefusesSymlinks: Helm's loader follows a symlink that Dir would
// not hash (issue 17, item 3), so a chart directory holding one has no
// digest.
func TestDirRefusesSymlinks(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "templates"), 0o755)
	os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("name: a"), 0o600)
	outside := filepath.Join(t.TempDir(), "rbac.yaml")
	os.WriteFile(outside, []byte("kind: ClusterRoleBinding"), 0o600)
	link := filepath.Join(dir, "templates", "rbac.yaml")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	_, err := Dir(dir)
	want := "chart directory " + dir + ": " + link + " is a symlink; a chart directory may hold only regular files and directories (Helm would follow a link its digest does not cover): replace it with the file itself"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
	// The directory itself a link: refused too, not hashed as empty.
	root := filepath.Join(t.TempDir(), "chart")
	os.Symlink(filepath.Join(dir, "templates"), root)
	if _, err := Dir(root); err == nil || !strings.Contains(err.Error(), root+" is a symlink") {
		t.Errorf("a linked chart directory: %v", err)
	}
}
