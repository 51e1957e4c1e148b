package app

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/slipway-dev/slipway/internal/kube"
)

// A command reads its flags by name; a flag it does not define reads as
// the zero value, so upOptions serves up and the commands that take
// fewer of its flags (diff, template, bundle).

func flagString(c *cobra.Command, name string) string {
	v, _ := c.Flags().GetString(name)
	return v
}

func flagBool(c *cobra.Command, name string) bool {
	v, _ := c.Flags().GetBool(name)
	return v
}

func flagDuration(c *cobra.Command, name string) time.Duration {
	v, _ := c.Flags().GetDuration(name)
	return v
}

func flagStrings(c *cobra.Command, name string) []string {
	if f := c.Flags().Lookup(name); f != nil {
		if s, ok := f.Value.(pflag.SliceValue); ok {
			return s.GetSlice()
		}
	}
	return nil
}

func isSet(c *cobra.Command, name string) bool { return c.Flags().Changed(name) }

// newFlags is a flag set filled by add, to copy from.
func newFlags(add func(fs *pflag.FlagSet)) *pflag.FlagSet {
	fs := pflag.NewFlagSet("", pflag.ContinueOnError)
	add(fs)
	return fs
}

// copyFlags adds src's flags to dst, in src's order, except those named.
func copyFlags(dst, src *pflag.FlagSet, except ...string) {
	src.SortFlags = false
	src.VisitAll(func(f *pflag.Flag) {
		for _, e := range except {
			if f.Name == e {
				return
			}
		}
		dst.AddFlag(f)
	})
}

// kubeEnv are the kube flags Helm also reads from its environment
// (helm.sh/helm/v4/pkg/cli/environment.go): a flag wins over its
// variable, as with helm.
var kubeEnv = map[string]string{
	"context":                  "HELM_KUBECONTEXT",
	"token":                    "HELM_KUBETOKEN",
	"as":                       "HELM_KUBEASUSER",
	"as-group":                 "HELM_KUBEASGROUPS",
	"server":                   "HELM_KUBEAPISERVER",
	"certificate-authority":    "HELM_KUBECAFILE",
	"tls-server-name":          "HELM_KUBETLS_SERVER_NAME",
	"insecure-skip-tls-verify": "HELM_KUBEINSECURE_SKIP_TLS_VERIFY",
}

// addKubeFlags gives c kubectl's connection flags, registered by
// k8s.io/cli-runtime's ConfigFlags so their names, types and help are
// kubectl's own. Left out:
//   - -n/--namespace: slipway installs each component into the namespace
//     its profile names (and keeps its records in slipway-system); one
//     namespace for everything would be wrong, and accepted-and-ignored
//     would be worse.
//   - --cache-dir: slipway's --cache-dir is its chart cache.
//   - --username/--password (kubectl hides them: a password on the
//     command line), --as-user-extra, --disable-compression and
//     --proxy-url: rare, and a kubeconfig says them better.
func addKubeFlags(c *cobra.Command) {
	cf := genericclioptions.NewConfigFlags(false)
	cf.Namespace, cf.CacheDir, cf.ImpersonateUserExtra, cf.DisableCompression, cf.ProxyURL = nil, nil, nil, nil, nil
	fs := pflag.NewFlagSet("kube", pflag.ContinueOnError)
	cf.AddFlags(fs)
	fs.VisitAll(func(f *pflag.Flag) {
		if env, ok := kubeEnv[f.Name]; ok {
			f.Usage += " (default: $" + env + ")"
		}
		f.Annotations = map[string][]string{headingAnnotation: {clusterHeading}}
	})
	fs.Lookup("kubeconfig").Usage = "Path to the kubeconfig `FILE` to use (default: $KUBECONFIG, else ~/.kube/config)"
	fs.Lookup("context").Usage = "The name of the kubeconfig `CONTEXT` to use (default: $HELM_KUBECONTEXT, else the current context)"
	c.Flags().AddFlagSet(fs)
}

// kubeOptions reads the kube flags (and Helm's variables for those not
// given) into the options every cluster client is made from.
func kubeOptions(c *cobra.Command) (kube.Options, error) {
	get := func(name string) string {
		f := c.Flags().Lookup(name)
		if f == nil {
			return ""
		}
		if env, ok := kubeEnv[name]; ok && !f.Changed && os.Getenv(env) != "" {
			return os.Getenv(env)
		}
		if s, ok := f.Value.(pflag.SliceValue); ok {
			return strings.Join(s.GetSlice(), ",")
		}
		return f.Value.String()
	}
	o := kube.Options{Kubeconfig: get("kubeconfig"), Context: get("context")}
	a, cl := &o.Overrides.AuthInfo, &o.Overrides.ClusterInfo
	a.Token, a.Impersonate, a.ImpersonateUID = get("token"), get("as"), get("as-uid")
	a.ClientCertificate, a.ClientKey = get("client-certificate"), get("client-key")
	if g := strings.Trim(get("as-group"), ", "); g != "" {
		a.ImpersonateGroups = strings.Split(g, ",")
	}
	cl.Server, cl.CertificateAuthority, cl.TLSServerName = get("server"), get("certificate-authority"), get("tls-server-name")
	o.Overrides.Context.Cluster, o.Overrides.Context.AuthInfo = get("cluster"), get("user")
	if v := get("insecure-skip-tls-verify"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return o, usageError("HELM_KUBEINSECURE_SKIP_TLS_VERIFY=%q: want true or false", v)
		}
		cl.InsecureSkipTLSVerify = on
	}
	if t := get("request-timeout"); t != "" && t != "0" {
		if _, err := clientcmd.ParseTimeout(t); err != nil {
			return o, usageError("--request-timeout %q: want a duration like 30s or 1m, or 0 for none", t)
		}
		o.Overrides.Timeout = t
	}
	return o, nil
}
