package plan

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/values"
)

// SampleImage is the repository name the sample pipeline pushes under the
// registry; each build adds the tag <build number>-<short commit>.
const SampleImage = "sample-app"

// UserRegistry is the user's own registry (--registry), if any.
type UserRegistry struct {
	Ref   string // HOST[:PORT][/PATH], checked by CheckRegistry
	Login bool   // credentials given: the pipeline mounts the docker-registry Secret
}

// Push is where the sample pipeline pushes the image it builds.
type Push struct {
	// Image is the repository, without tag; empty when the platform has
	// no registry (the Push stage then fails, saying how to get one).
	Image string `json:"image"`
	// Secret is the docker-registry Secret the pipeline logs in with
	// (in the CI server's namespace); empty for the in-cluster registry.
	Secret string `json:"secret,omitempty"`
	// InCluster is set when Image is on the in-cluster registry, which
	// speaks plain HTTP inside the cluster.
	InCluster bool `json:"inCluster,omitempty"`
}

// The env entries of profile.Pipeline.EnvPath slipway sets; the sample
// pipeline's JCasC reads them when Jenkins starts.
const (
	EnvImage    = "SAMPLE_IMAGE"
	EnvSecret   = "SAMPLE_REGISTRY_SECRET"
	EnvFlags    = "SAMPLE_PUSH_FLAGS"
	EnvPushNote = "SAMPLE_PUSH_NOTE"
)

// InClusterRegistry is the one name of a registry component: pods push
// to it through cluster DNS, kind nodes pull from it through the
// hosts.toml slipway writes, and printed image references use it.
func InClusterRegistry(c profile.Component) string {
	rel := c.Release
	if rel == "" {
		rel = c.Name
	}
	return fmt.Sprintf("%s.%s.svc.cluster.local:%d", rel, c.Namespace, c.Registry.Port)
}

// pushOf decides the sample pipeline's destination: the user's registry,
// else the profile's in-cluster registry (when selected), else none.
func pushOf(p *profile.Profile, user UserRegistry, pipeline *profile.Component) *Push {
	if pipeline == nil {
		return nil
	}
	if user.Ref != "" {
		push := &Push{Image: strings.TrimSuffix(user.Ref, "/") + "/" + SampleImage}
		if user.Login {
			push.Secret = pipeline.Pipeline.SecretName
		}
		return push
	}
	for _, c := range p.Components {
		if c.Registry != nil {
			return &Push{Image: InClusterRegistry(c) + "/" + SampleImage, InCluster: true}
		}
	}
	return &Push{}
}

// pushEnv is the env list at the pipeline's EnvPath with slipway's
// entries set to push's values, in the profile's order (missing ones
// appended): the same destination gives the same list, so a re-run
// changes nothing.
func pushEnv(c profile.Component, push *Push) []any {
	flags, note := "", ""
	switch {
	case push.Image == "":
		note = "No registry to push to (no in-cluster registry: --without registry, or a profile without one; and no --registry), so the Push stage fails. Run slipway up again with --registry HOST/PATH --registry-username USER --registry-password @FILE, or without --without registry."
	case push.InCluster:
		flags = "--insecure"
		note = "Pushes to the in-cluster registry " + push.Image + ", tagged <build number>-<short commit>; the cluster's nodes pull from it."
	default:
		note = "Pushes to " + push.Image + ", tagged <build number>-<short commit>."
	}
	want := [][2]string{{EnvImage, push.Image}, {EnvSecret, push.Secret}, {EnvFlags, flags}, {EnvPushNote, note}}
	var out []any
	old, _ := values.Lookup(c.Values, c.Pipeline.EnvPath)
	list, _ := old.([]any)
	done := map[string]bool{}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			out = append(out, e)
			continue
		}
		entry := values.Merge(nil, m)
		for _, w := range want {
			if entry["name"] == w[0] {
				entry["value"], done[w[0]] = w[1], true
			}
		}
		out = append(out, entry)
	}
	for _, w := range want {
		if !done[w[0]] {
			out = append(out, map[string]any{"name": w[0], "value": w[1]})
		}
	}
	return out
}

// PipelineImages are the images the pipeline's pod runs, read from the
// release's final values (a --set can change them): the values of the
// profile's imageEnv entries.
func PipelineImages(c profile.Component, vals map[string]any) []string {
	if c.Pipeline == nil {
		return nil
	}
	v, _ := values.Lookup(vals, c.Pipeline.EnvPath)
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		m, _ := e.(map[string]any)
		for _, name := range c.Pipeline.ImageEnv {
			if img, ok := m["value"].(string); ok && m["name"] == name && strings.TrimSpace(img) != "" {
				out = append(out, strings.TrimSpace(img))
			}
		}
	}
	return out
}

// registryRef is HOST[:PORT][/PATH]: a DNS name, IPv4 address or
// bracketed IPv6 address, an optional port, and path components as image
// references allow them (lower-case letters and digits, joined by '.',
// '_', '__' or dashes).
var registryRef = regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)

// CheckRegistry says why ref cannot be --registry, or nil.
func CheckRegistry(ref string) error {
	shown := ref
	if len(shown) > 100 {
		shown = shown[:100] + "…"
	}
	switch {
	case strings.Contains(ref, "://"):
		return fmt.Errorf("--registry %q: give the registry without a scheme, as HOST[:PORT][/PATH], e.g. --registry ghcr.io/me", shown)
	case len(ref) > 200 || !registryRef.MatchString(ref):
		return fmt.Errorf("--registry %q: not a registry; want HOST[:PORT][/PATH]: a host name or address, an optional port, then path parts of lower-case letters, digits, '.', '_' and '-', e.g. --registry ghcr.io/me", shown)
	}
	return nil
}

// RegistryServer is the key of a registry's login in a docker config:
// its host[:port], and Docker Hub under the name its clients use.
func RegistryServer(ref string) string {
	host, _, _ := strings.Cut(ref, "/")
	switch host {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		return "https://index.docker.io/v1/"
	}
	return host
}
