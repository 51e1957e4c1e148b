package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// --token, --as and --as-group (and Helm's HELM_KUBETOKEN/HELM_KUBEASUSER
// for those not given) are on the requests slipway makes, before or after
// the command; a flag wins over its variable. The server answers 401, so
// each run ends at the connection probe.
func TestKubeFlagsReachTheServer(t *testing.T) {
	c := newCatalogue(t)
	// Each case has a server of its own: a request a run left in flight
	// (a read it did not wait for) must not count for the next.
	serve := func(t *testing.T) (kubeconfig string, first func() http.Header) {
		var mu sync.Mutex
		var got []http.Header
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			got = append(got, r.Header.Clone())
			mu.Unlock()
			http.Error(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}`, http.StatusUnauthorized)
		}))
		t.Cleanup(srv.Close)
		kubeconfig = c.write(t, "kubeconfig-tls", `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "`+srv.URL+`", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: from-kubeconfig}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
`)
		return kubeconfig, func() http.Header {
			mu.Lock()
			defer mu.Unlock()
			if len(got) == 0 {
				t.Fatal("no request reached the server")
			}
			return got[0]
		}
	}
	for _, tc := range []struct {
		name      string
		args      []string
		env       map[string]string
		token, as string
		group     string
	}{
		{name: "flags after the command",
			args:  []string{"status", "--kubeconfig", "{kubeconfig}", "--token", "from-flag", "--as", "alice", "--as-group", "ops"},
			token: "from-flag", as: "alice", group: "ops"},
		{name: "flags before the command",
			args:  []string{"--token=from-flag", "--as", "alice", "--kubeconfig", "{kubeconfig}", "credentials"},
			token: "from-flag", as: "alice"},
		{name: "Helm's variables",
			args:  []string{"down", "--yes", "--kubeconfig", "{kubeconfig}"},
			env:   map[string]string{"HELM_KUBETOKEN": "from-env", "HELM_KUBEASUSER": "bob", "HELM_KUBEASGROUPS": "ops,dev"},
			token: "from-env", as: "bob", group: "ops"},
		{name: "a flag wins over its variable",
			args:  []string{"status", "--kubeconfig", "{kubeconfig}", "--token", "from-flag"},
			env:   map[string]string{"HELM_KUBETOKEN": "from-env"},
			token: "from-flag"},
		{name: "the kubeconfig's own without either",
			args:  []string{"status", "--kubeconfig", "{kubeconfig}"},
			token: "from-kubeconfig"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			kubeconfig, first := serve(t)
			args := strings.Fields(strings.ReplaceAll(strings.Join(tc.args, " "), "{kubeconfig}", kubeconfig))
			code, _, errOut := run(args...)
			if code != 1 || !strings.Contains(errOut, "rejected the credentials (401 Unauthorized)") {
				t.Fatalf("exit %d:\n%s", code, errOut)
			}
			h := first()
			if h.Get("Authorization") != "Bearer "+tc.token || h.Get("Impersonate-User") != tc.as || h.Get("Impersonate-Group") != tc.group {
				t.Errorf("Authorization %q, Impersonate-User %q, Impersonate-Group %q; want token %q, user %q, group %q",
					h.Get("Authorization"), h.Get("Impersonate-User"), h.Get("Impersonate-Group"), tc.token, tc.as, tc.group)
			}
			if strings.Contains(errOut, tc.token) {
				t.Errorf("the token shows in the error:\n%s", errOut)
			}
		})
	}
}

// A Helm variable slipway cannot read is bad input, named as set.
func TestHelmVariableNotABool(t *testing.T) {
	c := newCatalogue(t)
	t.Setenv("HELM_KUBEINSECURE_SKIP_TLS_VERIFY", "maybe")
	code, _, errOut := run("status", "--kubeconfig", c.kubeconfig)
	if want := "slipway: HELM_KUBEINSECURE_SKIP_TLS_VERIFY=\"maybe\": want true or false\n"; code != 2 || errOut != want {
		t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, want)
	}
	// The flag given wins, and the variable is not read.
	if code, _, errOut := run("status", "--kubeconfig", c.dir+"/none", "--insecure-skip-tls-verify=false"); code != 1 || !strings.Contains(errOut, "none: no such file") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}
