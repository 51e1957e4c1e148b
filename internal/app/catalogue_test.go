package app

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// catalogue is the per-test scratch world the rows refer to: files in dir,
// a kubeconfig whose server is a closed loopback port, and a loopback
// chart repository.
type catalogue struct {
	dir, kubeconfig, repo, notRepo, port string
}

func newCatalogue(t *testing.T) *catalogue {
	t.Helper()
	c := &catalogue{dir: t.TempDir()}
	t.Setenv("SLIPWAY_CACHE_DIR", filepath.Join(c.dir, "cache"))
	t.Setenv("KUBECONFIG", "")

	// A port that was free a moment ago and has nothing listening now.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, c.port, _ = net.SplitHostPort(l.Addr().String())
	l.Close()
	c.kubeconfig = c.write(t, "kubeconfig", `apiVersion: v1
kind: Config
clusters:
- name: closed
  cluster: {server: "https://127.0.0.1:`+c.port+`"}
users:
- name: someone
  user: {token: not-a-real-token}
contexts:
- name: closed
  context: {cluster: closed, user: someone}
current-context: closed
`)

	// A classic Helm repository with one chart, web, at 1.0.0 and 1.1.0;
	// and a web page where a repository was expected.
	mux := http.NewServeMux()
	mux.HandleFunc("/charts/index.yaml", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `apiVersion: v1
entries:
  web:
  - {apiVersion: v2, name: web, version: 1.1.0, urls: [web-1.1.0.tgz]}
  - {apiVersion: v2, name: web, version: 1.0.0, urls: [web-1.0.0.tgz]}
generated: "2026-01-01T00:00:00Z"
`)
	})
	mux.HandleFunc("/site/index.yaml", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><body>Welcome to our site</body></html>\n")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c.repo, c.notRepo = srv.URL+"/charts", srv.URL+"/site"
	return c
}

func (c *catalogue) write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(c.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// profile writes a one-component profile whose chart is chart (a YAML
// flow map) and returns its path.
func (c *catalogue) profile(t *testing.T, name, chart string) string {
	return c.write(t, name, `apiVersion: slipway.dev/v1alpha1
kind: Profile
name: web
version: 1.0.0
description: one chart
components:
- name: web
  chart: `+chart+`
  namespace: web
`)
}

// expand replaces {dir}, {repo}, {notrepo}, {port} and {kubeconfig}.
func (c *catalogue) expand(s string) string {
	return strings.NewReplacer("{dir}", c.dir, "{repo}", c.repo, "{notrepo}", c.notRepo, "{port}", c.port, "{kubeconfig}", c.kubeconfig).Replace(s)
}

type badInput struct {
	name string
	args []string
	// files are written into the scratch dir before the run.
	files map[string]string
	// modes are the files' modes where not 0600.
	modes map[string]os.FileMode
	code  int
	// want is the whole error, as printed after "slipway: " on stderr
	// (up to the end); with prefix, only its beginning.
	want   string
	prefix bool
}

// run runs every case against c and checks its exit code, its message
// and that it wrote no result.
func (c *catalogue) run(t *testing.T, cases []badInput) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for name, content := range tc.files {
				c.write(t, name, content)
			}
			for name, mode := range tc.modes {
				if err := os.Chmod(filepath.Join(c.dir, name), mode); err != nil {
					t.Fatal(err)
				}
			}
			args := []string{"slipway"}
			for _, a := range tc.args {
				args = append(args, c.expand(a))
			}
			if usesCluster(tc.args[0]) && !contains(args, "--kubeconfig") {
				args = append(args, "--kubeconfig", c.kubeconfig)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var out, errb bytes.Buffer
			code := Run(ctx, args, strings.NewReader(""), &out, &errb)
			_, got, found := strings.Cut(errb.String(), "slipway: ")
			got = strings.TrimSuffix(got, "\n")
			want := c.expand(tc.want)
			switch {
			case code != tc.code:
				t.Errorf("%s\nexit %d, want %d; stderr:\n%s", strings.Join(args, " "), code, tc.code, errb.String())
			case !found:
				t.Errorf("no error line on stderr:\n%s", errb.String())
			case tc.prefix && !strings.HasPrefix(got, want):
				t.Errorf("error:\n%s\nwant it to begin with:\n%s", got, want)
			case !tc.prefix && got != want:
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
			if out.Len() > 0 && code != 0 && !strings.Contains(strings.Join(args, " "), "--dry-run") {
				t.Errorf("bad input wrote to stdout:\n%s", out.String())
			}
		})
	}
}

// usesCluster says whether a case's command takes --kubeconfig: the
// others refuse it (they never read a cluster).
func usesCluster(first string) bool {
	return !strings.HasPrefix(first, "-") && !contains([]string{"upp", "profiles", "template", "version", "bundle", "completion", "cluster", "xyzzy", "stauts", "credentails"}, first)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
