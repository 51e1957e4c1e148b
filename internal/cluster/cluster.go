package cluster

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"time"

	"sigs.k8s.io/yaml"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

// DefaultConfig is the repository's kind-config.yaml: one control-plane
// node labelled ingress-ready=true that maps host ports 80 and 443.
//
//go:embed kind-config.yaml
var DefaultConfig []byte

// DefaultName is the cluster name when none is given.
const DefaultName = "slipway"

// Provider is the part of kind slipway uses. Arguments are plain values
// (not kind's opaque options) so that a fake can check them.
type Provider interface {
	// Create makes cluster name from a raw kind configuration, waits up
	// to wait for the control plane, and writes its context into the
	// kubeconfig (kubeconfig; "" means $KUBECONFIG or ~/.kube/config),
	// making it the current context.
	Create(name string, config []byte, kubeconfig string, wait time.Duration) error
	// Delete removes cluster name and its kubeconfig entries.
	Delete(name, kubeconfig string) error
	// List names the existing clusters.
	List() ([]string, error)
}

// Manager runs cluster operations with progress lines.
type Manager struct {
	Provider   Provider
	Kubeconfig string        // explicit --kubeconfig, or "" for kind's default rules
	Wait       time.Duration // how long Create waits for the control plane
	// Logf prints progress (stderr); nil prints nothing.
	Logf func(format string, args ...any)
}

func (m *Manager) logf(format string, args ...any) {
	if m.Logf != nil {
		m.Logf(format, args...)
	}
}

// ContextName is the kubeconfig context kind writes for cluster name.
func ContextName(name string) string { return "kind-" + name }

// Exists reports whether cluster name exists.
func (m *Manager) Exists(name string) (bool, error) {
	names, err := m.List()
	if err != nil {
		return false, err
	}
	return slices.Contains(names, name), nil
}

// List names the existing kind clusters, sorted.
func (m *Manager) List() ([]string, error) {
	names, err := m.Provider.List()
	if err != nil {
		return nil, fmt.Errorf("list kind clusters: %w", err)
	}
	slices.Sort(names)
	return names, nil
}

// Create makes cluster name from config (nil: DefaultConfig) unless it
// already exists, in which case it changes nothing and says so. It
// returns whether a cluster was created.
func (m *Manager) Create(name string, config []byte) (bool, error) {
	if config == nil {
		config = DefaultConfig
	}
	exists, err := m.Exists(name)
	if err != nil {
		return false, err
	}
	if exists {
		m.logf("kind cluster %q already exists: not creating it (context %s; `slipway cluster delete --name %s` removes it)", name, ContextName(name), name)
		return false, nil
	}
	m.logf("creating kind cluster %q (waiting up to %s for the control plane)", name, m.Wait)
	start := time.Now()
	if err := m.Provider.Create(name, config, m.Kubeconfig, m.Wait); err != nil {
		return false, fmt.Errorf("create kind cluster %q: %w\n(`slipway cluster delete --name %s` cleans up what was left)", name, err, name)
	}
	m.logf("kind cluster %q ready in %s; kubeconfig context %s is now the current context", name, time.Since(start).Round(time.Second), ContextName(name))
	return true, nil
}

// Delete removes cluster name, and its kubeconfig context. Deleting a
// cluster that does not exist is not an error; it returns false.
func (m *Manager) Delete(name string) (bool, error) {
	exists, err := m.Exists(name)
	if err != nil {
		return false, err
	}
	if !exists {
		m.logf("no kind cluster %q: nothing to delete", name)
		return false, nil
	}
	if err := m.Provider.Delete(name, m.Kubeconfig); err != nil {
		return false, fmt.Errorf("delete kind cluster %q: %w", name, err)
	}
	m.logf("deleted kind cluster %q and its kubeconfig context %s", name, ContextName(name))
	return true, nil
}

// PortMapping is a host port a kind configuration binds.
type PortMapping struct {
	Node          string // e.g. control-plane
	HostPort      int
	ListenAddress string // "" binds every address
	Protocol      string // TCP, UDP or SCTP
}

// HostPorts lists the host ports a kind configuration maps (its nodes'
// extraPortMappings), so they can be checked before kind binds them.
func HostPorts(config []byte) ([]PortMapping, error) {
	if config == nil {
		config = DefaultConfig
	}
	var c v1alpha4.Cluster
	if err := yaml.UnmarshalStrict(config, &c); err != nil {
		return nil, fmt.Errorf("kind configuration: %w", err)
	}
	if c.Kind != "Cluster" || c.APIVersion != "kind.x-k8s.io/v1alpha4" {
		return nil, errors.New("kind configuration: want kind: Cluster and apiVersion: kind.x-k8s.io/v1alpha4")
	}
	var out []PortMapping
	for _, n := range c.Nodes {
		for _, pm := range n.ExtraPortMappings {
			if pm.HostPort <= 0 { // 0 or -1: kind picks a free port
				continue
			}
			proto := string(pm.Protocol)
			if proto == "" {
				proto = "TCP"
			}
			out = append(out, PortMapping{Node: string(n.Role), HostPort: int(pm.HostPort), ListenAddress: pm.ListenAddress, Protocol: proto})
		}
	}
	return out, nil
}
