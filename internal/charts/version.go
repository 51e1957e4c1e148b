package charts

import (
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// constraint is a parsed version constraint with the text it came from,
// for messages.
type constraint struct {
	*semver.Constraints
	text string
}

func parseConstraint(s string) (constraint, error) {
	c, err := semver.NewConstraint(s)
	if err != nil {
		return constraint{}, fmt.Errorf("invalid version constraint %q: %w", s, err)
	}
	return constraint{c, s}, nil
}

// pick returns the highest version satisfying want. Every source picks
// with it, so a constraint means the same from a repository, a registry,
// a charts dir or the offline cache (highest match, as Helm's
// IndexFile.Get does).
func pick(versions []string, want constraint) (string, bool) {
	var vs []*semver.Version
	for _, v := range versions {
		if sv, err := semver.NewVersion(v); err == nil && want.Check(sv) {
			vs = append(vs, sv)
		}
	}
	if len(vs) == 0 {
		return "", false
	}
	sort.Sort(semver.Collection(vs))
	return vs[len(vs)-1].Original(), true
}

// newest lists up to n of the highest versions, for error messages.
func newest(versions []string, n int) string {
	var vs []*semver.Version
	for _, v := range versions {
		if sv, err := semver.NewVersion(v); err == nil {
			vs = append(vs, sv)
		}
	}
	sort.Sort(sort.Reverse(semver.Collection(vs)))
	var out []string
	for i, v := range vs {
		if i == n {
			out = append(out, "…")
			break
		}
		out = append(out, v.Original())
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

func noMatch(name, where string, want constraint, versions []string) error {
	return fmt.Errorf("chart %s in %s has no version matching %q (newest: %s); widen the constraint or pick another profile version", name, where, want.text, newest(versions, 5))
}
