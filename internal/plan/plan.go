package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/values"
)

// Chart is a chart resolved to one exact version.
type Chart struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Ref     string `json:"ref"`              // where it is fetched from: URL, oci:// ref or path
	Digest  string `json:"digest,omitempty"` // sha256:… when known
}

// Credential is what the plan needs to wire a component's credentials
// into its values. Password is used only to derive values (a bcrypt hash
// computed by the caller in Hash); it is never put into values itself.
type Credential struct {
	SecretName, UsernameKey, PasswordKey string
	Username                             string
	Hash, Mtime                          string // bcrypt hash and its mtime, for charts that need them
}

// Input is everything a plan is built from.
type Input struct {
	Profile     *profile.Profile // already selected (choices and --without applied)
	Charts      map[string]Chart // by component name
	Credentials map[string]Credential
	Domain, IP  string
	// Overrides per component, in the order given: -f files first, then --set.
	Files map[string][]map[string]any
	Sets  map[string][]map[string]any
	// Extra generated values per component (e.g. GitOps wiring), merged with
	// the generated layer.
	Generated map[string]map[string]any
	// Registry is the user's own registry for the sample pipeline's push
	// (--registry); without it the profile's in-cluster registry is used.
	Registry UserRegistry
}

// Release is one component as it will be applied.
type Release struct {
	Component string   `json:"component"`
	Namespace string   `json:"namespace"`
	Name      string   `json:"release"`
	Chart     Chart    `json:"chart"`
	Needs     []string `json:"needs,omitempty"`
	// DependentsStart is "installed" when the releases that need this one
	// may start once it is applied, without waiting for it to be Ready,
	// and "started" when they start with it.
	DependentsStart string         `json:"dependentsStart,omitempty"`
	Host            string         `json:"host,omitempty"`
	URL             string         `json:"url,omitempty"`
	Values          map[string]any `json:"values"`
	Warning         string         `json:"warning,omitempty"`
	// Secret is the credentials Secret (in Namespace), empty if none.
	Secret string `json:"secret,omitempty"`
	// Generated are the internal Secrets created before the install when
	// absent (profile field secrets).
	Generated []profile.GeneratedSecret `json:"generatedSecrets,omitempty"`
}

// Plan is the ordered list of releases.
type Plan struct {
	Profile  string    `json:"profile"`
	Version  string    `json:"profileVersion"`
	Releases []Release `json:"releases"` // in a valid apply order
	// Push is where the sample pipeline pushes; nil when the profile has
	// no pipeline settings (before default@1.4.0).
	Push *Push `json:"push,omitempty"`
}

