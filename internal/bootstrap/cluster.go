package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/slipway-dev/slipway/internal/cluster"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/preflight"
	"github.com/slipway-dev/slipway/internal/ui"
)

// ClusterOptions are what `slipway cluster create|delete` and
// `slipway up --create-cluster` were asked to do.
type ClusterOptions struct {
	Name       string // kind cluster name; "" is cluster.DefaultName
	ConfigFile string // kind configuration; "" is the embedded kind-config.yaml
	Kubeconfig string // explicit --kubeconfig; "" follows $KUBECONFIG or ~/.kube/config
	Wait       time.Duration
	// SkipPreflight skips the container-runtime and host-port checks.
	SkipPreflight bool
}

// clusterDeps are the outside world of cluster operations; tests replace
// every part with a fake.
type clusterDeps struct {
	runner   preflight.Runner
	probe    preflight.PortProbe
	getenv   func(string) string
	provider func(runtime string, logf func(format string, args ...any)) (cluster.Provider, error)
}

func realClusterDeps() clusterDeps {
	return clusterDeps{runner: preflight.ExecRunner{}, probe: preflight.NetProbe{}, getenv: os.Getenv, provider: cluster.NewKindProvider}
}

// CreateCluster creates a kind cluster, after checking that a container
// engine answers and that the host ports the configuration maps are free,
// and returns its kubeconfig context. An existing cluster is left alone.
func CreateCluster(ctx context.Context, o ClusterOptions, printer *ui.Printer) (string, error) {
	return createCluster(ctx, o, printer, realClusterDeps())
}

func createCluster(ctx context.Context, o ClusterOptions, printer *ui.Printer, d clusterDeps) (string, error) {
	name := o.Name
	if name == "" {
		name = cluster.DefaultName
	}
	config, configName := cluster.DefaultConfig, "kind-config.yaml"
	if o.ConfigFile != "" {
		data, err := os.ReadFile(o.ConfigFile)
		if err != nil {
			return "", outcome.Input(fmt.Errorf("--config: %w", err))
		}
		config, configName = data, o.ConfigFile
	}
	ports, err := cluster.HostPorts(config)
	if err != nil {
		return "", outcome.Input(fmt.Errorf("%s: %w", configName, err))
	}
	// containerd reads the hosts.toml up writes for the in-cluster
	// registry only with config_path set (kind's local-registry pattern).
	if config, err = cluster.WithCertsDir(config); err != nil {
		return "", outcome.Input(fmt.Errorf("%s: %w", configName, err))
	}

	runtime := ""
	var failed []error
	if !o.SkipPreflight {
		if runtime, err = preflight.ContainerRuntime(ctx, d.runner, d.getenv("KIND_EXPERIMENTAL_PROVIDER")); err != nil {
			failed = append(failed, err)
		}
	}
	mgr := &cluster.Manager{Kubeconfig: o.Kubeconfig, Wait: o.Wait, Logf: printer.Infof}
	exists := false
	if len(failed) == 0 {
		if mgr.Provider, err = d.provider(runtime, printer.Infof); err != nil {
			return "", outcome.Input(err)
		}
		if exists, err = mgr.Exists(name); err != nil {
			return "", err
		}
	}
	// A cluster that exists holds its own ports: check them only when
	// the cluster is to be made.
	if !o.SkipPreflight && !exists {
		var hp []preflight.HostPort
		for _, p := range ports {
			if p.Protocol == "TCP" {
				hp = append(hp, preflight.HostPort{Port: p.HostPort, Address: p.ListenAddress})
			}
		}
		if err := preflight.HostPortsFree(d.probe, hp, configName); err != nil {
			failed = append(failed, err)
		}
	}
	if err := preflightFailed(failed); err != nil {
		return "", err
	}
	if runtime != "" {
		printer.Infof("container engine: %s", runtime)
	}
	if _, err := mgr.Create(name, config); err != nil {
		return "", err
	}
	return cluster.ContextName(name), nil
}

// DeleteCluster deletes a kind cluster; a missing one is not an error.
func DeleteCluster(ctx context.Context, o ClusterOptions, printer *ui.Printer) error {
	return deleteCluster(ctx, o, printer, realClusterDeps())
}

func deleteCluster(ctx context.Context, o ClusterOptions, printer *ui.Printer, d clusterDeps) error {
	name := o.Name
	if name == "" {
		name = cluster.DefaultName
	}
	runtime := ""
	if !o.SkipPreflight {
		var err error
		if runtime, err = preflight.ContainerRuntime(ctx, d.runner, d.getenv("KIND_EXPERIMENTAL_PROVIDER")); err != nil {
			return preflightFailed([]error{err})
		}
	}
	p, err := d.provider(runtime, printer.Infof)
	if err != nil {
		return outcome.Input(err)
	}
	mgr := &cluster.Manager{Provider: p, Kubeconfig: o.Kubeconfig, Logf: printer.Infof}
	_, err = mgr.Delete(name)
	return err
}

// preflightFailed joins every failed check into one input error (exit 2).
func preflightFailed(failed []error) error {
	if len(failed) == 0 {
		return nil
	}
	return outcome.Input(fmt.Errorf("preflight checks failed; nothing was changed (--skip-preflight bypasses these checks):\n%w", errors.Join(failed...)))
}

// ListClusters names the existing kind clusters.
func ListClusters(ctx context.Context, skipPreflight bool) ([]string, error) {
	d := realClusterDeps()
	runtime := ""
	if !skipPreflight {
		var err error
		if runtime, err = preflight.ContainerRuntime(ctx, d.runner, d.getenv("KIND_EXPERIMENTAL_PROVIDER")); err != nil {
			return nil, preflightFailed([]error{err})
		}
	}
	p, err := d.provider(runtime, nil)
	if err != nil {
		return nil, outcome.Input(err)
	}
	return (&cluster.Manager{Provider: p}).List()
}
