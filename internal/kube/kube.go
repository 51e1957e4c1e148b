package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/slipway-dev/slipway/internal/debuglog"
)

// Client-side rate limits. client-go's defaults (5 QPS, burst 10) throttle
// a parallel install of several charts; the API server's own priority and
// fairness still protects it. The readiness wait polls every workload not
// yet ready four times a second through one client: 20 components waiting
// at once make about 80 GETs a second, which 50 QPS throttled by up to
// 0.6 s a request (measured by `make bench`, figure 6b).
const (
	QPS   = 100
	Burst = 200
)

// Options select the cluster.
type Options struct {
	Kubeconfig string // empty: KUBECONFIG or ~/.kube/config
	Context    string // empty: the current context
	// Overrides are the rest of kubectl's connection flags (--token,
	// --as, --server, --request-timeout, …): applied to every client
	// slipway makes and to the Helm SDK's (GetterFor). CurrentContext
	// is ignored: Context says which.
	Overrides clientcmd.ConfigOverrides
	// Wrap, if set, wraps the HTTP transport of every client (tests and
	// benchmarks count requests with it).
	Wrap func(http.RoundTripper) http.RoundTripper
}

// Cluster is a connection to one cluster.
type Cluster struct {
	Context, Server string
	Config          *rest.Config
	Client          kubernetes.Interface
	// Getter is what the Helm SDK takes; see GetterFor.
	Getter genericclioptions.RESTClientGetter
	// Version is the server's version as Connect's probe read it (nil
	// after Load alone): later checks need not ask again.
	Version *version.Info

	opts     Options
	versions *versionCache // shared by every client of the cluster
	ahead    *readAhead    // likewise; see ReadAhead
}

// GetterFor returns a RESTClientGetter whose default namespace is ns. Helm
// puts a chart's namespace-less resources in the getter's namespace, not
// in the release's, so every release needs its own.
func (c *Cluster) GetterFor(ns string) genericclioptions.RESTClientGetter {
	return c.GetterWith(ns, nil)
}

// GetterWith is GetterFor with hook, if set, as the outermost wrapper of
// every client's transport: an answer it gives itself is no request to
// the cluster, so neither --debug nor Options.Wrap sees one.
func (c *Cluster) GetterWith(ns string, hook func(http.RoundTripper) http.RoundTripper) genericclioptions.RESTClientGetter {
	flags := genericclioptions.NewConfigFlags(true)
	kc, ctxName := c.opts.Kubeconfig, c.Context
	flags.KubeConfig, flags.Context, flags.Namespace = &kc, &ctxName, &ns
	applyOverrides(flags, c.opts.Overrides)
	wrap, versions, ahead := c.opts.Wrap, c.versions, c.ahead
	flags.WrapConfigFn = func(cfg *rest.Config) *rest.Config {
		tune(cfg, wrap, versions, ahead)
		if hook != nil {
			cfg.Wrap(hook)
		}
		return cfg
	}
	return flags
}

// applyOverrides sets the flags of Helm's getter from ov, so the Helm
// SDK connects as slipway's own clients do (ConfigFlags turns them back
// into the same clientcmd overrides).
func applyOverrides(f *genericclioptions.ConfigFlags, ov clientcmd.ConfigOverrides) {
	a, cl := ov.AuthInfo, ov.ClusterInfo
	f.BearerToken, f.CertFile, f.KeyFile = &a.Token, &a.ClientCertificate, &a.ClientKey
	f.Impersonate, f.ImpersonateUID, f.ImpersonateGroup = &a.Impersonate, &a.ImpersonateUID, &a.ImpersonateGroups
	f.APIServer, f.CAFile, f.TLSServerName, f.Insecure = &cl.Server, &cl.CertificateAuthority, &cl.TLSServerName, &cl.InsecureSkipTLSVerify
	f.ClusterName, f.AuthInfoName = &ov.Context.Cluster, &ov.Context.AuthInfo
	if ov.Timeout != "" {
		f.Timeout = &ov.Timeout
	}
}

// ErrUnreachable marks a cluster that did not answer.
var ErrUnreachable = errors.New("cluster unreachable")

