package cluster

import (
	"fmt"
	"path"
	"strings"

	"sigs.k8s.io/yaml"
)

// CertsDir is where containerd reads per-registry host configuration
// (hosts.toml) once its CRI registry config_path points there: kind's
// documented local-registry pattern
// (https://kind.sigs.k8s.io/docs/user/local-registry/).
const CertsDir = "/etc/containerd/certs.d"

// ContainerdConfigPatch is the containerdConfigPatches entry that turns
// on CertsDir, as kind's local-registry page writes it.
const ContainerdConfigPatch = `[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "` + CertsDir + `"`

// WithCertsDir returns a kind configuration whose nodes' containerd reads
// CertsDir: config itself when a containerdConfigPatches entry already
// sets config_path (slipway's kind-config.yaml does), else config with
// ContainerdConfigPatch appended (comments are not kept).
func WithCertsDir(config []byte) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(config, &doc); err != nil {
		return nil, fmt.Errorf("kind configuration: %w", err)
	}
	patches, _ := doc["containerdConfigPatches"].([]any)
	for _, p := range patches {
		if s, ok := p.(string); ok && strings.Contains(s, "config_path") {
			return config, nil
		}
	}
	doc["containerdConfigPatches"] = append(patches, ContainerdConfigPatch)
	return yaml.Marshal(doc)
}

// HostsPath is the hosts.toml that configures pulls of registry
// (host:port, the name images are referenced by) on a node.
func HostsPath(registry string) string {
	return path.Join(CertsDir, registry, "hosts.toml")
}

// HostsTOML is the content of HostsPath(registry): pulls of images named
// after the registry go to endpoint (host:port) over plain HTTP. Nodes
// cannot resolve cluster DNS names, so slipway gives the registry
// Service's ClusterIP, which nodes reach through kube-proxy.
func HostsTOML(endpoint string) string {
	return fmt.Sprintf("[host.%q]\n", "http://"+endpoint)
}

// NodeFileWriter writes a file on every node of a cluster; kind's
// provider is one. It returns how many nodes it wrote to.
type NodeFileWriter interface {
	WriteNodeFile(name, path string, content []byte) (int, error)
}

// ConfigureRegistry lets the nodes of cluster name pull images named
// registry/… (host:port) from endpoint, the registry Service's
// ClusterIP:port: it writes HostsTOML on every node. containerd reads
// hosts.toml at each pull, so no restart is needed. It returns the
// number of nodes written.
func (m *Manager) ConfigureRegistry(name, registry, endpoint string) (int, error) {
	w, ok := m.Provider.(NodeFileWriter)
	if !ok {
		return 0, fmt.Errorf("kind cluster %q: this provider cannot write files on nodes", name)
	}
	n, err := w.WriteNodeFile(name, HostsPath(registry), []byte(HostsTOML(endpoint)))
	if err != nil {
		return 0, fmt.Errorf("kind cluster %q: configure pulls from %s: %w", name, registry, err)
	}
	return n, nil
}
