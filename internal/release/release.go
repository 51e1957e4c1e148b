package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/slipwayhq/slipway/internal/kube"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	helmkube "helm.sh/helm/v4/pkg/kube"
	kubefake "helm.sh/helm/v4/pkg/kube/fake"
	helmrelease "helm.sh/helm/v4/pkg/release"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"sigs.k8s.io/yaml"
)

// Spec is one release to apply or render.
type Spec struct {
	Name, Namespace string
	ChartPath       string // chart directory or .tgz
	Values          map[string]any
	// Timeout bounds hooks (and readiness when Wait). Never 0: v4 would
	// read it as 30 seconds.
	Timeout time.Duration
	// Wait makes Helm itself wait for readiness (kstatus watcher). slipway
	// waits in package wait instead, to show progress and diagnose, and
	// asks Helm to wait only for hooks.
	Wait   bool
	Labels map[string]string
}

// Action is what happened to a release.
type Action string

// Actions. Unchanged is decided by the caller: the release already had
// the plan's chart and values, so nothing was sent to Helm.
const (
	Install   Action = "install"
	Upgrade   Action = "upgrade"
	Unchanged Action = "unchanged"
	Rendered  Action = "render"
)

// Status is a release's status as Helm stores it (deployed, failed,
// pending-install, …).
type Status string

// The statuses slipway decides on; the others are shown as they are.
const (
	StatusDeployed Status = Status(rcommon.StatusDeployed)
	StatusFailed   Status = Status(rcommon.StatusFailed)
)

// Pending reports whether an interrupted operation left the release
// locked in this status.
func (s Status) Pending() bool { return strings.HasPrefix(string(s), "pending-") }

// Result of Apply or Render.
type Result struct {
	Action       Action
	Revision     int
	ChartVersion string
	Manifest     string
	Objects      []kube.Ref // hooks excluded
}

// Info is the latest revision of a release, whatever its status.
type Info struct {
	Name, Namespace, Chart, ChartVersion, AppVersion string
	Status                                           Status
	Revision                                         int
	Updated                                          time.Time
	Labels                                           map[string]string
	Values                                           map[string]any // user-supplied values
	Manifest                                         string
}

// Pending reports whether an interrupted operation left the release locked.
func (i *Info) Pending() bool { return i.Status.Pending() }

