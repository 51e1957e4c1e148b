package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"

	"github.com/slipway-dev/slipway/internal/debuglog"
	"github.com/slipway-dev/slipway/internal/kube"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	helmkube "helm.sh/helm/v4/pkg/kube"
	kubefake "helm.sh/helm/v4/pkg/kube/fake"
	helmrelease "helm.sh/helm/v4/pkg/release"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
)

// Manager runs Helm actions in one namespace.
type Manager struct {
	cfg       *action.Configuration
	namespace string
	prefetch  *prefetch // nil: Helm's GETs go to the server one by one
	// secrets is the namespace's Secrets, where Get reads releases
	// itself (latest.go); nil: Get asks Helm's storage (NewForTesting).
	secrets func() (corev1client.SecretInterface, error)
	// dynamic is the client that nudges stalled CRDs (crds.go); nil:
	// none are nudged.
	dynamic func() (dynamic.Interface, error)
}

// FieldManager owns, for server-side apply, every field slipway sets.
const FieldManager = "slipway"

func init() {
	// Helm names the field manager after the running binary's file name
	// unless told otherwise, so `slipway`, a renamed download and a test
	// binary would be different managers and each upgrade after another
	// one's would fail with "Apply failed with 1 conflict". Found by
	// TestFaultSIGKILLRandom, which mixes the built CLI and in-process runs.
	helmkube.ManagedFieldsManager = FieldManager
}

// New returns a Manager that stores releases as Secrets (Helm's default).
// log receives Helm's own log lines; nil discards them.
func New(getter genericclioptions.RESTClientGetter, namespace string, log io.Writer) (*Manager, error) {
	return newManager(getter, namespace, log, nil)
}

// newManager is New with pf answering Helm's conflict check (see
// prefetch.go); getter's clients must send their requests through pf.wrap.
func newManager(getter genericclioptions.RESTClientGetter, namespace string, log io.Writer, pf *prefetch) (*Manager, error) {
	cfg := action.NewConfiguration()
	cfg.SetLogger(logHandler(log))
	if err := cfg.Init(getter, namespace, "secret"); err != nil {
		return nil, fmt.Errorf("helm init for namespace %s: %w", namespace, err)
	}
	m := &Manager{cfg: cfg, namespace: namespace, prefetch: pf}
	if kc, ok := cfg.KubeClient.(*helmkube.Client); ok {
		// Made when first used, from the clients Helm's driver uses.
		m.secrets = sync.OnceValues(func() (corev1client.SecretInterface, error) {
			cs, err := kc.Factory.KubernetesClientSet()
			if err != nil {
				return nil, err
			}
			return cs.CoreV1().Secrets(namespace), nil
		})
		m.dynamic = sync.OnceValues(kc.Factory.DynamicClient)
	}
	cfg.KubeClient = kubeClient{Interface: cfg.KubeClient, prefetch: pf}
	if m.secrets != nil {
		cfg.Releases.Driver = withFastEncoding(cfg.Releases.Driver, m.secrets) // storage.go
	}
	return m, nil
}

// NewForTesting returns a Manager on Helm's in-memory release store and a
// fake kube client, for unit tests without a cluster.
func NewForTesting(namespace string) *Manager {
	cfg := action.NewConfiguration()
	cfg.SetLogger(logHandler(nil))
	mem := driver.NewMemory()
	mem.SetNamespace(namespace)
	cfg.Releases = storage.Init(mem)
	cfg.KubeClient = &kubefake.PrintingKubeClient{Out: io.Discard}
	cfg.Capabilities = common.DefaultCapabilities
	return &Manager{cfg: cfg, namespace: namespace}
}

func logHandler(w io.Writer) slog.Handler {
	if h := debuglog.SlogHandler(); h != nil && w == nil {
		return h // --debug: Helm's own log, debug level and up
	}
	if w == nil {
		w = io.Discard
	}
	return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn})
}

