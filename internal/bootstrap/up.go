package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"io/fs"
	"path/filepath"

	"golang.org/x/crypto/bcrypt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	builtin "github.com/slipwayhq/slipway/charts"
	"github.com/slipwayhq/slipway/internal/charts"
	"github.com/slipwayhq/slipway/internal/credentials"
	"github.com/slipwayhq/slipway/internal/kube"
	"github.com/slipwayhq/slipway/internal/lock"
	"github.com/slipwayhq/slipway/internal/outcome"
	"github.com/slipwayhq/slipway/internal/plan"
	"github.com/slipwayhq/slipway/internal/preflight"
	"github.com/slipwayhq/slipway/internal/profile"
	"github.com/slipwayhq/slipway/internal/release"
	"github.com/slipwayhq/slipway/internal/report"
	"github.com/slipwayhq/slipway/internal/ui"
	"github.com/slipwayhq/slipway/internal/values"
	"github.com/slipwayhq/slipway/profiles"
)

// Labels slipway puts on what it creates, and records on releases.
const (
	LabelProfile        = "slipway.dev/profile"
	LabelProfileVersion = "slipway.dev/profile-version"
	LabelComponent      = kube.LabelComponent
	LabelDigest         = "slipway.dev/digest"
)

// run holds the state shared by the stages of one `up`.
type run struct {
	opts    Options
	ui      *ui.Printer
	started time.Time

	profile *profile.Profile
	over    *overrides
	cluster *kube.Cluster // nil in --dry-run
	charts  *charts.Locator
	// resolvedCharts are the exact chart versions, by component.
	resolvedCharts map[string]plan.Chart
	// fetched are the charts on disk with their digests, by component,
	// all verified before anything is written to the cluster.
	fetched map[string]charts.Fetched
	// lock is the lock being installed (--locked or a bundle's), and
	// lockFile names it in messages.
	lock     *lock.File
	lockFile string
	// bundlePaths are a bundle's extracted charts, by component.
	bundlePaths   map[string]string
	resolvedRepos map[string]string
	cleanups      []func()
	creds         map[string]credentials.Credential
	specs         map[string]credentials.Spec
	plan          *plan.Plan
	actions       sync.Map           // component -> install, upgrade or unchanged
	mu            sync.Mutex         // guards creds while components apply in parallel
	dnsDone       <-chan struct{}    // closed when the background DNS check is done
	resolver      preflight.Resolver // nil: net.DefaultResolver
}

// Up runs `slipway up`. The returned report is non-nil whenever something
// is worth printing (also on failure, with each component's state).
func Up(ctx context.Context, opts Options, printer *ui.Printer) (*report.Up, error) {
	if opts.CreateCluster {
		create := func(ctx context.Context, c ClusterOptions) (string, error) { return CreateCluster(ctx, c, printer) }
		if err := createClusterFirst(ctx, &opts, create); err != nil {
			return nil, err
		}
	}
	r, err := prepare(ctx, opts, printer)
	if r != nil {
		defer r.waitDNS()
	}
	if err != nil {
		return nil, err
	}
	defer r.close()
	var rep *report.Up
	if opts.DryRun {
		rep, err = r.dryRun(ctx)
	} else {
		rep, err = r.apply(ctx)
	}
	if err == nil && opts.Lock != "" {
		err = r.writeLock(opts.Lock)
	}
	return rep, err
}

// prepare runs every stage up to and including the plan. Nothing in it
// writes to the cluster.
func prepare(ctx context.Context, opts Options, printer *ui.Printer) (*run, error) {
	r := &run{opts: opts, ui: printer, started: time.Now().UTC().Truncate(time.Second), resolvedRepos: map[string]string{}}
	stages := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"read lock", r.readLock},
		{"load profile", r.loadProfile},
		{"parse overrides", r.parseOverrides},
		{"chart sources", r.chartSources},
		{"connect", r.connect},
		{"choose address", r.chooseIP},
		{"resolve charts", r.resolveCharts},
		{"fetch charts", r.fetchCharts},
		{"credentials", r.loadCredentials},
		{"plan", r.buildPlan},
		{"preflight", r.preflight},
	}
	for _, s := range stages {
		if err := s.fn(ctx); err != nil {
			// r is returned so that Up can still wait for the DNS check.
			r.close()
			return r, err
		}
	}
	return r, nil
}

