package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// scaleProfile writes a profile of n components, each a release of the
// fixture ingress chart (a Deployment, a Service, a ServiceAccount and an
// IngressClass of its own) in namespace ns. In a chain every component
// needs the one before it (depth n); otherwise none needs another (depth 1).
func scaleProfile(dir, ns string, n int, chain bool) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: slipway.dev/v1alpha1
kind: Profile
name: scale
version: 1.0.0
description: "%d releases of the fixture ingress chart (chain %v)"
components:
`, n, chain)
	for i := range n {
		name := fmt.Sprintf("c%02d", i)
		fmt.Fprintf(&b, `- name: %s
  chart:
    repo: https://charts.invalid/fixtures
    name: ingress
    version: "~1.2.0"
  namespace: %s
  values:
    ingressClass:
      name: %s-%s
`, name, ns, ns, name)
		if chain && i > 0 {
			fmt.Fprintf(&b, "  needs: [c%02d]\n", i-1)
		}
	}
	path := filepath.Join(dir, ns+".yaml")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}

// scale times up for one component, n independent ones and a chain of n,
// each in a namespace of its own, so every run is cold.
func (b *bench) scale(ctx context.Context) error {
	dir, err := b.dir("scale")
	if err != nil {
		return err
	}
	n := b.cfg.scaleN
	shapes := []struct {
		kind  string
		n     int
		chain bool
		s     *Sample
	}{{"one", 1, false, &b.scaleOne}, {"flat", n, false, &b.scaleFlat}, {"chain", n, true, &b.scaleChain}}
	for i := range b.cfg.runs {
		for _, sh := range shapes {
			ns := fmt.Sprintf("scale-%s-%d", sh.kind, i)
			logf("scale: %s (%d components), run %d of %d", sh.kind, sh.n, i+1, b.cfg.runs)
			prof, err := scaleProfile(dir, ns, sh.n, sh.chain)
			if err != nil {
				return err
			}
			cache, err := b.dir("cache-" + ns)
			if err != nil {
				return err
			}
			r, err := timed(ctx, []string{"SLIPWAY_CACHE_DIR=" + cache}, b.cfg.slipway, b.upArgs(prof, b.repo.URL())...)
			if err != nil {
				return err
			}
			if _, err := decodeUp(r.stdout, "install"); err != nil {
				return fmt.Errorf("%s: %w", ns, err)
			}
			sh.s.Seconds(r.wall)
			logf("scale: %s took %s", ns, r.wall.Round(time.Millisecond))
			// The simulated node has room for 160 of these pods (100m CPU
			// each of 16): free it for the next run.
			if err := b.deleteNamespace(ctx, ns); err != nil {
				return err
			}
		}
	}
	// The widest burst of requests: n releases at once. Run it in-process
	// once to watch client-go's rate limiter.
	logf("scale: in-process run of %d independent components for client-side throttling", n)
	prof, err := scaleProfile(dir, "scale-inproc", n, false)
	if err != nil {
		return err
	}
	cache, err := b.dir("cache-scale-inproc")
	if err != nil {
		return err
	}
	_, b.scaleThrottle, err = inProcessUp(ctx, cache, b.upArgs(prof, b.repo.URL())...)
	return err
}
