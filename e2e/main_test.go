package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/slipway-dev/slipway/e2e/chartsrv"
	"github.com/slipway-dev/slipway/e2e/sim"
	"github.com/slipway-dev/slipway/e2e/standin"
)

// fixtureVersions are the versions every fixture chart is published at,
// so constraint resolution is exercised (e.g. ~1.2.0 must pick 1.2.3).
var fixtureVersions = []string{"0.9.0", "1.0.0", "1.2.0", "1.2.3", "2.0.0"}

// sources serve the fixture charts on loopback, both ways Helm fetches.
var sources struct {
	http     *chartsrv.HTTPRepo
	oci      *chartsrv.OCIRegistry
	packaged []chartsrv.Packaged
}

// startSources packages the fixtures and starts both chart servers.
func startSources(dir string) (func(), error) {
	var err error
	if sources.packaged, err = chartsrv.Package("testdata/charts", fixtureVersions, dir); err != nil {
		return nil, err
	}
	if sources.http, err = chartsrv.NewHTTPRepo(dir); err != nil {
		return nil, err
	}
	if sources.oci, err = chartsrv.NewOCIRegistry(); err != nil {
		sources.http.Close()
		return nil, err
	}
	for _, p := range sources.packaged {
		if err := sources.oci.Push(p); err != nil {
			sources.http.Close()
			sources.oci.Close()
			return nil, err
		}
	}
	return func() { sources.http.Close(); sources.oci.Close() }, nil
}

// env is what every test needs to reach the cluster under test.
var env struct {
	kubeconfig string
	config     *rest.Config
	client     kubernetes.Interface
	dynamic    dynamic.Interface
	cluster    *sim.Cluster // nil when E2E_KUBECONFIG names an outside cluster
	// git serves the GitOps tests' repositories on loopback; the Argo CD
	// and Flux stand-ins (e2e/standin) reconcile from it.
	git *standin.GitServer
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// The first run builds the control plane (about 20 minutes on 2 cores);
	// the build and start share this budget.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel()
	if kc := os.Getenv("E2E_KUBECONFIG"); kc != "" {
		env.kubeconfig = kc
	} else {
		timing := sim.Timing(os.Getenv("E2E_POD_TIMING"))
		start := time.Now()
		c, err := sim.Start(ctx, sim.Options{Timing: timing, Log: os.Stderr})
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e: cannot start the hermetic cluster:", err)
			return 1
		}
		defer c.Stop()
		fmt.Fprintf(os.Stderr, "e2e: hermetic cluster ready in %s (kubeconfig %s)\n", time.Since(start).Round(time.Millisecond), c.Kubeconfig)
		env.cluster, env.kubeconfig = c, c.Kubeconfig
	}
	chartDir, err := os.MkdirTemp("", "slipway-e2e-charts-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(chartDir)
	stopSources, err := startSources(chartDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: chart sources:", err)
		return 1
	}
	defer stopSources()
	// Charts fetched by slipway go to a cache of this run only.
	cacheDir, err := os.MkdirTemp("", "slipway-e2e-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(cacheDir)
	os.Setenv("SLIPWAY_CACHE_DIR", cacheDir)
	if env.config, err = clientcmd.BuildConfigFromFlags("", env.kubeconfig); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	env.config.QPS, env.config.Burst = 100, 200
	if env.dynamic, err = dynamic.NewForConfig(env.config); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if env.client, err = kubernetes.NewForConfig(env.config); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if env.git, err = standin.NewGitServer(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: git server:", err)
		return 1
	}
	defer env.git.Close()
	agents, err := standin.Start(env.config, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: GitOps stand-ins:", err)
		return 1
	}
	defer agents.Stop()
	code := m.Run()
	if code != 0 && env.cluster != nil {
		fmt.Fprintln(os.Stderr, "e2e: tests failed; control-plane log tails follow")
		fmt.Fprintln(os.Stderr, env.cluster.LogTails(20))
	}
	return code
}