// Load builds clients from the kubeconfig without contacting the cluster.
func Load(o Options) (*Cluster, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.Kubeconfig != "" {
		if _, err := os.Stat(o.Kubeconfig); err != nil {
			return nil, fmt.Errorf("kubeconfig %s: %w", o.Kubeconfig, err)
		}
		rules.ExplicitPath = o.Kubeconfig
	}
	overrides := o.Overrides
	overrides.CurrentContext = o.Context
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &overrides)
	raw, err := loader.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("read kubeconfig: %w", err)
	}
	ctxName := o.Context
	if ctxName == "" {
		ctxName = raw.CurrentContext
	}
	// --server with no context: kubectl connects with the flags alone.
	if ctxName == "" && o.Overrides.ClusterInfo.Server == "" {
		return nil, fmt.Errorf("%w: no current context in the kubeconfig (%s); create a cluster with `slipway cluster create` (kind) or pass --context", ErrUnreachable, describeKubeconfig(o.Kubeconfig))
	}
	if _, ok := raw.Contexts[ctxName]; !ok && ctxName != "" {
		return nil, fmt.Errorf("%w: context %q is not in the kubeconfig (%s); `kubectl config get-contexts` lists the ones there are", ErrUnreachable, ctxName, describeKubeconfig(o.Kubeconfig))
	}
	cfg, err := loader.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig context %q: %w", ctxName, err)
	}
	versions, ahead := &versionCache{}, &readAhead{}
	tune(cfg, o.Wrap, versions, ahead)
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Context: ctxName, Server: cfg.Host, Config: cfg, Client: client, opts: o, versions: versions, ahead: ahead}
	c.Getter = c.GetterFor("default")
	return c, nil
}

func tune(c *rest.Config, wrap func(http.RoundTripper) http.RoundTripper, versions *versionCache, ahead *readAhead) {
	c.QPS, c.Burst = QPS, Burst
	if wrap != nil {
		c.Wrap(wrap)
	}
	c.Wrap(debuglog.Transport) // --debug: one line per API request
	c.Wrap(ahead.wrap)         // an answer read ahead is no request either
	c.Wrap(versions.wrap)      // outermost: an answer from the cache is no request
}

func describeKubeconfig(explicit string) string {
	switch {
	case explicit != "":
		return explicit
	case os.Getenv("KUBECONFIG") != "":
		return "KUBECONFIG=" + os.Getenv("KUBECONFIG")
	default:
		return clientcmd.RecommendedHomeFile
	}
}

// Connect loads the kubeconfig and checks that the API server answers
// within timeout, so that a missing cluster fails in a second with a
// message that says which context and server were tried.
func Connect(ctx context.Context, o Options, timeout time.Duration) (*Cluster, error) {
	return ConnectAnd(ctx, o, timeout, nil)
}

// ConnectAnd is Connect that runs first, a command's first read, at the
// same time as the probe: on a cluster 100 ms away the probe would
// otherwise cost a round trip of its own before any work starts (issue
// 18). When the probe fails, its error is the one returned, as from
// Connect, and first's result is dropped.
func ConnectAnd(ctx context.Context, o Options, timeout time.Duration, first func(context.Context, *Cluster) error) (*Cluster, error) {
	c, err := Load(o)
	if err != nil {
		return nil, err
	}
	firstErr := make(chan error, 1)
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if first != nil {
		go func() { firstErr <- first(fctx, c) }()
	} else {
		firstErr <- nil
	}
	if err := probe(ctx, c, o, timeout); err != nil {
		// first is not waited for: a read that takes no context (client-go's
		// discovery) would hold a Ctrl-C'd command until its own timeout.
		// firstErr has room for its result, so it does not block.
		cancel()
		return nil, err
	}
	if err := <-firstErr; err != nil {
		return c, err
	}
	return c, nil
}

func probe(ctx context.Context, c *Cluster, o Options, timeout time.Duration) error {
	cfg := rest.CopyConfig(c.Config)
	cfg.Timeout = timeout
	probe, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	// The probe takes ctx: Discovery().ServerVersion() takes none, and
	// against an API server that accepts and never answers Ctrl-C waited
	// out the whole timeout (issue 17, item 5).
	raw, err := probe.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err == nil {
		var v version.Info
		if err = json.Unmarshal(raw, &v); err == nil {
			c.Version = &v
			return nil
		}
		err = fmt.Errorf("read /version: %w", err)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("context %q, server %s: %w", c.Context, c.Server, context.Cause(ctx))
	}
	if apierrors.IsUnauthorized(err) {
		// The server answered: it is the credentials that are wrong,
		// and "is the cluster running?" would send the user astray.
		return fmt.Errorf("context %q: the server %s rejected the credentials (401 Unauthorized): the token or client certificate in the kubeconfig (%s) is expired or wrong; fetch fresh credentials for the cluster (e.g. `kind export kubeconfig`, or your provider's get-credentials command)",
			c.Context, c.Server, describeKubeconfig(o.Kubeconfig))
	}
	return fmt.Errorf("%w: context %q, server %s: %v\nis the cluster running? create one with `slipway cluster create` (kind) or `slipway up --create-cluster`, or pick another with --context",
		ErrUnreachable, c.Context, c.Server, err)
}
