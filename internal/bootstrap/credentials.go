package bootstrap

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/internal/credentials"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/values"
)

// loadCredentials reads the credentials that already exist (a re-run must
// never rotate them) and generates the missing ones in memory. They are
// written to the cluster only by the install, after everything was
// validated. Without a cluster (d.Secrets nil) every one is generated.
//
// The components' Secrets are read at the same time, a few at once (one
// round trip each on a remote cluster, issue 18); the first error in
// profile order is returned, as when they were read one by one.
func loadCredentials(ctx context.Context, p *Prepared, ov *overrides, d Deps) (map[string]credentials.Credential, map[string]credentials.Spec, error) {
	creds, specs := map[string]credentials.Credential{}, map[string]credentials.Spec{}
	comps := p.Profile.Components
	got := make([]*credentials.Credential, len(comps))
	errs := make([]error, len(comps))
	var g errgroup.Group
	g.SetLimit(readConcurrency)
	for i, c := range comps {
		if c.Credentials == nil {
			continue
		}
		spec := credentialSpec(c, p.Options)
		specs[c.Name] = spec
		g.Go(func() error {
			cred, err := loadCredential(ctx, p, ov, d, c.Name, spec)
			got[i], errs[i] = &cred, err
			return nil
		})
	}
	_ = g.Wait()
	for i, c := range comps {
		if errs[i] != nil {
			return nil, nil, errs[i]
		}
		if got[i] != nil {
			creds[c.Name] = *got[i]
		}
	}
	return creds, specs, nil
}

// readConcurrency bounds the reads prepare has in flight at once.
const readConcurrency = 8

// loadCredential reads one component's credential, or generates it.
func loadCredential(ctx context.Context, p *Prepared, ov *overrides, d Deps, comp string, spec credentials.Spec) (credentials.Credential, error) {
	provided, err := providedPassword(ctx, p, ov.passwords, comp)
	if err != nil {
		return credentials.Credential{}, err
	}
	if d.Secrets != nil {
		return d.Secrets.Ensure(ctx, spec, provided, true)
	}
	pw := provided
	if pw == "" {
		if pw, err = credentials.Generate(spec); err != nil {
			return credentials.Credential{}, err
		}
	}
	return credentials.Credential{Component: comp, Namespace: spec.Namespace, Secret: spec.SecretName, URL: spec.URL,
		Username: spec.Username, Password: pw, CreatedAt: p.Started, Created: true}, nil
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
		Adopt: o.Adopt,
	}
}

// providedPassword returns the user's own password for comp, or "".
func providedPassword(ctx context.Context, p *Prepared, sources map[string]passwordSource, comp string) (string, error) {
	src, ok := sources[comp]
	if !ok {
		return "", nil
	}
	if src.file != "" {
		return credentials.ReadPasswordFile(comp, src.file)
	}
	if p.Cluster == nil {
		return "", nil // --dry-run: the Secret is read at apply time
	}
	sec, err := p.Cluster.Client.CoreV1().Secrets(src.secretNS).Get(ctx, src.secret, metav1.GetOptions{})
	if err != nil {
		return "", outcome.Input(fmt.Errorf("--password %s=secret:%s/%s: %w", comp, src.secretNS, src.secret, err))
	}
	pw, ok := sec.Data[src.secretKey]
	if !ok {
		return "", outcome.Input(fmt.Errorf("--password %s=secret:%s/%s: the secret has no key %q (keys: %s)", comp, src.secretNS, src.secret, src.secretKey, strings.Join(slices.Sorted(maps.Keys(sec.Data)), ", ")))
	}
	return credentials.CheckPassword(fmt.Sprintf("--password %s=secret:%s/%s", comp, src.secretNS, src.secret), string(pw))
}

// buildPlan derives the values that depend on credentials and calls the
// pure planner. A bcrypt hash is salted, so a fresh one every run would
// change the values (and trigger an upgrade) each time: the hash the last
// release recorded is reused while it still matches the password.
func buildPlan(ctx context.Context, p *Prepared, ov *overrides, d Deps) (*plan.Plan, error) {
	in := plan.Input{
		Profile: p.Profile, Charts: map[string]plan.Chart{}, Domain: p.Options.Domain, IP: p.Options.IP,
		Files: ov.Files, Sets: ov.Sets,
		Credentials: map[string]plan.Credential{},
		Generated:   generatedValues(p),
		Registry:    userRegistry(p.Options),
	}
	for name, ch := range p.Charts {
		in.Charts[name] = ch.planChart()
	}
	for _, c := range p.Profile.Components {
		cred, ok := p.Credentials[c.Name]
		if !ok {
			continue
		}
		pc := plan.Credential{SecretName: cred.Secret, UsernameKey: c.Credentials.UsernameKey, PasswordKey: c.Credentials.PasswordKey, Username: cred.Username, Mtime: cred.Mtime()}
		if len(c.Credentials.Inject.Bcrypt) > 0 {
			pc.Hash = previousHash(ctx, d.Releases, c, cred)
			if pc.Hash == "" {
				h, err := credentials.Bcrypt(cred.Password)
				if err != nil {
					return nil, err
				}
				pc.Hash = h
			}
		}
		in.Credentials[c.Name] = pc
	}
	pl, err := plan.Build(in)
	return pl, outcome.Input(err)
}

// previousHash is the bcrypt hash the component's release holds, when it
// still matches the credential's password; "" otherwise. The Secret's MAC
// of the hash (credentials.Hash) spares the bcrypt check, ~60 ms of CPU
// on the critical path of a no-op `up` (issue 18); without one that
// matches, bcrypt decides.
func previousHash(ctx context.Context, rels Releases, c profile.Component, cred credentials.Credential) string {
	if rels == nil {
		return ""
	}
	mgr, err := rels.For(c.Namespace)
	if err != nil {
		return ""
	}
	info, err := mgr.Get(ctx, releaseName(c))
	if err != nil || info == nil {
		return ""
	}
	v, ok := values.Lookup(info.Values, c.Credentials.Inject.Bcrypt[0])
	h, _ := v.(string)
	if !ok || h == "" {
		return ""
	}
	if cred.Vouches(h) || bcrypt.CompareHashAndPassword([]byte(h), []byte(cred.Password)) == nil {
		return h
	}
	return ""
}

// planHash is the bcrypt hash of comp's password that the plan puts into
// its release, "" if its chart takes none.
func planHash(prof *profile.Profile, rel plan.Release) string {
	if prof == nil {
		return ""
	}
	i := slices.IndexFunc(prof.Components, func(c profile.Component) bool { return c.Name == rel.Component })
	if i < 0 || prof.Components[i].Credentials == nil || len(prof.Components[i].Credentials.Inject.Bcrypt) == 0 {
		return ""
	}
	v, _ := values.Lookup(rel.Values, prof.Components[i].Credentials.Inject.Bcrypt[0])
	h, _ := v.(string)
	return h
}

func releaseName(c profile.Component) string {
	if c.Release != "" {
		return c.Release
	}
	return c.Name
}

// generatedValues are the GitOps wiring settings, for the components that
// exist only with --gitops-repo, and what makes the agent use the
// repository credential (repoAuthValues).
func generatedValues(p *Prepared) map[string]map[string]any {
	out := map[string]map[string]any{}
	o := p.Options
	for _, c := range p.Profile.Components {
		if c.EnabledBy == "gitops-repo" {
			out[c.Name] = map[string]any{"repo": map[string]any{
				"url": o.GitOpsRepo, "path": o.GitOpsPath, "revision": o.GitOpsRevision,
			}}
		}
	}
	repoAuthValues(p.RepoAuth, out)
	return out
}