// Manager runs Helm actions in one namespace.
type Manager struct {
	cfg       *action.Configuration
	namespace string
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
	cfg := action.NewConfiguration()
	cfg.SetLogger(logHandler(log))
	if err := cfg.Init(getter, namespace, "secret"); err != nil {
		return nil, fmt.Errorf("helm init for namespace %s: %w", namespace, err)
	}
	return &Manager{cfg: cfg, namespace: namespace}, nil
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
	info, err := m.Get(ctx, s.Name)
	if err != nil {
		return Result{}, err
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
		rel, err = i.RunWithContext(ctx, ch, s.Values)
	} else {
		act = Upgrade
		u := action.NewUpgrade(m.cfg)
		u.Namespace = s.Namespace
		u.Timeout, u.WaitStrategy = s.Timeout, waitStrategy(s.Wait)
		u.WaitForJobs = s.Wait
		u.ServerSideApply = "true"
		u.DisableOpenAPIValidation = true // as for install: the server validates
		u.Labels = s.Labels
		u.MaxHistory = 10
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
func (m *Manager) Get(ctx context.Context, name string) (*Info, error) {
	h := action.NewHistory(m.cfg)
	h.Max = 1
	rels, err := h.Run(name)
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

// Repair unlocks a release an interrupted run left in pending-install,
// pending-upgrade or pending-rollback: it rolls back to the last deployed
// revision, or uninstalls a release that was never deployed. It returns
// what it did, or "" when the release needed nothing.
func (m *Manager) Repair(ctx context.Context, name string, timeout time.Duration) (string, error) {
	info, err := m.Get(ctx, name)
	if err != nil || info == nil || !info.Pending() {
		return "", err
	}
	h := action.NewHistory(m.cfg)
	rels, err := h.Run(name)
	if err != nil {
		return "", err
	}
	lastDeployed := 0
	for _, x := range rels {
		r, err := toV1(x)
		if err != nil {
			return "", err
		}
		if r.Info != nil && (r.Info.Status == rcommon.StatusDeployed || r.Info.Status == rcommon.StatusSuperseded) && r.Version > lastDeployed && r.Version != info.Revision {
			lastDeployed = r.Version
		}
	}
	if lastDeployed == 0 {
		u := action.NewUninstall(m.cfg)
		u.Timeout, u.WaitStrategy = timeout, helmkube.HookOnlyStrategy
		u.IgnoreNotFound = true
		if _, err := u.Run(name); err != nil {
			return "", fmt.Errorf("uninstall never-deployed release %s/%s left %s: %w", m.namespace, name, info.Status, err)
		}
		return fmt.Sprintf("release %s/%s was left %s by an interrupted run and never deployed: uninstalled it, it will be installed afresh", m.namespace, name, info.Status), nil
	}
	// Helm refuses to roll back over a pending revision; mark it failed
	// first (what `helm rollback` users do by hand).
	latest, err := m.cfg.Releases.Get(name, info.Revision)
	if err != nil {
		return "", err
	}
	if r, err := toV1(latest); err == nil && r.Info != nil {
		r.Info.Status = rcommon.StatusFailed
		r.Info.Description = "interrupted; marked failed by slipway before rollback"
		if err := m.cfg.Releases.Update(r); err != nil {
			return "", fmt.Errorf("mark release %s/%s revision %d failed: %w", m.namespace, name, info.Revision, err)
		}
	}
	rb := action.NewRollback(m.cfg)
	rb.Version = lastDeployed
	rb.Timeout, rb.WaitStrategy = timeout, helmkube.HookOnlyStrategy
	rb.ServerSideApply = "true"
	if err := rb.Run(name); err != nil {
		return "", fmt.Errorf("roll back release %s/%s to revision %d: %w", m.namespace, name, lastDeployed, err)
	}
	return fmt.Sprintf("release %s/%s was left %s (revision %d) by an interrupted run: rolled back to revision %d", m.namespace, name, info.Status, info.Revision, lastDeployed), nil
}

// Uninstall removes a release and waits until its resources are gone. A
// release that does not exist is not an error.
func (m *Manager) Uninstall(ctx context.Context, name string, timeout time.Duration) error {
	u := action.NewUninstall(m.cfg)
	u.Timeout, u.WaitStrategy = timeout, helmkube.StatusWatcherStrategy
	u.IgnoreNotFound = true
	if _, err := u.Run(name); err != nil {
		return fmt.Errorf("uninstall %s/%s: %w", m.namespace, name, err)
	}
	return nil
}

// Render renders a release without a cluster (client-only dry run), for
// --dry-run and `slipway template`. kubeVersion is the target Kubernetes
// version ("" for Helm's default).
func Render(ctx context.Context, s Spec, kubeVersion string) (Result, error) {
	ch, err := loadChart(s.ChartPath)
	if err != nil {
		return Result{}, err
	}
	m := NewForTesting(s.Namespace)
	i := action.NewInstall(m.cfg)
	i.Namespace, i.ReleaseName = s.Namespace, s.Name
	i.DryRunStrategy = action.DryRunClient
	i.Replace = true
	i.IncludeCRDs = true
	i.Timeout, i.WaitStrategy = time.Minute, helmkube.HookOnlyStrategy
	if kubeVersion != "" {
		kv, err := common.ParseKubeVersion(kubeVersion)
		if err != nil {
			return Result{}, fmt.Errorf("kube version %q: %w", kubeVersion, err)
		}
		i.KubeVersion = kv
	}
	rel, err := i.RunWithContext(ctx, ch, s.Values)
	if err != nil {
		return Result{}, fmt.Errorf("render %s (chart %s@%s): %w", s.Name, ch.Metadata.Name, ch.Metadata.Version, err)
	}
	r, err := toV1(rel)
	if err != nil {
		return Result{}, err
	}
	res := result(Rendered, r)
	var hooks strings.Builder
	for _, h := range r.Hooks {
		// `helm test` hooks never run in an install or upgrade: their
		// images and requests are not the platform's.
		if len(h.Events) > 0 && !slices.ContainsFunc(h.Events, func(e rspb.HookEvent) bool { return e != rspb.HookTest }) {
			continue
		}
		fmt.Fprintf(&hooks, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
	}
	res.Manifest += hooks.String()
	return res, nil
}

// ParseObjects lists the resources in a rendered manifest. Objects with no
// namespace get ns; for cluster-scoped kinds the caller's REST mapper
// decides that the namespace does not apply.
func ParseObjects(manifest, ns string) []kube.Ref {
	var out []kube.Ref
	for _, doc := range strings.Split(manifest, "\n---") {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil || head.Kind == "" || head.Metadata.Name == "" {
			continue
		}
		o := kube.Ref{Kind: head.Kind, Name: head.Metadata.Name, Namespace: head.Metadata.Namespace, Version: head.APIVersion}
		if g, v, ok := strings.Cut(head.APIVersion, "/"); ok {
			o.Group, o.Version = g, v
		}
		if o.Namespace == "" {
			o.Namespace = ns
		}
		out = append(out, o)
	}
	return out
}

// Reapply upgrades a release with the chart it already has and its
// recorded values changed by edit; `credentials rotate` uses it to put a
// new password hash in place without needing the profile.
func (m *Manager) Reapply(ctx context.Context, name string, timeout time.Duration, edit func(values map[string]any)) (Result, error) {
	x, err := action.NewGet(m.cfg).Run(name)
	if err != nil {
		return Result{}, fmt.Errorf("read release %s/%s: %w", m.namespace, name, err)
	}
	cur, err := toV1(x)
	if err != nil {
		return Result{}, err
	}
	values := map[string]any{}
	for k, v := range cur.Config {
		values[k] = v
	}
	edit(values)
	u := action.NewUpgrade(m.cfg)
	u.Namespace = m.namespace
	u.Timeout, u.WaitStrategy = timeout, helmkube.HookOnlyStrategy
	u.ServerSideApply = "true"
	u.Labels = userLabels(cur.Labels)
	u.MaxHistory = 10
	u.ResetValues = true
	u.DryRunStrategy = action.DryRunNone
	rel, err := u.RunWithContext(ctx, name, cur.Chart, values)
	if err != nil {
		return Result{}, explain(Spec{Name: name, Namespace: m.namespace}, cur.Chart, Upgrade, err)
	}
	r, err := toV1(rel)
	if err != nil {
		return Result{}, err
	}
	return result(Upgrade, r), nil
}

// Rollback rolls a release back to revision.
func (m *Manager) Rollback(ctx context.Context, name string, revision int, timeout time.Duration) error {
	rb := action.NewRollback(m.cfg)
	rb.Version = revision
	rb.Timeout, rb.WaitStrategy = timeout, helmkube.HookOnlyStrategy
	rb.ServerSideApply = "true"
	if err := rb.Run(name); err != nil {
		return fmt.Errorf("roll back %s/%s to revision %d: %w", m.namespace, name, revision, err)
	}
	return nil
}

// CRDs lists the CustomResourceDefinitions a release's chart installed
// from its crds/ directory (Helm never deletes those itself).
func (m *Manager) CRDs(ctx context.Context, name string) ([]string, error) {
	x, err := action.NewGet(m.cfg).Run(name)
	if err != nil {
		if errors.Is(err, driver.ErrReleaseNotFound) {
			return nil, nil
		}
		return nil, err
	}
	r, err := toV1(x)
	if err != nil || r.Chart == nil {
		return nil, err
	}
	var out []string
	for _, crd := range r.Chart.CRDObjects() {
		for _, o := range ParseObjects(string(crd.File.Data), "") {
			if o.Kind == "CustomResourceDefinition" {
				out = append(out, o.Name)
			}
		}
	}
	return out, nil
}

// Managers hands out a Manager per namespace of one cluster: the one
// way every command reaches a namespace's releases.
type Managers struct{ cluster *kube.Cluster }

// ForCluster returns the Managers of c.
func ForCluster(c *kube.Cluster) Managers { return Managers{cluster: c} }

// For returns a Manager for namespace ns. Each is new: Helm's action
// configuration is not shared between components that apply at once.
func (m Managers) For(ns string) (*Manager, error) {
	return New(m.cluster.GetterFor(ns), ns, nil)
}
