package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestOCIRegistryLogin: charts from an OCI registry that wants a login.
// The in-process registry sits behind a proxy that demands HTTP basic
// auth, as a private registry does. Without a login, `template` fails
// naming the registry and `helm registry login`; a login slipway does not
// accept is refused the same way; with the file `helm registry login`
// writes (--registry-config) every chart is fetched, and the password
// shows in no output.
func TestOCIRegistryLogin(t *testing.T) {
	const user, pass = "robot", "s3cret-registry-pass-9f2c"
	upstream, err := url.Parse("http://" + strings.SplitN(strings.TrimPrefix(sources.oci.URL(), "oci://"), "/", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	var authorized, refused atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			refused.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="slipway-e2e"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		authorized.Add(1)
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	mirror := "oci://" + host + "/charts"
	dir := t.TempDir()
	config := func(name, login string) string {
		f := filepath.Join(dir, name)
		auths := map[string]any{}
		if login != "" {
			auths[host] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(login))}
		}
		data, _ := json.Marshal(map[string]any{"auths": auths})
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	profile := fixtureProfile(t, "ociauth")
	template := func(registryConfig string) result {
		coldCache(t)
		return slipway(t, "template", "--profile", profile, "--chart-mirror", mirror, "--registry-config", registryConfig)
	}

	for name, login := range map[string]string{"none.json": "", "wrong.json": user + ":not-the-password"} {
		cfg := config(name, login)
		r := template(cfg)
		if r.code == 0 {
			t.Fatalf("%s: template succeeded against a registry that wants a login", name)
		}
		for _, want := range []string{"registry " + host + " asks for a login (HTTP 401)", "the registry config " + cfg, "`helm registry login " + host + "`"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%s: stderr lacks %q", name, want)
			}
		}
	}
	if authorized.Load() != 0 || refused.Load() == 0 {
		t.Fatalf("without a valid login: %d authorized, %d refused requests", authorized.Load(), refused.Load())
	}

	r := template(config("login.json", user+":"+pass))
	if r.code != 0 {
		t.Fatalf("template with the login exited %d", r.code)
	}
	for _, kind := range []string{"app.kubernetes.io/name: ciserver", "kind: StatefulSet", "kind: Deployment"} {
		if !strings.Contains(r.stdout, kind) {
			t.Errorf("the rendered platform lacks %q", kind)
		}
	}
	if authorized.Load() == 0 {
		t.Error("no request reached the registry with the login")
	}
	if strings.Contains(r.stdout+r.stderr, pass) {
		t.Error("the registry password shows in template's output")
	}
}
