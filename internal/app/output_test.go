package app

import (
	"encoding/json"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/report"
)

// The commands that need no cluster print documents with apiVersion and
// kind end to end (the report package pins each document's bytes).
func TestCommandDocuments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		kind string
	}{
		{[]string{"version", "-o", "json"}, "Version"},
		{[]string{"version", "-o", "yaml"}, "Version"},
		{[]string{"profiles", "list", "-o", "json"}, "ProfileList"},
		{[]string{"profiles", "show", "default@1.0.0", "-o", "json"}, "Profile"},
		{[]string{"profiles", "show", "default@1.0.0"}, "Profile"},
	} {
		code, out, errOut := run(tc.args...)
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yamlOrJSON([]byte(out), &head); code != 0 || err != nil || head.APIVersion != "slipway.dev/v1alpha1" || head.Kind != tc.kind {
			t.Errorf("%v: exit %d, %s %s (%v), want slipway.dev/v1alpha1 %s\n%s%s", tc.args, code, head.APIVersion, head.Kind, err, tc.kind, out, errOut)
		}
	}
	// version's profiles are the newest of each built-in profile.
	_, out, _ := run("version", "-o", "json")
	var v report.Version
	json.Unmarshal([]byte(out), &v)
	if len(v.Profiles) != 3 || v.Profiles[1].Name != "default" || v.GoVersion == "" {
		t.Errorf("version document: %+v", v)
	}
}

func TestMaskPasswordsAndNotReady(t *testing.T) {
	r := report.Up{Components: []report.Component{{Name: "traefik"}, {Name: "jenkins", Password: "pw"}}}
	if !maskPasswords(&r) || r.Components[1].Password != "********" || r.Components[0].Password != "" {
		t.Errorf("masked: %+v", r.Components)
	}
	if maskPasswords(&report.Up{Components: []report.Component{{Name: "traefik"}}}) {
		t.Error("nothing to hide, but said it hid something")
	}
	if err := notReady([]report.Status{{Component: "a", Readiness: "ready"}}); err != nil {
		t.Errorf("all ready: %v", err)
	}
	err := notReady([]report.Status{{Component: "a", Readiness: "ready"}, {Component: "b", Readiness: "progressing"}, {Component: "c", Readiness: "missing"}})
	ee, ok := err.(*exitError)
	if !ok || ee.code != 4 || err.Error() != "not ready: b (progressing), c (missing)" {
		t.Errorf("not ready: %v", err)
	}
}

func yamlOrJSON(data []byte, v any) error {
	return yaml.Unmarshal(data, v)
}

// up --help groups its flags under headings; piped help is not wrapped.
func TestUpHelpHeadings(t *testing.T) {
	code, out, _ := run("up", "--help")
	last := -1
	for _, h := range []string{"\nProfile flags:\n", "\nValues flags:\n", "\nCharts flags:\n", "\nCluster flags:\n", "\nInstall flags:\n", "\nOutput flags:\n", "\nGlobal flags:\n"} {
		i := strings.Index(out, h)
		if code != 0 || i < last {
			t.Fatalf("heading %q missing or out of order (exit %d):\n%s", strings.TrimSpace(h), code, out)
		}
		last = i
	}
	if strings.Contains(out, "Other flags:") {
		t.Errorf("an up flag has no heading (add it to flagCategories):\n%s", out)
	}
}