func (r *run) loadProfile(context.Context) error {
	cat := profile.NewCatalog(profiles.FS)
	p, err := cat.Resolve(r.opts.Profile)
	if err != nil {
		return outcome.Input(err)
	}
	var without []string
	for _, name := range profile.Disabled(p, map[string]bool{"gitops-repo": r.opts.GitOpsRepo != ""}) {
		if !slices.Contains(r.opts.Without, name) {
			without = append(without, name)
		}
	}
	sel, err := profile.Select(p, r.opts.Choices, append(without, r.opts.Without...))
	if err != nil {
		return outcome.Input(err)
	}
	r.profile = sel
	r.ui.Infof("profile %s@%s: %s", sel.Name, sel.Version, plan.ComponentNames(sel))
	return nil
}

// sourceOf maps a profile's chart onto a chart source. A path names one of
// slipway's embedded charts (charts/<name>) or, in a profile file, a path
// relative to that file.
func sourceOf(c profile.Component, p *profile.Profile) charts.Source {
	src := charts.Source{Repo: c.Chart.Repo, Name: c.Chart.Name, OCI: c.Chart.OCI, Path: c.Chart.Path}
	if src.Path == "" {
		return src
	}
	if name, ok := strings.CutPrefix(src.Path, "charts/"); ok {
		if _, err := fs.Stat(builtin.FS, name+"/Chart.yaml"); err == nil {
			src.Path, src.Embedded = name, builtin.FS
			return src
		}
	}
	if p.Dir != "" && !filepath.IsAbs(src.Path) {
		src.Path = filepath.Join(p.Dir, src.Path)
	}
	return src
}

func (r *run) parseOverrides(context.Context) error {
	ov, err := parseOverrides(r.opts)
	if err != nil {
		return err
	}
	if err := errors.Join(plan.CheckOverrides(r.profile, ov.Overrides, slices.Sorted(maps.Keys(ov.passwords)))...); err != nil {
		return outcome.Input(err)
	}
	r.over = ov
	return nil
}

func (r *run) component(name string) *profile.Component {
	for i := range r.profile.Components {
		if r.profile.Components[i].Name == name {
			return &r.profile.Components[i]
		}
	}
	return nil
}

// connect reaches the cluster. --dry-run only reads from it, and works
// without one: it then shows freshly generated (masked) credentials.
func (r *run) connect(ctx context.Context) error {
	if r.opts.NoCluster {
		return nil
	}
	if r.opts.DryRun {
		if c, err := kube.Connect(ctx, r.opts.Kube, 3*time.Second); err == nil {
			r.cluster = c
			r.ui.Infof("dry run: reading current state from context %s (%s); nothing will be changed", c.Context, c.Server)
		} else {
			r.ui.Infof("dry run without a cluster (%v)", firstLine(err))
		}
		return nil
	}
	c, err := kube.Connect(ctx, r.opts.Kube, 10*time.Second)
	if err != nil {
		return err
	}
	r.cluster = c
	r.ui.Infof("cluster: context %s (%s)", c.Context, c.Server)
	return nil
}

// loadCredentials reads the credentials that already exist (a re-run must
// never rotate them) and generates the missing ones in memory. They are
// written to the cluster only in apply, after everything was validated.
func (r *run) loadCredentials(ctx context.Context) error {
	r.creds, r.specs = map[string]credentials.Credential{}, map[string]credentials.Spec{}
	var store *credentials.Store
	if r.cluster != nil {
		store = &credentials.Store{Client: r.cluster.Client, Now: func() time.Time { return r.started }}
	}
	for _, c := range r.profile.Components {
		if c.Credentials == nil {
			continue
		}
		spec := credentialSpec(c, r.opts)
		r.specs[c.Name] = spec
		provided, err := r.providedPassword(ctx, c.Name)
		if err != nil {
			return err
		}
		var cred credentials.Credential
		if store == nil {
			pw := provided
			if pw == "" {
				if pw, err = credentials.Generate(spec); err != nil {
					return err
				}
			}
			cred = credentials.Credential{Component: c.Name, Namespace: spec.Namespace, Secret: spec.SecretName, URL: spec.URL,
				Username: spec.Username, Password: pw, CreatedAt: r.started, Created: true}
		} else if cred, err = store.Ensure(ctx, spec, provided, true); err != nil {
			return err
		}
		r.creds[c.Name] = cred
	}
	return nil
}

func credentialSpec(c profile.Component, o Options) credentials.Spec {
	cr := c.Credentials
	url := ""
	if c.Host != nil && c.Host.Prefix != "" {
		url = "http://" + plan.Hostname(c.Host.Prefix, o.IP, o.Domain)
	}
	return credentials.Spec{
		Component: c.Name, Namespace: c.Namespace, SecretName: cr.SecretName,
		Username: cr.Username, UsernameKey: cr.UsernameKey, PasswordKey: cr.PasswordKey,
		URL: url, Length: cr.Length, Digits: cr.Digits, Symbols: cr.Symbols,
	}
}