func loadChart(path string) (*chartv2.Chart, error) {
	ch, err := loader.Load(path)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", path, err)
	}
	return ch, nil
}

func waitStrategy(wait bool) helmkube.WaitStrategy {
	if wait {
		return helmkube.StatusWatcherStrategy
	}
	return helmkube.HookOnlyStrategy
}

// Apply upgrades the release if it has history, and installs it otherwise
// (`helm upgrade --install`), with server-side apply.
func (m *Manager) Apply(ctx context.Context, s Spec) (Result, error) {
	if s.Timeout <= 0 {
		return Result{}, fmt.Errorf("release %s/%s: no time left to apply it", s.Namespace, s.Name)
	}
	ch, err := loadChart(s.ChartPath)
	if err != nil {
		return Result{}, err
	}
	info := s.Current
	if !s.Known {
		if info, err = m.Get(ctx, s.Name); err != nil {
			return Result{}, err
		}
	}
	var rel helmrelease.Releaser
	act := Install
	if info == nil {
		i := action.NewInstall(m.cfg)
		i.Namespace, i.ReleaseName = s.Namespace, s.Name
		i.Timeout, i.WaitStrategy = s.Timeout, waitStrategy(s.Wait)
		i.WaitForJobs = s.Wait
		i.ServerSideApply = true
		// The API server validates every field (server-side apply with
		// strict field validation); client-side validation would fetch
		// the OpenAPI schema of each group again for every release.
		i.DisableOpenAPIValidation = true
		i.Labels = s.Labels
		i.DryRunStrategy = action.DryRunNone
		// The chart's crds/ at once (see installCRDs), not by Helm.
		if i.SkipCRDs, err = m.installCRDs(ctx, ch); err != nil {
			return Result{}, explain(s, ch, act, err)
		}
		done := m.prefetch.expect()
		rel, err = i.RunWithContext(ctx, ch, s.Values)
		done()
	} else {
		act = Upgrade
		u := action.NewUpgrade(m.cfg)
		u.Namespace = s.Namespace
		u.Timeout, u.WaitStrategy = s.Timeout, waitStrategy(s.Wait)
		u.WaitForJobs = s.Wait
		u.ServerSideApply = "true"
		u.DisableOpenAPIValidation = true // as for install: the server validates
		u.Labels = s.Labels
		u.MaxHistory = maxHistory()
		// The values slipway passes are complete; never merge old ones in.
		u.ResetValues = true
		u.DryRunStrategy = action.DryRunNone
		rel, err = u.RunWithContext(ctx, s.Name, ch, s.Values)
	}
	if err != nil {
		return Result{}, explain(s, ch, act, err)
	}
	r, err := toV1(rel)
	if err != nil {
		return Result{}, err
	}
	return result(act, r), nil
}

func result(act Action, r *rspb.Release) Result {
	res := Result{Action: act, Revision: r.Version, Manifest: r.Manifest, Objects: ParseObjects(r.Manifest, r.Namespace)}
	if r.Chart != nil && r.Chart.Metadata != nil {
		res.ChartVersion = r.Chart.Metadata.Version
	}
	return res
}

// explain wraps a Helm error with the release and chart named, and turns
// the lock error into something a person can act on.
func explain(s Spec, ch *chartv2.Chart, act Action, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "another operation (install/upgrade/rollback) is in progress") {
		return fmt.Errorf("release %s/%s is locked by an earlier run that did not finish (status pending); re-run `slipway up`, which repairs it, or inspect it with `helm -n %s history %s`", s.Namespace, s.Name, s.Namespace, s.Name)
	}
	err = fmt.Errorf("%s %s/%s (chart %s@%s): %w", act, s.Namespace, s.Name, ch.Metadata.Name, ch.Metadata.Version, err)
	if m := foreignObject.FindStringSubmatch(msg); m != nil {
		kind, name, ns := m[1], m[2], ""
		if m[3] != "" {
			ns = " -n " + m[3]
		}
		return fmt.Errorf("%w\n%s %s exists but was not created by this release (an install by hand, another tool, or another release name). "+
			"To let this release take it over, keep it and mark it:\n  kubectl%s label %s %s app.kubernetes.io/managed-by=Helm\n  kubectl%s annotate %s %s meta.helm.sh/release-name=%s meta.helm.sh/release-namespace=%s\nthen re-run `slipway up`.",
			err, kind, name, ns, kind, name, ns, kind, name, s.Name, s.Namespace)
	}
	return err
}

