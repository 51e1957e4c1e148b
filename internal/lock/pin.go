package lock

import "fmt"

// Diff is the first way got differs from want, the lock the user
// trusts, or nil when got pins exactly what want pins: the same profile
// version, the same components, each with the same chart name, version,
// format and digest, and, when want records one, the same images.txt
// digest. Sources may differ (a chart copied to a mirror is the same
// chart); digests may not. The order is want's, so the message is stable.
func Diff(want, got *File) error {
	if want.Profile != got.Profile || want.ProfileVersion != got.ProfileVersion {
		return fmt.Errorf("it is for profile %s@%s, the lock for %s@%s", got.Profile, got.ProfileVersion, want.Profile, want.ProfileVersion)
	}
	w := sorted(want)
	for _, e := range w.Charts {
		g, ok := got.Get(e.Component)
		switch {
		case !ok:
			return fmt.Errorf("component %s: the lock pins chart %s@%s, it has none", e.Component, e.Name, e.Version)
		case g.Name != e.Name || g.Version != e.Version || g.Format != e.Format || g.Digest != e.Digest:
			return fmt.Errorf("component %s: it has chart %s@%s (%s, digest %s), the lock pins %s@%s (%s, digest %s)", e.Component, g.Name, g.Version, g.Format, g.Digest, e.Name, e.Version, e.Format, e.Digest)
		}
	}
	for _, g := range sorted(got).Charts {
		if _, ok := want.Get(g.Component); !ok {
			return fmt.Errorf("component %s: it has chart %s@%s, the lock pins no such component", g.Component, g.Name, g.Version)
		}
	}
	if want.ImagesDigest != "" && got.ImagesDigest != want.ImagesDigest {
		return fmt.Errorf("images.txt: its digest is %s, the lock pins %s", orNone(got.ImagesDigest), want.ImagesDigest)
	}
	return nil
}

func orNone(d string) string {
	if d == "" {
		return "not recorded"
	}
	return d
}
