package bootstrap

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	builtin "github.com/slipway-dev/slipway/charts"
	"github.com/slipway-dev/slipway/internal/bundle"
	"github.com/slipway-dev/slipway/internal/charts"
	"github.com/slipway-dev/slipway/internal/credentials"
	"github.com/slipway-dev/slipway/internal/gitauth"
	"github.com/slipway-dev/slipway/internal/lock"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/ui"
	"github.com/slipway-dev/slipway/internal/values"
	"github.com/slipway-dev/slipway/profiles"
)

// inputs are what the user gave, read and checked before the cluster is
// contacted, so that a typo in a flag, a profile or a chart source is not
// hidden behind an unreachable cluster.
type inputs struct {
	opts    Options // Profile filled in from the lock; Offline set by a bundle
	lock    lockSource
	profile *profile.Profile // selected: choices and --without applied
	over    *overrides
	charts  *charts.Locator
	// repoAuth is the GitOps repository credential asked for, checked
	// (nil without the flags).
	repoAuth *gitauth.Request
}

// lockSource is the lock being installed (--locked, or a bundle's), if any.
type lockSource struct {
	file *lock.File
	name string // names the lock in messages
	// bundlePaths are a bundle's extracted charts, by component.
	bundlePaths map[string]string
	cleanup     func() // removes what a bundle extracted
}

// readInputs runs the stages that need nothing but the local files: lock
// (or bundle) → profile → overrides → chart sources.
func readInputs(opts Options, printer *ui.Printer) (in inputs, err error) {
	in.opts = opts
	if in.lock, err = readLock(&in.opts, printer); err != nil {
		return in, err
	}
	defer func() {
		if err != nil {
			in.close()
		}
	}()
	if in.profile, err = selectProfile(in.opts, printer); err != nil {
		return in, err
	}
	if in.over, err = parseOverrides(in.opts); err != nil {
		return in, err
	}
	if err := errors.Join(plan.CheckOverrides(in.profile, in.over.Overrides, slices.Sorted(maps.Keys(in.over.passwords)))...); err != nil {
		return in, outcome.Input(err)
	}
	if in.repoAuth, err = checkRepoAuth(in.opts, in.profile); err != nil {
		return in, err
	}
	in.charts, err = charts.New(charts.Options{
		Mirror: in.opts.ChartMirror, ChartsDir: in.opts.ChartsDir,
		CacheDir: in.opts.CacheDir, Offline: in.opts.Offline,
		RegistryConfig: in.opts.RegistryConfig, RepositoryConfig: in.opts.RepositoryConfig,
	})
	return in, outcome.Input(err)
}

func (in inputs) close() { in.lock.close() }

// close removes what a bundle extracted, if anything.
func (ls lockSource) close() {
	if ls.cleanup != nil {
		ls.cleanup()
	}
}

// readLock reads --locked, or extracts and verifies --bundle, before
// anything else: a damaged bundle fails before the cluster is contacted.
// With both, the bundle's lock must pin exactly what --locked pins
// (bundle.Open): that is what ties a bundle to a lock the user trusts.
// Without --profile, the lock's own profile and version are used; a
// bundle turns on --offline (everything comes from it).
func readLock(opts *Options, printer *ui.Printer) (lockSource, error) {
	var ls lockSource
	switch {
	case opts.Bundle != "":
		dir, err := os.MkdirTemp("", "slipway-bundle-")
		if err != nil {
			return ls, err
		}
		ls.cleanup = func() { os.RemoveAll(dir) }
		c, err := bundle.Open(opts.Bundle, dir, opts.Locked)
		if err != nil {
			ls.cleanup()
			return lockSource{}, outcome.Input(err)
		}
		ls.file, ls.name, ls.bundlePaths = c.Lock, opts.Bundle+":"+bundle.LockName, c.Paths
		opts.Offline = true
		if opts.Locked != "" {
			printer.Infof("bundle %s: %d charts verified against its lock, which pins what %s pins", opts.Bundle, len(c.Paths), opts.Locked)
		} else {
			printer.Infof("bundle %s: %d charts verified against its own lock (pin it to a lock you trust with --locked)", opts.Bundle, len(c.Paths))
		}
	case opts.Locked != "":
		lf, err := lock.Read(opts.Locked)
		if err != nil {
			return ls, outcome.Input(err)
		}
		ls.file, ls.name = lf, opts.Locked
	}
	if opts.Profile == "" {
		opts.Profile = "default"
		if ls.file != nil {
			opts.Profile = ls.file.Profile + "@" + ls.file.ProfileVersion
		}
	}
	return ls, nil
}

