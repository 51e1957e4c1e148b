package plan

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/values"
	"github.com/slipway-dev/slipway/profiles"
)

func defaultInput(t *testing.T, choices map[string]string) Input {
	t.Helper()
	p, err := profile.NewCatalog(profiles.FS).Resolve("default@1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	sel, err := profile.Select(p, choices, nil)
	if err != nil {
		t.Fatal(err)
	}
	charts := map[string]Chart{}
	for _, c := range sel.Components {
		charts[c.Name] = Chart{Name: c.Chart.Name, Version: "1.0.0"}
	}
	return Input{
		Profile: sel, Charts: charts, Domain: "sslip.io", IP: "127.0.0.1",
		Credentials: map[string]Credential{
			"jenkins": {SecretName: "jenkins-admin-credentials", UsernameKey: "jenkins-admin-user", PasswordKey: "jenkins-admin-password", Username: "admin"},
			"argocd":  {SecretName: "argocd-admin-credentials", Hash: "$2a$10$hash", Mtime: "2026-11-24T12:00:00Z"},
		},
	}
}

func lookup(t *testing.T, r Release, path string) any {
	t.Helper()
	v, ok := values.Lookup(r.Values, path)
	if !ok {
		t.Fatalf("%s: no value at %s", r.Component, path)
	}
	return v
}

func TestBuildWiresHostsClassesAndCredentials(t *testing.T) {
	p, err := Build(defaultInput(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Release{}
	for _, r := range p.Releases {
		byName[r.Component] = r
	}
	j := byName["jenkins"]
	if j.URL != "http://jenkins.127.0.0.1.sslip.io" {
		t.Errorf("jenkins URL %q", j.URL)
	}
	for path, want := range map[string]any{
		"controller.ingress.hostName":         "jenkins.127.0.0.1.sslip.io",
		"controller.ingress.ingressClassName": "traefik",
		"controller.admin.existingSecret":     "jenkins-admin-credentials",
		"controller.admin.passwordKey":        "jenkins-admin-password",
		"controller.ingress.enabled":          true, // profile default kept beside generated keys
	} {
		if got := lookup(t, j, path); got != want {
			t.Errorf("jenkins %s = %v, want %v", path, got, want)
		}
	}
	a := byName["argocd"]
	if got := lookup(t, a, "configs.secret.argocdServerAdminPassword"); got != "$2a$10$hash" {
		t.Errorf("argocd hash = %v", got)
	}
	if !reflect.DeepEqual(j.Needs, []string{"traefik"}) {
		t.Errorf("jenkins needs %v", j.Needs)
	}
	in := defaultInput(t, nil)
	for _, r := range p.Releases {
		if leaks := passwordLeaves(r.Values, in.Credentials[r.Component]); len(leaks) > 0 {
			t.Errorf("%s: values under a password key hold something other than a Secret reference or a hash: %v", r.Component, leaks)
		}
	}
	// The check itself must be able to fail: a plain password set by hand
	// is caught.
	in.Sets = map[string][]map[string]any{"jenkins": {{"controller": map[string]any{"admin": map[string]any{"password": "hunter2hunter2"}}}}}
	p2, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p2.Releases {
		if r.Component == "jenkins" {
			if leaks := passwordLeaves(r.Values, in.Credentials["jenkins"]); !slices.Contains(leaks, "controller.admin.password") {
				t.Errorf("a plain password at controller.admin.password was not caught: %v", leaks)
			}
		}
	}
}

// passwordLeaves returns the paths of string values whose key mentions a
// password and that are neither empty, nor a reference to the credentials
// Secret (its name or key), nor the bcrypt hash and its mtime.
func passwordLeaves(m map[string]any, cred Credential) []string {
	var out []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if mm, ok := v.(map[string]any); ok {
				walk(prefix+k+".", mm)
				continue
			}
			s, isString := v.(string)
			if !isString || s == "" || !strings.Contains(strings.ToLower(k), "password") {
				continue
			}
			if s != cred.PasswordKey && s != cred.SecretName && s != cred.Hash && s != cred.Mtime {
				out = append(out, prefix+k)
			}
		}
	}
	walk("", m)
	slices.Sort(out)
	return out
}

func TestValuePrecedence(t *testing.T) {
	in := defaultInput(t, nil)
	in.Files = map[string][]map[string]any{"jenkins": {
		{"controller": map[string]any{"numExecutors": 1, "ingress": map[string]any{"hostName": "from-file"}}},
		{"controller": map[string]any{"numExecutors": 2}},
	}}
	in.Sets = map[string][]map[string]any{"jenkins": {{"controller": map[string]any{"numExecutors": 3}}}}
	p, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	j := p.Releases[1]
	if got := lookup(t, j, "controller.numExecutors"); got != 3 {
		t.Errorf("--set should win: %v", got)
	}
	if got := lookup(t, j, "controller.ingress.hostName"); got != "from-file" {
		t.Errorf("a file should beat the generated hostname: %v", got)
	}
	if got := lookup(t, j, "controller.ingress.enabled"); got != true {
		t.Errorf("a file must not wipe sibling keys: %v", got)
	}
}

func TestBuildReportsAllProblems(t *testing.T) {
	in := defaultInput(t, nil)
	delete(in.Credentials, "argocd")
	in.Sets = map[string][]map[string]any{"jenkinz": {{"a": 1}}}
	_, err := Build(in)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`no component "jenkinz" in profile default@`, "component argocd: declares credentials but none were provided"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func TestLevels(t *testing.T) {
	p, err := Build(defaultInput(t, map[string]string{"gitops": "flux"}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, lvl := range p.Levels() {
		var names []string
		for _, r := range lvl {
			names = append(names, r.Component)
		}
		got = append(got, strings.Join(names, ","))
	}
	if want := "traefik,flux-operator|jenkins,flux-instance|flux-repo"; strings.Join(got, "|") != want {
		t.Errorf("levels %v, want %s", got, want)
	}
}

// TestBuildGivesURLPathsThePrintedURL: host.urlPaths receive exactly the
// URL the report prints, scheme included, beside the bare hostname.
func TestBuildGivesURLPathsThePrintedURL(t *testing.T) {
	p := &profile.Profile{Name: "t", Version: "1.0.0", Components: []profile.Component{{
		Name: "agent", Namespace: "agent",
		Host: &profile.Host{Prefix: "agent", Paths: []string{"global.domain"}, URLPaths: []string{"configs.cm.url", "notifications.argocdUrl"}},
	}}}
	pl, err := Build(Input{Profile: p, Charts: map[string]Chart{"agent": {Name: "agent", Version: "1.0.0"}}, Domain: "sslip.io", IP: "10.0.0.7"})
	if err != nil {
		t.Fatal(err)
	}
	r := pl.Releases[0]
	if r.URL != "http://agent.10.0.0.7.sslip.io" {
		t.Fatalf("URL = %q", r.URL)
	}
	for path, want := range map[string]any{"global.domain": r.Host, "configs.cm.url": r.URL, "notifications.argocdUrl": r.URL} {
		if got := lookup(t, r, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
}