// providedPassword returns the user's own password for comp, or "".
func (r *run) providedPassword(ctx context.Context, comp string) (string, error) {
	src, ok := r.over.passwords[comp]
	if !ok {
		return "", nil
	}
	if src.file != "" {
		return credentials.ReadPasswordFile(comp, src.file)
	}
	if r.cluster == nil {
		return "", nil // --dry-run: the Secret is read at apply time
	}
	sec, err := r.cluster.Client.CoreV1().Secrets(src.secretNS).Get(ctx, src.secret, metav1.GetOptions{})
	if err != nil {
		return "", outcome.Input(fmt.Errorf("--password %s=secret:%s/%s: %w", comp, src.secretNS, src.secret, err))
	}
	pw, ok := sec.Data[src.secretKey]
	if !ok {
		return "", outcome.Input(fmt.Errorf("--password %s=secret:%s/%s: the secret has no key %q (keys: %s)", comp, src.secretNS, src.secret, src.secretKey, strings.Join(slices.Sorted(maps.Keys(sec.Data)), ", ")))
	}
	return string(pw), nil
}

// buildPlan derives the values that depend on credentials and calls the
// pure planner. A bcrypt hash is salted, so a fresh one every run would
// change the values (and trigger an upgrade) each time: the hash the last
// release recorded is reused while it still matches the password.
func (r *run) buildPlan(ctx context.Context) error {
	in := plan.Input{
		Profile: r.profile, Charts: r.resolvedCharts, Domain: r.opts.Domain, IP: r.opts.IP,
		Files: r.over.Files, Sets: r.over.Sets,
		Credentials: map[string]plan.Credential{},
		Generated:   r.generatedValues(),
	}
	for _, c := range r.profile.Components {
		cred, ok := r.creds[c.Name]
		if !ok {
			continue
		}
		pc := plan.Credential{SecretName: cred.Secret, UsernameKey: c.Credentials.UsernameKey, PasswordKey: c.Credentials.PasswordKey, Username: cred.Username, Mtime: cred.Mtime()}
		if len(c.Credentials.Inject.Bcrypt) > 0 {
			pc.Hash = r.previousHash(ctx, c, cred.Password)
			if pc.Hash == "" {
				h, err := credentials.Bcrypt(cred.Password)
				if err != nil {
					return err
				}
				pc.Hash = h
			}
		}
		in.Credentials[c.Name] = pc
	}
	p, err := plan.Build(in)
	if err != nil {
		return outcome.Input(err)
	}
	r.plan = p
	return nil
}

func (r *run) previousHash(ctx context.Context, c profile.Component, password string) string {
	if r.cluster == nil {
		return ""
	}
	mgr, err := release.New(r.cluster.GetterFor(c.Namespace), c.Namespace, nil)
	if err != nil {
		return ""
	}
	info, err := mgr.Get(ctx, releaseName(c))
	if err != nil || info == nil {
		return ""
	}
	v, ok := values.Lookup(info.Values, c.Credentials.Inject.Bcrypt[0])
	h, _ := v.(string)
	if !ok || bcrypt.CompareHashAndPassword([]byte(h), []byte(password)) != nil {
		return ""
	}
	return h
}

func releaseName(c profile.Component) string {
	if c.Release != "" {
		return c.Release
	}
	return c.Name
}

// generatedValues are the GitOps wiring settings, for the components that
// exist only with --gitops-repo.
func (r *run) generatedValues() map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, c := range r.profile.Components {
		if c.EnabledBy == "gitops-repo" {
			out[c.Name] = map[string]any{"repo": map[string]any{
				"url": r.opts.GitOpsRepo, "path": r.opts.GitOpsPath, "revision": r.opts.GitOpsRevision,
			}}
		}
	}
	return out
}

// notes are hints for the report: an idle GitOps agent says how to
// connect a repository.
func (r *run) notes() []string {
	if r.opts.GitOpsRepo != "" {
		return nil
	}
	for _, c := range r.profile.Components {
		if c.Group == "gitops" {
			return []string{"The GitOps agent is installed and idle. Point it at a repository with:\n  slipway up --gitops-repo URL [--gitops-path PATH] [--gitops-revision BRANCH]"}
		}
	}
	return nil
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
