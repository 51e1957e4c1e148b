package app

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
)

// --debug and SLIPWAY_DEBUG=1 print each HTTP request (here: the chart
// repository's index, with a login from repositories.yaml, so the request
// carries an Authorization header, and the Kubernetes API of `status`);
// no header and no password ever shows. Without them there is no debug
// line at all.
func TestDebugOutput(t *testing.T) {
	c := newCatalogue(t)
	profile := c.profile(t, "web.yaml", `{repo: "{repo}", name: web, version: "~1.0"}`)
	profile = c.write(t, "web.yaml", c.expand(readFile(t, profile)))
	repos := c.write(t, "repositories.yaml", c.expand(`apiVersion: ""
generated: "2026-01-01T00:00:00Z"
repositories:
- name: web
  url: {repo}
  username: robot
  password: repo-pass-s3cr3t
`))
	template := []string{"slipway", "template", "--profile", profile, "--repository-config", repos}
	status := []string{"slipway", "status", "--kubeconfig", c.kubeconfig}
	index := regexp.MustCompile(`(?m)^debug: http: GET ` + regexp.QuoteMeta(c.repo) + `/index\.yaml 200 \([0-9.]+[mµn]?s\)$`)
	api := regexp.MustCompile(`(?m)^debug: http: GET https://127\.0\.0\.1:` + c.port + `/version\?timeout=10s: .*connection refused`)

	for _, tc := range []struct {
		name string
		args []string
		env  string
		want *regexp.Regexp
	}{
		{"template --debug", append(append([]string{}, template...), "--debug"), "", index},
		{"--debug before the command", append([]string{"slipway", "--debug"}, template[1:]...), "", index},
		{"SLIPWAY_DEBUG=1 template", template, "1", index},
		{"status --debug", append(append([]string{}, status...), "--debug"), "", api},
		{"template", template, "", nil},
		{"SLIPWAY_DEBUG=0 template", template, "0", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SLIPWAY_DEBUG", tc.env)
			var out, errb bytes.Buffer
			Run(context.Background(), tc.args, strings.NewReader(""), &out, &errb)
			got := errb.String()
			switch {
			case tc.want == nil && strings.Contains(got, "debug:"):
				t.Errorf("debug lines without --debug:\n%s", got)
			case tc.want != nil && !tc.want.MatchString(got):
				t.Errorf("stderr:\n%s\nwant a line matching %s", got, tc.want)
			}
			for _, secret := range []string{"s3cr3t", "Authorization", "Basic ", "not-a-real-token", "Bearer"} {
				if strings.Contains(got, secret) || strings.Contains(out.String(), secret) {
					t.Errorf("output shows %q:\n%s", secret, got)
				}
			}
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
