package charts

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"

	"helm.sh/helm/v4/pkg/registry"
)

// ociSource is one chart in an OCI registry, through Helm's registry
// client: its tags are the versions, and a pull gives the archive.
type ociSource struct {
	l   *Locator
	ref string // oci://host/path/name; empty when the source only fetches
}

func (s ociSource) resolve(ctx context.Context, want constraint) (Resolved, error) {
	c, err := s.l.oci.client(s.ref)
	if err != nil {
		return Resolved{}, err
	}
	defer s.l.oci.abort.watch(ctx)()
	tags, err := shared(ctx, &s.l.flights, "tags\x00"+s.ref, func() ([]string, error) {
		return c.Tags(strings.TrimPrefix(s.ref, "oci://"))
	})
	if err != nil {
		return Resolved{}, fmt.Errorf("list versions of %s: %w%s", s.ref, err, s.l.oci.loginHint(s.ref, err))
	}
	name := path.Base(s.ref)
	v, ok := pick(tags, want)
	if !ok {
		return Resolved{}, noMatch(name, s.ref, want, tags)
	}
	r := Resolved{Name: name, Version: v, Ref: s.ref + ":" + v}
	s.l.cache.remember(s.ref, r)
	return r, nil
}

// checkOCIRef (before any lookup, online or not) refuses what is not oci://…/name: a digest (@sha256:…) or
// a tag, which the profile's version constraint picks instead.
func checkOCIRef(ref string) error {
	if !strings.HasPrefix(ref, "oci://") || strings.Contains(strings.TrimPrefix(ref, "oci://"), "@") || strings.Count(ref, ":") > 2 {
		return fmt.Errorf("%q is not an OCI chart reference like oci://ghcr.io/org/charts/name", ref)
	}
	return nil
}

func (s ociSource) fetch(ctx context.Context, r Resolved) (Fetched, error) {
	return s.l.download(ctx, r, func(ctx context.Context) ([]byte, error) {
		defer s.l.oci.abort.watch(ctx)()
		c, err := s.l.oci.client(r.Ref)
		if err != nil {
			return nil, err
		}
		res, err := c.Pull(strings.TrimPrefix(r.Ref, "oci://"), registry.PullOptWithChart(true))
		if err != nil {
			return nil, fmt.Errorf("%w%s", err, s.l.oci.loginHint(r.Ref, err))
		}
		return res.Chart.Data, nil
	})
}

// registries are Helm registry clients with the logins of `helm registry
// login`, made on first use: one over HTTPS, one over plain HTTP for a
// registry on loopback (which serves HTTP).
//
// Both have the timeout of Options.HTTPClient, and every request ends
// when abort does (abort.go).
type registries struct {
	o                *Options
	secure, loopback func() (*registry.Client, error)
	abort            abortable
}

func newRegistries(o *Options) *registries {
	g := &registries{o: o}
	bound := func(c *http.Client) *http.Client {
		c = limitedClient(c, maxChart)
		c.Transport = g.abort.transport(c.Transport)
		return c
	}
	g.secure = sync.OnceValues(func() (*registry.Client, error) {
		return registry.NewClient(registry.ClientOptWriter(io.Discard), registry.ClientOptHTTPClient(bound(o.HTTPClient)),
			registry.ClientOptCredentialsFile(o.RegistryConfig))
	})
	g.loopback = sync.OnceValues(func() (*registry.Client, error) {
		return registry.NewClient(registry.ClientOptWriter(io.Discard), registry.ClientOptPlainHTTP(),
			registry.ClientOptHTTPClient(bound(&http.Client{Timeout: o.HTTPClient.Timeout, Transport: registry.NewTransport(false)})),
			registry.ClientOptCredentialsFile(o.RegistryConfig))
	})
	return g
}

// client is the registry client for an oci:// reference.
func (g *registries) client(ref string) (*registry.Client, error) {
	if isLoopback(ociHost(ref)) {
		return g.loopback()
	}
	return g.secure()
}

// isLoopback reports whether a registry host[:port] is this machine:
// "localhost" or a loopback IP address. Only such a registry is spoken to
// over plain HTTP, with the login attached; a prefix test on the name
// sent oci://127.evil.example/… over plain HTTP (issue 17, item 9).
func isLoopback(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// ociHost is the registry host[:port] of an oci:// reference.
func ociHost(ref string) string {
	return strings.SplitN(strings.TrimPrefix(ref, "oci://"), "/", 2)[0]
}

// loginHint says what to do when a registry refuses an OCI request for
// want of a login (401) or with a login it does not accept (403). Helm's
// client reports both only as text, so the text is read.
func (g *registries) loginHint(ref string, err error) string {
	host := ociHost(ref)
	msg, lower := err.Error(), strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "status code 401") || strings.Contains(lower, "unauthorized") || strings.Contains(msg, "credential not found"):
		return fmt.Sprintf("\nregistry %s asks for a login (HTTP 401) and the registry config %s has none it accepts: run `helm registry login %s`, or point --registry-config (or $HELM_REGISTRY_CONFIG) at the file that has one", host, g.o.RegistryConfig, host)
	case strings.Contains(msg, "status code 403") || strings.Contains(lower, "denied: "):
		return fmt.Sprintf("\nregistry %s refused access (HTTP 403) with the login in %s: it may have expired or lack pull access to this repository; run `helm registry login %s` again", host, g.o.RegistryConfig, host)
	}
	return ""
}