// Build makes the plan. Every problem is reported together.
func Build(in Input) (*Plan, error) {
	p := in.Profile
	var problems []string
	names := map[string]bool{}
	for _, c := range p.Components {
		names[c.Name] = true
	}
	for _, err := range CheckOverrides(p, values.Overrides{Files: in.Files, Sets: in.Sets}, nil) {
		problems = append(problems, err.Error())
	}
	ingressClass := ""
	for _, c := range p.Components {
		if c.Group == "ingress" && c.IngressClass != "" {
			ingressClass = c.IngressClass
		}
	}
	out := &Plan{Profile: p.Name, Version: p.Version}
	for i := range p.Components {
		if p.Components[i].Pipeline != nil {
			out.Push = pushOf(p, in.Registry, &p.Components[i])
		}
	}
	for _, c := range p.Components {
		chart, ok := in.Charts[c.Name]
		if !ok {
			problems = append(problems, fmt.Sprintf("component %s: no resolved chart version", c.Name))
			continue
		}
		r := Release{Component: c.Name, Namespace: c.Namespace, Name: c.Release, Chart: chart, Warning: c.Warning}
		if c.DependentsStart == profile.StartWhenInstalled || c.DependentsStart == profile.StartWithIt {
			r.DependentsStart = c.DependentsStart
		}
		r.Generated = c.Secrets
		if r.Name == "" {
			r.Name = c.Name
		}
		for _, n := range c.Needs {
			if names[n] {
				r.Needs = append(r.Needs, n)
			}
		}
		gen := map[string]any{}
		if c.Host != nil && c.Host.Prefix != "" {
			r.Host = Hostname(c.Host.Prefix, in.IP, in.Domain)
			r.URL = "http://" + r.Host
			for _, path := range c.Host.Paths {
				values.SetPath(gen, path, r.Host)
			}
			for _, path := range c.Host.URLPaths {
				values.SetPath(gen, path, r.URL)
			}
			if ingressClass != "" {
				for _, path := range c.Host.ClassPaths {
					values.SetPath(gen, path, ingressClass)
				}
			}
		}
		if c.Credentials != nil {
			cred, ok := in.Credentials[c.Name]
			if !ok {
				problems = append(problems, fmt.Sprintf("component %s: declares credentials but none were provided", c.Name))
			} else {
				r.Secret = cred.SecretName
				inj := c.Credentials.Inject
				for _, path := range inj.ExistingSecret {
					values.SetPath(gen, path, cred.SecretName)
				}
				for _, path := range inj.UsernameKey {
					values.SetPath(gen, path, cred.UsernameKey)
				}
				for _, path := range inj.PasswordKey {
					values.SetPath(gen, path, cred.PasswordKey)
				}
				for _, path := range inj.Bcrypt {
					values.SetPath(gen, path, cred.Hash)
				}
				for _, path := range inj.BcryptMtime {
					values.SetPath(gen, path, cred.Mtime)
				}
			}
		}
		if c.Pipeline != nil {
			values.SetPath(gen, c.Pipeline.EnvPath, pushEnv(c, out.Push))
		}
		vals := values.Merge(nil, c.Values)
		vals = values.Merge(vals, gen)
		vals = values.Merge(vals, in.Generated[c.Name])
		for _, f := range in.Files[c.Name] {
			vals = values.Merge(vals, f)
		}
		for _, s := range in.Sets[c.Name] {
			vals = values.Merge(vals, s)
		}
		r.Values = vals
		out.Releases = append(out.Releases, r)
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return out, nil
}

// Error lists every problem found while planning.
type Error struct{ Problems []string }

func (e *Error) Error() string { return strings.Join(e.Problems, "\n") }

// Levels groups releases by depth in the needs graph: every release in
// level n needs only releases in levels < n. Releases in one level can be
// applied in parallel. The profile has been validated to be acyclic.
func (p *Plan) Levels() [][]Release {
	depth := map[string]int{}
	var levels [][]Release
	for _, r := range p.Releases { // Releases are in profile order; needs may point forward
		depth[r.Component] = -1
	}
	var visit func(name string) int
	byName := map[string]Release{}
	for _, r := range p.Releases {
		byName[r.Component] = r
	}
	visit = func(name string) int {
		if d := depth[name]; d >= 0 {
			return d
		}
		d := 0
		for _, n := range byName[name].Needs {
			if nd := visit(n) + 1; nd > d {
				d = nd
			}
		}
		depth[name] = d
		return d
	}
	for _, r := range p.Releases {
		d := visit(r.Component)
		for len(levels) <= d {
			levels = append(levels, nil)
		}
		levels[d] = append(levels[d], r)
	}
	return levels
}

// CheckOverrides checks that every component the user's values and
// passwords name is in the profile, and that a component given a
// password has admin credentials. It is the one home of that rule: `up`
// calls it right after parsing the flags, before the cluster is
// contacted, and Build again for any caller that skipped it.
func CheckOverrides(p *profile.Profile, ov values.Overrides, passwords []string) []error {
	var errs []error
	byName := map[string]*profile.Component{}
	for i := range p.Components {
		byName[p.Components[i].Name] = &p.Components[i]
	}
	comps := ov.Components()
	slices.Sort(comps)
	for _, comp := range slices.Compact(comps) {
		if byName[comp] == nil {
			errs = append(errs, fmt.Errorf("no component %q in profile %s@%s; components: %s", comp, p.Name, p.Version, ComponentNames(p)))
		}
	}
	for _, comp := range passwords {
		switch c := byName[comp]; {
		case c == nil:
			errs = append(errs, fmt.Errorf("--password: no component %q in profile %s@%s", comp, p.Name, p.Version))
		case c.Credentials == nil:
			errs = append(errs, fmt.Errorf("--password: component %q has no admin credentials in profile %s@%s", comp, p.Name, p.Version))
		}
	}
	return errs
}

// ComponentNames lists a profile's components in its own order, for
// messages.
func ComponentNames(p *profile.Profile) string {
	names := make([]string, 0, len(p.Components))
	for _, c := range p.Components {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

// Digest identifies what a release would apply: chart, version and final
// values. `up` records it on the Helm release and skips the upgrade when it
// has not changed, which is what makes a no-op re-run fast. 32 hex digits
// fit a Kubernetes label value.
func (r Release) Digest() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", r.Chart.Name, r.Chart.Version, r.Chart.Digest)
	// encoding/json sorts map keys, so equal values give equal bytes.
	data, _ := json.Marshal(r.Values)
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))[:32]
}
