package profile

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Problem is one thing wrong with a profile.
type Problem struct {
	File    string
	Line    int    // 0 when unknown
	Column  int    // 0 when unknown; set for YAML syntax errors
	Field   string // e.g. components[1].chart.version
	Message string
}

func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, p.Line)
		if p.Column > 0 {
			loc = fmt.Sprintf("%s:%d", loc, p.Column)
		}
	}
	if p.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, p.Field, p.Message)
	}
	return loc + ": " + p.Message
}

// ValidationError carries every problem found in a profile.
type ValidationError struct{ Problems []Problem }

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	if len(lines) == 1 {
		return "invalid profile: " + lines[0]
	}
	return fmt.Sprintf("invalid profile: %d problems:\n  %s", len(lines), strings.Join(lines, "\n  "))
}

// reservedNamespaces are Kubernetes' own: a component there would be
// installed among the system's workloads, and down deletes a component's
// namespace.
var reservedNamespaces = []string{"default", "kube-node-lease", "kube-public", "kube-system"}

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// secretKey is what a Secret's data key may be.
	secretKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	keyPath   = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)
)

// Validate checks everything a profile promises, returning all problems.
func (p *Profile) Validate() error {
	var probs []Problem
	add := func(field, format string, args ...any) {
		probs = append(probs, Problem{File: p.File, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !dnsLabel.MatchString(p.Name) {
		add("name", "%q is not a valid name: lower-case letters, digits and '-'", p.Name)
	}
	if _, err := semver.StrictNewVersion(p.Version); err != nil {
		add("version", "%q is not a semantic version like 1.0.0", p.Version)
	}
	if p.Description == "" {
		add("description", "required: one line saying what the profile installs")
	}
	if len(p.Components) == 0 {
		add("components", "a profile needs at least one component")
	}
	names := map[string]int{}
	groups := map[string][]string{} // group -> options
	for i, c := range p.Components {
		f := fmt.Sprintf("components[%d]", i)
		if !dnsLabel.MatchString(c.Name) || len(c.Name) > 53 {
			add(f+".name", "%q is not a valid component name: a DNS label of at most 53 characters", c.Name)
		}
		if j, dup := names[c.Name]; dup {
			add(f+".name", "duplicate component %q (also components[%d])", c.Name, j)
		} else {
			names[c.Name] = i
		}
		if (c.Group == "") != (c.Option == "") {
			add(f, "group and option go together: a component is one option of a group")
		}
		if c.Group != "" {
			if !slices.Contains(groups[c.Group], c.Option) {
				groups[c.Group] = append(groups[c.Group], c.Option)
			}
		}
		if c.EnabledBy != "" && !slices.Contains(EnabledByFlags, c.EnabledBy) {
			add(f+".enabledBy", "%q is not a flag a component can depend on (%s)", c.EnabledBy, strings.Join(EnabledByFlags, ", "))
		}
		if c.DependentsStart != "" && c.DependentsStart != StartWhenReady && c.DependentsStart != StartWhenInstalled && c.DependentsStart != StartWithIt {
			add(f+".dependentsStart", "%q is not a choice: %s (the default: dependents wait until it is Ready), %s (dependents start once its release is applied) or %s (dependents start with it)", c.DependentsStart, StartWhenReady, StartWhenInstalled, StartWithIt)
		}
		if c.IngressClass != "" && c.Group != "ingress" {
			add(f+".ingressClass", "only components of group ingress provide an ingress class")
		}
		validateChart(c.Chart, f+".chart", add)
		switch {
		case !dnsLabel.MatchString(c.Namespace) || len(c.Namespace) > 63:
			add(f+".namespace", "required: a valid namespace name (a DNS label of at most 63 characters), got %q", Excerpt(c.Namespace))
		case slices.Contains(reservedNamespaces, c.Namespace):
			add(f+".namespace", "%q belongs to Kubernetes: give the component a namespace of its own (down deletes it)", c.Namespace)
		}
		if c.Release != "" && (!dnsLabel.MatchString(c.Release) || len(c.Release) > 53) {
			add(f+".release", "%q is not a valid Helm release name", c.Release)
		}
		if h := c.Host; h != nil {
			if !dnsLabel.MatchString(h.Prefix) {
				add(f+".host.prefix", "%q is not a valid host name label", h.Prefix)
			}
			if len(h.Paths) == 0 {
				add(f+".host.paths", "name at least one values path that receives the hostname")
			}
			all := slices.Concat(h.Paths, h.ClassPaths, h.URLPaths)
			checkPaths(all, f+".host", add)
			checkOnce(all, f+".host", add)
		}
		validatePipeline(c, f, add)
		if cr := c.Credentials; cr != nil {
			cf := f + ".credentials"
			if cr.Length < MinLength {
				add(cf+".length", "%d is too short: at least %d", cr.Length, MinLength)
			}
			if cr.Length > MaxLength {
				add(cf+".length", "%d is too long: at most %d (bcrypt reads only the first %d bytes)", cr.Length, MaxLength, MaxLength)
			}
			if cr.Digits < 0 {
				add(cf+".digits", "%d is negative: say how many digits, or leave it out for %d", cr.Digits, DefaultDigits)
			}
			if cr.Symbols < 0 {
				add(cf+".symbols", "%d is negative: say how many symbols, or leave it out for %d", cr.Symbols, DefaultSymbols)
			}
			if cr.Digits+cr.Symbols > cr.Length/2 {
				add(cf, "digits + symbols (%d) must be at most half the length (%d)", cr.Digits+cr.Symbols, cr.Length)
			}
			if cr.SecretName != "" && !dnsLabel.MatchString(cr.SecretName) {
				add(cf+".secretName", "%q is not a valid Secret name", cr.SecretName)
			}
			in := cr.Inject
			all := slices.Concat(in.ExistingSecret, in.UsernameKey, in.PasswordKey, in.Bcrypt, in.BcryptMtime)
			if len(all) == 0 {
				add(cf+".inject", "say how the chart consumes the password: existingSecret (a Secret name) or bcrypt (a hash) values paths")
			}
			checkPaths(all, cf+".inject", add)
		}
		seen := map[string]bool{}
		for j, s := range c.Secrets {
			sf := fmt.Sprintf("%s.secrets[%d]", f, j)
			if !dnsLabel.MatchString(s.Name) {
				add(sf+".name", "%q is not a valid Secret name", s.Name)
			}
			if seen[s.Name] {
				add(sf+".name", "secret %q is listed twice", s.Name)
			}
			seen[s.Name] = true
			if cr := c.Credentials; cr != nil && s.Name == cr.SecretName {
				add(sf+".name", "%q is the credentials Secret of %s: give the generated Secret another name", s.Name, c.Name)
			}
			if !secretKey.MatchString(s.Key) || len(s.Key) > 253 {
				add(sf+".key", "required: a Secret data key (letters, digits, '-', '_', '.'), got %q", s.Key)
			}
			if s.Length < MinLength {
				add(sf+".length", "%d is too short: at least %d", s.Length, MinLength)
			}
		}
	}
	for g, opts := range groups {
		if choice, ok := p.Choices[g]; ok && choice != "none" && !slices.Contains(opts, choice) {
			add("choices."+g, "%q is not an option of group %s (options: %s)", choice, g, strings.Join(sorted(opts), ", "))
		}
		if _, ok := p.Choices[g]; !ok && len(opts) > 1 {
			add("choices", "group %s has options %s: choose the default one in choices.%s", g, strings.Join(sorted(opts), ", "), g)
		}
	}
	for g := range p.Choices {
		if _, ok := groups[g]; !ok {
			add("choices."+g, "no component is in group %q", g)
		}
	}
	for i, c := range p.Components {
		for _, n := range c.Needs {
			_, isComp := names[n]
			_, isGroup := groups[n]
			if !isComp && !isGroup {
				add(fmt.Sprintf("components[%d].needs", i), "%q is neither a component nor a group of this profile", n)
			}
			if n == c.Name {
				add(fmt.Sprintf("components[%d].needs", i), "%s needs itself", c.Name)
			}
		}
	}
	if cycle := p.findCycle(); cycle != nil {
		add("components", "needs form a cycle: %s", strings.Join(cycle, " → "))
	}
	if len(probs) > 0 {
		return &ValidationError{Problems: probs}
	}
	return nil
}

func validateChart(c Chart, f string, add func(string, string, ...any)) {
	kinds := 0
	if c.Repo != "" || c.Name != "" {
		kinds++
		if c.Repo == "" || c.Name == "" {
			add(f, "a repository chart needs both repo and name")
		} else if u, err := url.Parse(c.Repo); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(f+".repo", "%q is not an http(s) repository URL", c.Repo)
		}
	}
	if c.OCI != "" {
		kinds++
		if !strings.HasPrefix(c.OCI, "oci://") || len(strings.TrimPrefix(c.OCI, "oci://")) < 3 || strings.Contains(c.OCI, "@") {
			add(f+".oci", "%q is not an OCI chart reference like oci://ghcr.io/org/charts/name (the version goes in chart.version)", c.OCI)
		}
	}
	if c.Path != "" {
		kinds++
	}
	switch {
	case kinds == 0:
		add(f, "no chart source: set repo and name, oci, or path")
	case kinds > 1:
		add(f, "more than one chart source: set only one of repo+name, oci, path")
	}
	if c.Version == "" {
		add(f+".version", "required: a version constraint such as ~1.2.0")
	} else if _, err := semver.NewConstraint(c.Version); err != nil {
		add(f+".version", "invalid semver constraint %q: %v", c.Version, err)
	}
}

// validatePipeline checks the registry and pipeline fields: a port,
// a values path, a Secret name and quantities that parse.
func validatePipeline(c Component, f string, add func(string, string, ...any)) {
	if r := c.Registry; r != nil && (r.Port < 1 || r.Port > 65535) {
		add(f+".registry.port", "%d is not a port: give the registry Service's port, e.g. 5000", r.Port)
	}
	pl := c.Pipeline
	if pl == nil {
		return
	}
	if pl.EnvPath == "" {
		add(f+".pipeline.envPath", "required: the values path of the env list that receives the push destination")
	} else {
		checkPaths([]string{pl.EnvPath}, f+".pipeline.envPath", add)
	}
	if !dnsLabel.MatchString(pl.SecretName) || len(pl.SecretName) > 63 {
		add(f+".pipeline.secretName", "required: a Secret name (a DNS label), got %q", Excerpt(pl.SecretName))
	}
	for _, q := range [][2]string{{"cpu", pl.Requests.CPU}, {"memory", pl.Requests.Memory}} {
		if _, err := resource.ParseQuantity(q[1]); err != nil {
			add(f+".pipeline.requests."+q[0], "%q is not a quantity like 500m or 512Mi", Excerpt(q[1]))
		}
	}
}

func checkPaths(paths []string, f string, add func(string, string, ...any)) {
	for _, p := range paths {
		if !keyPath.MatchString(p) {
			add(f, "%q is not a dotted values path like controller.ingress.hostName", p)
		}
	}
}

// checkOnce reports a values path that is to receive two generated values
// (say the hostname and the URL): one would silently overwrite the other.
func checkOnce(paths []string, f string, add func(string, string, ...any)) {
	seen := map[string]bool{}
	for _, p := range paths {
		if seen[p] {
			add(f, "%q is listed twice: a values path receives one of hostname, ingress class or URL", p)
		}
		seen[p] = true
	}
}

// findCycle returns the components of one needs cycle, first repeated at
// the end, or nil. Group needs count as needing every option of the group;
// a need that names a component means that component, as Select reads it
// (the fixture profile's gitops-repo, of group gitops, needs component
// gitops, not itself).
func (p *Profile) findCycle() []string {
	names := map[string]bool{}
	for _, c := range p.Components {
		names[c.Name] = true
	}
	edges := map[string][]string{}
	for _, c := range p.Components {
		for _, n := range c.Needs {
			for _, d := range p.Components {
				if d.Name == n || (!names[n] && d.Group == n && d.Group != "") {
					edges[c.Name] = append(edges[c.Name], d.Name)
				}
			}
		}
	}
	state := map[string]int{} // 0 new, 1 on stack, 2 done
	var stack []string
	var cycle []string
	var visit func(string) bool
	visit = func(n string) bool {
		state[n] = 1
		stack = append(stack, n)
		for _, m := range edges[n] {
			if state[m] == 1 {
				i := slices.Index(stack, m)
				cycle = append(slices.Clone(stack[i:]), m)
				return true
			}
			if state[m] == 0 && visit(m) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = 2
		return false
	}
	for _, c := range p.Components {
		if state[c.Name] == 0 && visit(c.Name) {
			return cycle
		}
	}
	return nil
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }
