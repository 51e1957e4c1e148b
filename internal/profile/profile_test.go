package profile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/slipway-dev/slipway/profiles"
)

func TestDecodeInvalid(t *testing.T) {
	cases := map[string]string{
		"invalid-unknown-field.yaml":    `invalid profile: testdata/invalid-unknown-field.yaml:9: components[0].namespce: unknown field "namespce", did you mean "namespace"? (known: name, group, option, ingressClass, chart, namespace, release, needs, dependentsStart, values, host, credentials, secrets, warning, enabledBy, registry, pipeline)`,
		"invalid-dependents-start.yaml": `invalid profile: testdata/invalid-dependents-start.yaml:10: components[0].dependentsStart: "applied" is not a choice: ready (the default: dependents wait until it is Ready), installed (dependents start once its release is applied) or started (dependents start with it)`,
		"invalid-secrets.yaml": `invalid profile: 6 problems:
  testdata/invalid-secrets.yaml:17: components[0].secrets[0].length: 8 is too short: at least 16
  testdata/invalid-secrets.yaml:18: components[0].secrets[1].name: secret "agent-redis" is listed twice
  testdata/invalid-secrets.yaml:19: components[0].secrets[1].key: required: a Secret data key (letters, digits, '-', '_', '.'), got "a/b"
  testdata/invalid-secrets.yaml:20: components[0].secrets[2].name: "agent-admin" is the credentials Secret of agent: give the generated Secret another name
  testdata/invalid-secrets.yaml:22: components[0].secrets[3].name: "Agent_Cache" is not a valid Secret name
  testdata/invalid-secrets.yaml: components[0].secrets[3].key: required: a Secret data key (letters, digits, '-', '_', '.'), got ""`,
		"invalid-host.yaml": `invalid profile: 4 problems:
  testdata/invalid-host.yaml:11: components[0].host.prefix: "Agent" is not a valid host name label
  testdata/invalid-host.yaml:10: components[0].host: "configs.cm.url[0]" is not a dotted values path like controller.ingress.hostName
  testdata/invalid-host.yaml:10: components[0].host: "global.domain" is listed twice: a values path receives one of hostname, ingress class or URL
  testdata/invalid-host.yaml: components[1].host.paths: name at least one values path that receives the hostname`,
		"invalid-values.yaml": `invalid profile: 7 problems:
  testdata/invalid-values.yaml:9: components[0].namespace: required: a valid namespace name (a DNS label of at most 63 characters), got "a-namespace-name-that-is…"
  testdata/invalid-values.yaml:11: components[0].credentials.length: 73 is too long: at most 72 (bcrypt reads only the first 72 bytes)
  testdata/invalid-values.yaml:15: components[1].namespace: "kube-system" belongs to Kubernetes: give the component a namespace of its own (down deletes it)
  testdata/invalid-values.yaml:17: components[1].credentials.digits: -10 is negative: say how many digits, or leave it out for 4
  testdata/invalid-values.yaml:18: components[1].credentials.symbols: -1 is negative: say how many symbols, or leave it out for 2
  testdata/invalid-values.yaml:22: components[2].namespace: "default" belongs to Kubernetes: give the component a namespace of its own (down deletes it)
  testdata/invalid-values.yaml:25: components[3].namespace: required: a valid namespace name (a DNS label of at most 63 characters), got "a.b"`,
		"invalid-constraint.yaml": `invalid profile: testdata/invalid-constraint.yaml:8: components[0].chart.version: invalid semver constraint "~5.x.y": improper constraint: "~5.x.y"`,
		"invalid-needs.yaml": `invalid profile: 2 problems:
  testdata/invalid-needs.yaml:10: components[0].needs: "nope" is neither a component nor a group of this profile
  testdata/invalid-needs.yaml:6: components: needs form a cycle: a → b → a`,
		"invalid-sources.yaml": `invalid profile: 5 problems:
  testdata/invalid-sources.yaml:4: version: "1.0" is not a semantic version like 1.0.0
  testdata/invalid-sources.yaml:8: components[0].chart: no chart source: set repo and name, oci, or path
  testdata/invalid-sources.yaml:11: components[1].chart: more than one chart source: set only one of repo+name, oci, path
  testdata/invalid-sources.yaml:13: components[2].name: duplicate component "two" (also components[1])
  testdata/invalid-sources.yaml:14: components[2].chart.oci: "ghcr.io/x/y" is not an OCI chart reference like oci://ghcr.io/org/charts/name (the version goes in chart.version)`,
		"invalid-apiversion.yaml": `invalid profile: testdata/invalid-apiversion.yaml:1: apiVersion: unsupported apiVersion "slipway.dev/v2" and kind "Profile": this slipway reads apiVersion: slipway.dev/v1alpha1, kind: Profile`,
		"invalid-yaml.yaml":       `invalid profile: testdata/invalid-yaml.yaml:6:4: not valid YAML: did not find expected '-' indicator (while parsing a block collection at line 5, column 3)`,
	}
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			path := filepath.Join("testdata", file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Decode(path, data)
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != want {
				t.Errorf("error:\n%s\nwant:\n%s", err, want)
			}
		})
	}
}

func TestDecodeValidAppliesDefaults(t *testing.T) {
	p, err := NewCatalog(nil).Resolve("testdata/valid-minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Components[0].Release != "web" || p.Dir != "testdata" {
		t.Errorf("defaults not applied: %+v", p.Components[0])
	}
}

// TestDecodeValidHost: a host may name values paths for the hostname, the
// ingress class and the printed URL, each path once.
func TestDecodeValidHost(t *testing.T) {
	p, err := NewCatalog(nil).Resolve("testdata/valid-host.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if h := p.Components[0].Host; h == nil || strings.Join(h.URLPaths, ",") != "config.url,notifications.url" {
		t.Errorf("host = %+v", h)
	}
}

func catalog() *Catalog {
	doc := func(name, version string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(`apiVersion: slipway.dev/v1alpha1
kind: Profile
name: ` + name + `
version: ` + version + `
description: ` + name + ` ` + version + `
components:
- name: web
  chart: {repo: https://example.com/charts, name: web, version: "~1.0"}
  namespace: web
`)}
	}
	return NewCatalog(fstest.MapFS{
		"default/1.0.0.yaml": doc("default", "1.0.0"),
		"default/1.1.0.yaml": doc("default", "1.1.0"),
		"default/2.0.0.yaml": doc("default", "2.0.0"),
		"minimal/1.0.0.yaml": doc("minimal", "1.0.0"),
	})
}

func TestCatalogResolve(t *testing.T) {
	c := catalog()
	for ref, want := range map[string]string{"default": "2.0.0", "default@1.0.0": "1.0.0", "default@~1.0": "1.0.0", "default@^1.0": "1.1.0", "minimal": "1.0.0"} {
		p, err := c.Resolve(ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if p.Version != want {
			t.Errorf("%s resolved to %s, want %s", ref, p.Version, want)
		}
	}
	for ref, want := range map[string]string{
		"nosuch":        `no profile "nosuch"; available: default@2.0.0|1.1.0|1.0.0, minimal@1.0.0 (or a path to a profile file)`,
		"default@3.0.0": `no profile "default@3.0.0"; available: default@2.0.0|1.1.0|1.0.0, minimal@1.0.0 (or a path to a profile file)`,
	} {
		if _, err := c.Resolve(ref); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %s", ref, err, want)
		}
	}
	list, err := c.List()
	if err != nil || len(list) != 2 || strings.Join(list[0].Versions, ",") != "2.0.0,1.1.0,1.0.0" {
		t.Fatalf("List = %+v, %v", list, err)
	}
}

func TestEmbeddedProfilesAreValid(t *testing.T) {
	list, err := NewCatalog(profiles.FS).List()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		for _, v := range s.Versions {
			if _, err := NewCatalog(profiles.FS).Resolve(s.Name + "@" + v); err != nil {
				t.Errorf("%s@%s: %v", s.Name, v, err)
			}
		}
	}
}

func TestSelect(t *testing.T) {
	p, err := NewCatalog(profiles.FS).Resolve("default@1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	names := func(p *Profile) string {
		var n []string
		for _, c := range p.Components {
			n = append(n, c.Name+"<"+strings.Join(c.Needs, "+")+">")
		}
		return strings.Join(n, " ")
	}
	for _, tc := range []struct {
		choices map[string]string
		without []string
		want    string
	}{
		{nil, nil, "traefik<> jenkins<traefik> argocd<traefik> argocd-repo<argocd>"},
		{map[string]string{"gitops": "flux", "ingress": "nginx"}, nil, "ingress-nginx<> jenkins<ingress-nginx> flux-operator<> flux-instance<flux-operator> flux-repo<flux-instance>"},
		{map[string]string{"gitops": "none"}, []string{"jenkins"}, "traefik<>"},
		{map[string]string{"ingress": "none"}, []string{"argocd-repo"}, "jenkins<> argocd<>"},
	} {
		got, err := Select(p, tc.choices, tc.without)
		if err != nil {
			t.Fatal(err)
		}
		if names(got) != tc.want {
			t.Errorf("Select(%v, %v) = %s, want %s", tc.choices, tc.without, names(got), tc.want)
		}
	}
	_, err = Select(p, map[string]string{"gitops": "fluxcd"}, []string{"jenkinz"})
	want := "--gitops fluxcd: profile default@1.0.0 offers argocd, flux, or none\n--without jenkinz: no such component in profile default@1.0.0 (components: argocd, argocd-repo, flux-instance, flux-operator, flux-repo, ingress-nginx, jenkins, traefik)"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}
