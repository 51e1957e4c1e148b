package kube

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// The kube flags (--token, --as, --server, --request-timeout, …) reach
// slipway's own clients and the getter the Helm SDK connects with.
func TestOverridesReachEveryClient(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: from-kubeconfig}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
`), 0o600); err != nil {
		t.Fatal(err)
	}
	o := Options{Kubeconfig: kubeconfig, Overrides: clientcmd.ConfigOverrides{
		AuthInfo:    clientcmdapi.AuthInfo{Token: "from-flag", Impersonate: "alice", ImpersonateGroups: []string{"ops", "dev"}, ImpersonateUID: "42"},
		ClusterInfo: clientcmdapi.Cluster{Server: "https://127.0.0.1:2", TLSServerName: "api.example", InsecureSkipTLSVerify: true},
		Timeout:     "7s",
	}}
	c, err := Load(o)
	if err != nil {
		t.Fatal(err)
	}
	helmCfg, err := c.GetterFor("jenkins").ToRESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]struct {
		token, host, user, uid, sni string
		groups                      []string
		insecure                    bool
		timeout                     string
	}{
		"slipway's client": {c.Config.BearerToken, c.Config.Host, c.Config.Impersonate.UserName, c.Config.Impersonate.UID, c.Config.TLSClientConfig.ServerName, c.Config.Impersonate.Groups, c.Config.TLSClientConfig.Insecure, c.Config.Timeout.String()},
		"Helm's getter":    {helmCfg.BearerToken, helmCfg.Host, helmCfg.Impersonate.UserName, helmCfg.Impersonate.UID, helmCfg.TLSClientConfig.ServerName, helmCfg.Impersonate.Groups, helmCfg.TLSClientConfig.Insecure, helmCfg.Timeout.String()},
	} {
		if cfg.token != "from-flag" || cfg.host != "https://127.0.0.1:2" || cfg.user != "alice" || cfg.uid != "42" ||
			!slices.Equal(cfg.groups, []string{"ops", "dev"}) || cfg.sni != "api.example" || !cfg.insecure || cfg.timeout != "7s" {
			t.Errorf("%s: %+v", name, cfg)
		}
	}
	if c.Server != "https://127.0.0.1:2" || c.Context != "ctx" {
		t.Errorf("cluster %s, context %s", c.Server, c.Context)
	}

	// --server with no kubeconfig context at all connects with the flags
	// alone, as kubectl does.
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load(Options{Kubeconfig: empty, Overrides: clientcmd.ConfigOverrides{
		AuthInfo: clientcmdapi.AuthInfo{Token: "t"}, ClusterInfo: clientcmdapi.Cluster{Server: "https://127.0.0.1:3"}}})
	if err != nil || c.Config.Host != "https://127.0.0.1:3" || c.Config.BearerToken != "t" {
		t.Errorf("--server alone: %v", err)
	}
}