// foreignObject matches Helm's refusal to adopt an object another owner
// created: kind, name and namespace (empty for cluster-scoped objects).
var foreignObject = regexp.MustCompile(`(\w+) "([^"]+)" in namespace "([^"]*)" exists and cannot be imported into the current release`)

func toV1(rel helmrelease.Releaser) (*rspb.Release, error) {
	switch r := rel.(type) {
	case *rspb.Release:
		return r, nil
	case rspb.Release:
		return &r, nil
	}
	return nil, fmt.Errorf("unsupported Helm release type %T", rel)
}

// userLabels drops the labels Helm's storage sets itself; Helm refuses
// them as user labels.
func userLabels(l map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		switch k {
		case "name", "owner", "status", "version", "createdAt", "modifiedAt":
		default:
			out[k] = v
		}
	}
	return out
}

// Get returns the latest revision of a release, or nil, nil if there is none.
//
// It reads the release's history from Helm's storage directly, as
// `helm history` does, without the action's reachability probe: that is
// a GET /version before every read, a round trip of its own on the
// critical path of status and a no-op up (issue 18), and every command
// that reads releases has probed the cluster when it connected. It
// decodes only the latest revision, and only what Info holds (latest.go).
func (m *Manager) Get(ctx context.Context, name string) (*Info, error) {
	if err := chartutil.ValidateReleaseName(name); err != nil {
		return nil, fmt.Errorf("release name %q is invalid: %w", name, err)
	}
	if m.secrets != nil {
		secrets, err := m.secrets()
		if err != nil {
			return nil, fmt.Errorf("read history of release %s/%s: %w", m.namespace, name, err)
		}
		return m.readLatest(ctx, secrets, name)
	}
	rels, err := m.cfg.Releases.History(name)
	if errors.Is(err, driver.ErrReleaseNotFound) || (err == nil && len(rels) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read history of release %s/%s: %w", m.namespace, name, err)
	}
	var latest *rspb.Release
	for _, x := range rels {
		r, err := toV1(x)
		if err != nil {
			return nil, err
		}
		if latest == nil || r.Version > latest.Version {
			latest = r
		}
	}
	info := &Info{Name: latest.Name, Namespace: latest.Namespace, Revision: latest.Version,
		Labels: userLabels(latest.Labels), Values: latest.Config, Manifest: latest.Manifest}
	if latest.Info != nil {
		info.Status, info.Updated = Status(latest.Info.Status.String()), latest.Info.LastDeployed
	}
	if latest.Chart != nil && latest.Chart.Metadata != nil {
		info.Chart, info.ChartVersion, info.AppVersion = latest.Chart.Metadata.Name, latest.Chart.Metadata.Version, latest.Chart.Metadata.AppVersion
	}
	return info, nil
}

// Managers hands out a Manager per namespace of one cluster: the one
// way every command reaches a namespace's releases.
type Managers struct{ cluster *kube.Cluster }

// ForCluster returns the Managers of c.
func ForCluster(c *kube.Cluster) Managers { return Managers{cluster: c} }

// For returns a Manager for namespace ns. Each is new: Helm's action
// configuration is not shared between components that apply at once.
// Its installs fetch Helm's conflict check at once (prefetch.go).
func (m Managers) For(ns string) (*Manager, error) {
	pf := newPrefetch()
	return newManager(m.cluster.GetterWith(ns, pf.wrap), ns, nil, pf)
}
