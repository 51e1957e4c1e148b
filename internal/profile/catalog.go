package profile

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/slipway-dev/slipway/internal/limit"
)

// Catalog is the set of embedded profiles: <name>/<version>.yaml files.
type Catalog struct{ fsys fs.FS }

// NewCatalog reads profiles from fsys (package profiles embeds them).
func NewCatalog(fsys fs.FS) *Catalog { return &Catalog{fsys: fsys} }

// Summary describes one profile for `profiles list`.
type Summary struct {
	Name        string   `json:"name"`
	Versions    []string `json:"versions"` // newest first
	Description string   `json:"description"`
}

// NotFoundError is an unknown profile name or version.
type NotFoundError struct {
	Ref       string
	Available []string // name@versions, for the message
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no profile %q; available: %s (or a path to a profile file)", e.Ref, strings.Join(e.Available, ", "))
}

// versions returns name -> versions (newest first).
func (c *Catalog) versions() (map[string][]*semver.Version, error) {
	files, err := fs.Glob(c.fsys, "*/*.yaml")
	if err != nil {
		return nil, err
	}
	out := map[string][]*semver.Version{}
	for _, f := range files {
		name, file := path.Split(f)
		v, err := semver.StrictNewVersion(strings.TrimSuffix(file, ".yaml"))
		if err != nil {
			return nil, fmt.Errorf("embedded profile %s: file name is not a version: %w", f, err)
		}
		name = strings.TrimSuffix(name, "/")
		out[name] = append(out[name], v)
	}
	for _, vs := range out {
		sort.Sort(sort.Reverse(semver.Collection(vs)))
	}
	return out, nil
}

// List returns every profile, sorted by name.
func (c *Catalog) List() ([]Summary, error) {
	all, err := c.versions()
	if err != nil {
		return nil, err
	}
	var out []Summary
	for name, vs := range all {
		p, err := c.load(name, vs[0])
		if err != nil {
			return nil, err
		}
		s := Summary{Name: name, Description: p.Description}
		for _, v := range vs {
			s.Versions = append(s.Versions, v.Original())
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (c *Catalog) load(name string, v *semver.Version) (*Profile, error) {
	file := path.Join(name, v.Original()+".yaml")
	data, err := fs.ReadFile(c.fsys, file)
	if err != nil {
		return nil, err
	}
	p, err := Decode("profiles/"+file, data)
	if err != nil {
		return nil, err
	}
	if p.Name != name || p.Version != v.Original() {
		return nil, fmt.Errorf("profiles/%s declares %s@%s: name and version must match the file's path", file, p.Name, p.Version)
	}
	return p, nil
}

// IsPath reports whether ref names a file rather than a catalogue entry.
func IsPath(ref string) bool {
	return strings.ContainsRune(ref, os.PathSeparator) || strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml")
}

// Resolve finds a profile: `name` (newest version), `name@1.0.0`,
// `name@~1.0` (highest version matching), or a file path.
func (c *Catalog) Resolve(ref string) (*Profile, error) {
	if IsPath(ref) {
		data, err := limit.ReadFile(ref, limit.Profile, "profile file")
		var tl *limit.TooLargeError
		switch {
		case errors.As(err, &tl):
			return nil, err
		case err != nil:
			return nil, fmt.Errorf("profile file: %w", err)
		}
		p, err := Decode(ref, data)
		if err != nil {
			return nil, err
		}
		p.Dir = filepath.Dir(ref)
		return p, nil
	}
	all, err := c.versions()
	if err != nil {
		return nil, err
	}
	var available []string
	for _, name := range slices.Sorted(maps.Keys(all)) {
		var vs []string
		for _, v := range all[name] {
			vs = append(vs, v.Original())
		}
		available = append(available, name+"@"+strings.Join(vs, "|"))
	}
	name, want, hasVersion := strings.Cut(ref, "@")
	vs, ok := all[name]
	if !ok {
		return nil, &NotFoundError{Ref: ref, Available: available}
	}
	if !hasVersion {
		return c.load(name, vs[0])
	}
	con, err := semver.NewConstraint(want)
	if err != nil {
		return nil, fmt.Errorf("profile %q: %q is neither a version nor a constraint: %w", ref, want, err)
	}
	for _, v := range vs {
		if con.Check(v) {
			return c.load(name, v)
		}
	}
	return nil, &NotFoundError{Ref: ref, Available: available}
}

// Select returns a copy of p with one option per group (choices override
// the profile's defaults; "none" drops the group), the components in
// without removed, and needs rewritten to component names.
func Select(p *Profile, choices map[string]string, without []string) (*Profile, error) {
	groups := map[string][]string{}
	names := map[string]bool{}
	for _, c := range p.Components {
		names[c.Name] = true
		if c.Group != "" && !slices.Contains(groups[c.Group], c.Option) {
			groups[c.Group] = append(groups[c.Group], c.Option)
		}
	}
	chosen := map[string]string{}
	for g, o := range p.Choices {
		chosen[g] = o
	}
	var errs []error
	for g, o := range choices {
		opts, ok := groups[g]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("profile %s@%s has no %s choice", p.Name, p.Version, g))
		case o != "none" && !slices.Contains(opts, o):
			errs = append(errs, fmt.Errorf("--%s %s: profile %s@%s offers %s, or none", g, o, p.Name, p.Version, strings.Join(sorted(opts), ", ")))
		default:
			chosen[g] = o
		}
	}
	for _, w := range without {
		if !names[w] {
			errs = append(errs, fmt.Errorf("--without %s: no such component in profile %s@%s (components: %s)", w, p.Name, p.Version, strings.Join(slices.Sorted(maps.Keys(names)), ", ")))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := *p
	out.Components = nil
	kept := map[string]bool{}
	for _, c := range p.Components {
		if c.Group != "" {
			o, ok := chosen[c.Group]
			if !ok && len(groups[c.Group]) == 1 {
				o = c.Option
			}
			if o != c.Option {
				continue
			}
		}
		if slices.Contains(without, c.Name) {
			continue
		}
		kept[c.Name] = true
		out.Components = append(out.Components, c)
	}
	for i := range out.Components {
		c := &out.Components[i]
		var needs []string
		for _, n := range c.Needs {
			if kept[n] {
				needs = append(needs, n)
				continue
			}
			for _, d := range out.Components {
				if d.Group == n && !slices.Contains(needs, d.Name) {
					needs = append(needs, d.Name)
				}
			}
		}
		c.Needs = needs
	}
	return &out, nil
}

// Disabled lists the components whose EnabledBy flag is not among enabled;
// callers pass them to Select as without.
func Disabled(p *Profile, enabled map[string]bool) []string {
	var out []string
	for _, c := range p.Components {
		if c.EnabledBy != "" && !enabled[c.EnabledBy] {
			out = append(out, c.Name)
		}
	}
	return out
}
