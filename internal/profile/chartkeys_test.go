package profile

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/profiles"
)

// keyLists reads testdata/chartkeys/<chart>-<version>.txt: the values keys
// slipway relies on, per chart version ("a.b.*" is a free-form map).
func keyLists(t *testing.T) map[string]map[string][]string {
	t.Helper()
	files, _ := filepath.Glob("testdata/chartkeys/*.txt")
	out := map[string]map[string][]string{} // chart -> version -> keys
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".txt")
		i := strings.LastIndex(base, "-")
		chart, version := base[:i], base[i+1:]
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				keys = append(keys, l)
			}
		}
		if out[chart] == nil {
			out[chart] = map[string][]string{}
		}
		out[chart][version] = keys
	}
	return out
}

func covered(key string, list []string) bool {
	for _, k := range list {
		if k == key || (strings.HasSuffix(k, ".*") && strings.HasPrefix(key, strings.TrimSuffix(k, "*"))) {
			return true
		}
	}
	return false
}

// leafPaths lists the dotted paths of a values tree's leaves; lists and
// empty maps are leaves.
func leafPaths(v any, prefix string) []string {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return []string{prefix}
	}
	var out []string
	for k, x := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		out = append(out, leafPaths(x, p)...)
	}
	sort.Strings(out)
	return out
}

// componentKeys are the values paths a component sets, its own and the
// generated ones (hostnames, classes, credentials wiring).
func componentKeys(c Component) []string {
	var keys []string
	if len(c.Values) > 0 {
		keys = leafPaths(c.Values, "")
	}
	if h := c.Host; h != nil {
		keys = append(keys, h.Paths...)
		keys = append(keys, h.ClassPaths...)
		keys = append(keys, h.URLPaths...)
	}
	if cr := c.Credentials; cr != nil {
		in := cr.Inject
		for _, l := range [][]string{in.ExistingSecret, in.UsernameKey, in.PasswordKey, in.Bcrypt, in.BcryptMtime} {
			keys = append(keys, l...)
		}
	}
	return keys
}

func chartName(c Component) string {
	if c.Chart.Name != "" {
		return c.Chart.Name
	}
	return path.Base(c.Chart.OCI)
}

// TestShippedProfilesSetOnlyKnownKeys: every value a shipped profile sets
// on a third-party chart is one slipway knows that chart version has, so a
// typo or a key the chart moved (Traefik 40 moved service.type to
// service.spec.type) fails here instead of being silently ignored by Helm.
func TestShippedProfilesSetOnlyKnownKeys(t *testing.T) {
	lists := keyLists(t)
	cat := NewCatalog(profiles.FS)
	all, err := cat.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		for _, v := range s.Versions {
			p, err := cat.Resolve(s.Name + "@" + v)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range p.Components {
				if c.Chart.Path != "" {
					continue // slipway's own chart, rendered in its own tests
				}
				versions, ok := lists[chartName(c)]
				if !ok {
					t.Errorf("%s@%s %s: no key list for chart %s in testdata/chartkeys", s.Name, v, c.Name, chartName(c))
					continue
				}
				con, _ := semver.NewConstraint(c.Chart.Version)
				var list []string
				found := false
				for ver, keys := range versions {
					if sv, err := semver.NewVersion(ver); err == nil && con.Check(sv) {
						list, found = keys, true
					}
				}
				if !found {
					t.Errorf("%s@%s %s: no key list for %s %s", s.Name, v, c.Name, chartName(c), c.Chart.Version)
					continue
				}
				for _, k := range componentKeys(c) {
					if !covered(k, list) {
						t.Errorf("%s@%s %s: sets %q, which %s does not have (or add it to testdata/chartkeys after checking the chart)", s.Name, v, c.Name, k, chartName(c))
					}
				}
			}
		}
	}
}

// TestKeyListsMatchUpstreamValues checks every listed key against the real
// chart's values.yaml and schema in ../shared/upstream-values (present on
// developer and CI machines beside the repo).
func TestKeyListsMatchUpstreamValues(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "upstream-values")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no upstream values at %s: %v", dir, err)
	}
	for chart, versions := range keyLists(t) {
		for version, keys := range versions {
			base := filepath.Join(dir, fmt.Sprintf("%s-%s", chart, version))
			data, err := os.ReadFile(base + ".values.yaml")
			if err != nil {
				t.Errorf("%s %s: %v", chart, version, err)
				continue
			}
			var values map[string]any
			if err := yaml.Unmarshal(data, &values); err != nil {
				t.Fatal(err)
			}
			var schema map[string]any
			if data, err := os.ReadFile(base + ".values.schema.json"); err == nil {
				json.Unmarshal(data, &schema)
			}
			for _, k := range keys {
				k = strings.TrimSuffix(k, ".*")
				if !inValues(values, k) && !inSchema(schema, k) {
					t.Errorf("%s %s: key %q is in neither values.yaml nor the schema", chart, version, k)
				}
			}
		}
	}
}

func inValues(v map[string]any, key string) bool {
	var cur any = v
	for _, p := range strings.Split(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[p]; !ok {
			return false
		}
	}
	return true
}

func inSchema(s map[string]any, key string) bool {
	if s == nil {
		return false
	}
	cur := s
	for _, p := range strings.Split(key, ".") {
		props, _ := cur["properties"].(map[string]any)
		if next, ok := props[p].(map[string]any); ok {
			cur = next
			continue
		}
		if next, ok := cur["additionalProperties"].(map[string]any); ok {
			cur = next
			continue
		}
		return false
	}
	return true
}