// selectProfile loads the profile and applies the choices and --without.
// A component enabled only by --gitops-repo is left out without it.
func selectProfile(opts Options, printer *ui.Printer) (*profile.Profile, error) {
	p, err := profile.NewCatalog(profiles.FS).Resolve(opts.Profile)
	if err != nil {
		return nil, outcome.Input(err)
	}
	var without []string
	enabled := map[string]bool{"gitops-repo": opts.GitOpsRepo != "", "in-cluster-registry": opts.Registry == "" || opts.InClusterRegistry}
	for _, name := range profile.Disabled(p, enabled) {
		if !slices.Contains(opts.Without, name) {
			without = append(without, name)
		}
	}
	sel, err := profile.Select(p, opts.Choices, append(without, opts.Without...))
	if err != nil {
		return nil, outcome.Input(err)
	}
	printer.Infof("profile %s@%s: %s", sel.Name, sel.Version, plan.ComponentNames(sel))
	return sel, nil
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

// overrides are the parsed -f, --set and --password flags, per component.
type overrides struct {
	values.Overrides
	passwords map[string]passwordSource
	// registryPassword is --registry-password, nil without it.
	registryPassword *passwordSource
}

// passwordSource is where a user-supplied password comes from.
type passwordSource struct {
	file             string // @FILE
	secretNS, secret string // secret:NAMESPACE/NAME
	secretKey        string // optional :KEY, default "password"
}

// parseOverrides parses every -f, --set and --password flag and reports
// all problems together. It reads the values and password files but
// nothing else.
func parseOverrides(o Options) (*overrides, error) {
	vals, err := values.ParseFlags(o.Sets, o.ValuesFiles)
	ov := &overrides{Overrides: vals, passwords: map[string]passwordSource{}}
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, p := range o.Passwords {
		comp, src, ok := strings.Cut(p, "=")
		switch {
		case !ok || comp == "" || src == "":
			errs = append(errs, fmt.Errorf("--password %q: want COMPONENT=@FILE or COMPONENT=secret:NAMESPACE/NAME", redactValue(p)))
		case strings.HasPrefix(src, "@"):
			// Read now, so a missing file is reported before the cluster
			// is contacted; loadCredentials reads it again.
			if _, err := credentials.ReadPasswordFile(comp, src[1:]); err != nil {
				errs = append(errs, err)
				continue
			}
			ov.passwords[comp] = passwordSource{file: src[1:]}
		case strings.HasPrefix(src, "secret:"):
			ps, ok := secretSource(src)
			if !ok {
				errs = append(errs, fmt.Errorf("--password %s=%s: want secret:NAMESPACE/NAME[:KEY]", comp, src))
				continue
			}
			ov.passwords[comp] = ps
		default:
			// Never echo the value: it is probably the password itself.
			errs = append(errs, fmt.Errorf("--password %s=…: a password on the command line lands in shell history and process lists; put it in a file and pass %s=@FILE, or in a Secret and pass %s=secret:NAMESPACE/NAME", comp, comp, comp))
		}
	}
	if src := o.RegistryPassword; src != "" {
		ps, err := registryPasswordSource(src)
		if err != nil {
			errs = append(errs, err)
		}
		ov.registryPassword = ps
	}
	if err := errors.Join(errs...); err != nil {
		return nil, outcome.Input(err)
	}
	return ov, nil
}

// secretSource parses secret:NAMESPACE/NAME[:KEY] (KEY defaults to
// "password").
func secretSource(src string) (passwordSource, bool) {
	ref, key, _ := strings.Cut(strings.TrimPrefix(src, "secret:"), ":")
	ns, name, ok := strings.Cut(ref, "/")
	if !ok || ns == "" || name == "" {
		return passwordSource{}, false
	}
	if key == "" {
		key = "password"
	}
	return passwordSource{secretNS: ns, secret: name, secretKey: key}, true
}

// registryPasswordSource parses --registry-password with --password's
// forms; a file is read now, so a missing one fails before the cluster
// is contacted.
func registryPasswordSource(src string) (*passwordSource, error) {
	switch {
	case strings.HasPrefix(src, "@"):
		if _, err := credentials.ReadRegistryPassword(src[1:]); err != nil {
			return nil, err
		}
		return &passwordSource{file: src[1:]}, nil
	case strings.HasPrefix(src, "secret:"):
		ps, ok := secretSource(src)
		if !ok {
			return nil, fmt.Errorf("--registry-password %s: want secret:NAMESPACE/NAME[:KEY]", src)
		}
		return &ps, nil
	}
	// Never echo the value: it is probably the password itself.
	return nil, errors.New("--registry-password …: a password on the command line lands in shell history and process lists; put it in a file and pass --registry-password @FILE, or in a Secret and pass --registry-password secret:NAMESPACE/NAME")
}

func redactValue(p string) string {
	if comp, _, ok := strings.Cut(p, "="); ok {
		return comp + "=…"
	}
	return p
}
