// Command bench measures slipway against the manual way on the hermetic
// cluster, with kwok's realistic pod timing, and prints one table row per
// figure: the median of several runs with min and max, the same figure for
// the baseline measured in the same run, their ratio and the target.
//
//	make bench                    # builds slipway and the Helm CLI, then runs this
//	go -C e2e build -o ../bin/bench ./bench && bin/bench -slipway bin/slipway -helm bin/helm -write
//
// It runs from the repository root (it reads e2e/testdata and writes
// BENCHMARKS.md there); it lives in the e2e module, hence the build first.
//
// The baseline is what the walkthroughs do by hand: the Helm v4 CLI
// running `helm upgrade --install --wait` for each component in needs
// order, with exactly the chart versions and values slipway used (read
// back with `helm get values`) and the credential Secrets created first.
// Both tools fetch charts from the same loopback repository with empty
// caches and reach the API server through the same counting proxy.
//
// With E2E_CHART_MIRROR set, the shipped default profile is measured too,
// with its charts taken from that mirror.
//
// Everything the bench starts (the cluster, the chart server, the proxy,
// child processes) stops when it ends or is interrupted.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/tools/metrics"
)

type config struct {
	slipway, helm string
	kubectl       string
	rtts          []time.Duration
	helmVersion   string
	runs          int
	scaleN        int
	timeout       time.Duration
	write         bool
	out           string
	skipScale     bool
	skipPlatform  bool
	skipFixture   bool
	keep          bool
	paths         bool
}

func main() {
	var c config
	flag.StringVar(&c.slipway, "slipway", "bin/slipway", "slipway `binary` to measure")
	flag.StringVar(&c.helm, "helm", "bin/helm", "Helm v4 CLI `binary` for the baseline")
	flag.StringVar(&c.kubectl, "kubectl", "kubectl", "kubectl `binary` for the credentials baseline (a name is looked up in PATH)")
	rtt := flag.String("rtt", "0,100ms", "comma-separated round-trip `times` the proxy adds (half each way) for the platform figures: 0 is the local cluster, 100ms a remote one")
	flag.StringVar(&c.helmVersion, "helm-version", "", "version the Helm CLI was built at (for the report)")
	flag.IntVar(&c.runs, "runs", 5, "runs per figure (the median of at least 5 is reported)")
	flag.IntVar(&c.scaleN, "scale", 20, "components in the generated scale profiles")
	flag.DurationVar(&c.timeout, "timeout", 5*time.Minute, "readiness timeout of every up and helm install")
	flag.BoolVar(&c.write, "write", false, "write the results into BENCHMARKS.md (between its bench markers)")
	flag.StringVar(&c.out, "out", "BENCHMARKS.md", "`file` -write updates")
	flag.BoolVar(&c.skipScale, "skip-scale", false, "leave out the scale figures (the longest part)")
	flag.BoolVar(&c.skipPlatform, "skip-platform", false, "leave out the platform figures (1-3, 4c, 6a): for trying the scale figures")
	flag.BoolVar(&c.skipFixture, "skip-fixture", false, "with E2E_CHART_MIRROR, measure only the default profile's real charts")
	flag.BoolVar(&c.keep, "keep-work", false, "keep the work directory (profiles, values files) for inspection")
	flag.BoolVar(&c.paths, "paths", false, "log the most frequent API request paths of every cold up (to see where requests go)")
	flag.Parse()
	if c.runs < 1 || c.scaleN < 2 {
		fmt.Fprintln(os.Stderr, "bench: -runs must be at least 1 and -scale at least 2")
		os.Exit(2)
	}
	for _, f := range strings.Split(*rtt, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil || d < 0 || slices.Contains(c.rtts, d) {
			fmt.Fprintf(os.Stderr, "bench: -rtt %q: want distinct durations such as 0,100ms\n", *rtt)
			os.Exit(2)
		}
		c.rtts = append(c.rtts, d)
	}
	if c.runs < 5 {
		logf("-runs %d: fewer than the 5 runs a published figure needs; fine for a try", c.runs)
	}
	// client-go reports every rate-limiter wait through these hooks; the
	// in-process runs of up count the throttled ones with them. They are
	// set directly: controller-runtime (linked in through Helm) already
	// called metrics.Register from an init function, and Register works
	// only once.
	metrics.RateLimiterLatency, metrics.RequestResult = throttle, throttle

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	if !strings.Contains(c.kubectl, "/") {
		path, err := exec.LookPath(c.kubectl)
		if err != nil {
			return fmt.Errorf("the credentials baseline needs kubectl: %w (pass -kubectl)", err)
		}
		c.kubectl = path
	}
	for _, p := range []*string{&c.slipway, &c.helm, &c.kubectl} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		if _, err := os.Stat(abs); err != nil {
			return fmt.Errorf("%w; `make bench` builds both binaries first", err)
		}
		*p = abs
	}
	if _, err := os.Stat("e2e/testdata/charts"); err != nil {
		return fmt.Errorf("run the bench from the repository root (e2e/testdata/charts: %v)", err)
	}
	b, err := newBench(ctx, c)
	if err != nil {
		return err
	}
	defer b.close()
	began := time.Now()
	env := machine(ctx, b)

	if err := b.overhead(ctx); err != nil {
		return err
	}
	suites, err := b.suites()
	if err != nil {
		return err
	}
	if c.skipPlatform {
		suites = nil
	}
	for _, s := range suites {
		if err := b.platform(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s.label, err)
		}
	}
	if !c.skipScale {
		if err := b.scale(ctx); err != nil {
			return fmt.Errorf("scale: %w", err)
		}
	}
	env.took = time.Since(began)
	env.loadEnd = loadavg()
	table := b.table(suites)
	fmt.Println(table)
	fmt.Print("\n" + b.notes(suites))
	if c.write {
		if err := writeReport(c.out, env, table, b.notes(suites)); err != nil {
			return err
		}
		logf("wrote %s", c.out)
	}
	return nil
}
