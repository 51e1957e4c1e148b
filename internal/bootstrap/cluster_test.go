package bootstrap

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/cluster"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/ui"
)

type fakeKind struct {
	clusters []string
	created  []string
	runtime  string
	config   []byte
}

func (f *fakeKind) Create(name string, config []byte, _ string, _ time.Duration) error {
	f.created, f.config = append(f.created, name), config
	f.clusters = append(f.clusters, name)
	return nil
}
func (f *fakeKind) Delete(name, _ string) error { return nil }
func (f *fakeKind) List() ([]string, error)     { return f.clusters, nil }

// engine answers `docker info` when up, and fails like a stopped daemon
// otherwise.
type engine struct{ up bool }

func (e engine) Output(_ context.Context, name string, _ ...string) ([]byte, error) {
	if name != "docker" {
		return nil, &exec.Error{Name: name, Err: exec.ErrNotFound}
	}
	if !e.up {
		return []byte("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n"), errors.New("exit status 1")
	}
	return []byte("28.1.1\n"), nil
}

type taken map[int]bool

func (t taken) InUse(_ string, port int) (bool, string) {
	return t[port], "listen tcp :80: bind: address already in use"
}

func deps(k *fakeKind, up bool, ports taken) clusterDeps {
	return clusterDeps{
		runner: engine{up}, probe: ports, getenv: func(string) string { return "" },
		provider: func(rt string, _ func(string, ...any)) (cluster.Provider, error) { k.runtime = rt; return k, nil },
	}
}

func TestCreateClusterChecksFirst(t *testing.T) {
	k := &fakeKind{}
	var log bytes.Buffer
	ctxName, err := createCluster(context.Background(), ClusterOptions{}, ui.New(&log, false), deps(k, true, nil))
	if err != nil || ctxName != "kind-slipway" || len(k.created) != 1 || k.runtime != "docker" || !bytes.Equal(k.config, cluster.DefaultConfig) {
		t.Fatalf("createCluster = %q, %v; created %v with runtime %q", ctxName, err, k.created, k.runtime)
	}
	if !strings.Contains(log.String(), "container engine: docker") {
		t.Errorf("log:\n%s", log.String())
	}
}

// TestCreateClusterPreflightFailures: every failed check is listed
// together, as bad environment (exit 2), and nothing is created.
func TestCreateClusterPreflightFailures(t *testing.T) {
	k := &fakeKind{}
	_, err := createCluster(context.Background(), ClusterOptions{}, ui.New(&bytes.Buffer{}, false), deps(k, false, taken{80: true}))
	if !errors.Is(err, outcome.ErrInput) {
		t.Fatalf("err = %v, want an input error", err)
	}
	want := "preflight checks failed; nothing was changed (--skip-preflight bypasses these checks):\n" +
		"docker is installed but its engine does not answer (`docker info`: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?): start Docker (Docker Desktop, or `sudo systemctl start docker`) and make sure `docker info` works without sudo (add yourself to the docker group)\n" +
		"host port 80 is already in use on this machine (listen tcp :80: bind: address already in use), and kind-config.yaml maps it to the cluster's ingress: stop the program that holds it (`sudo ss -ltnp 'sport = :80'` or `sudo lsof -i :80` names it), or copy kind-config.yaml, change `hostPort: 80` to a free port such as 8080, and pass the copy with --config (URLs then need :8080)"
	if err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	if len(k.created) != 0 {
		t.Error("created a cluster although preflight failed")
	}
	// --skip-preflight goes ahead, letting kind pick the engine.
	if _, err := createCluster(context.Background(), ClusterOptions{SkipPreflight: true}, ui.New(&bytes.Buffer{}, false), deps(k, false, taken{80: true})); err != nil || len(k.created) != 1 || k.runtime != "" {
		t.Fatalf("--skip-preflight: %v, created %v, runtime %q", err, k.created, k.runtime)
	}
}

// TestCreateClusterExisting: the ports an existing cluster holds are its
// own; nothing is checked or created.
func TestCreateClusterExisting(t *testing.T) {
	k := &fakeKind{clusters: []string{"dev"}}
	var log bytes.Buffer
	ctxName, err := createCluster(context.Background(), ClusterOptions{Name: "dev"}, ui.New(&log, false), deps(k, true, taken{80: true, 443: true}))
	if err != nil || ctxName != "kind-dev" || len(k.created) != 0 {
		t.Fatalf("createCluster = %q, %v; created %v", ctxName, err, k.created)
	}
	if !strings.Contains(log.String(), `kind cluster "dev" already exists: not creating it`) {
		t.Errorf("log:\n%s", log.String())
	}
}

func TestCreateClusterConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kind.yaml")
	cfg := "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n  extraPortMappings:\n  - {containerPort: 80, hostPort: 8080}\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	k := &fakeKind{}
	// The user's file, with the containerd patch the registry's node
	// pulls need appended.
	want, err := cluster.WithCertsDir([]byte(cfg))
	if err != nil || !strings.Contains(string(want), "config_path") {
		t.Fatalf("WithCertsDir: %v\n%s", err, want)
	}
	// Port 80 is taken but this config maps 8080 only.
	if _, err := createCluster(context.Background(), ClusterOptions{ConfigFile: path}, ui.New(&bytes.Buffer{}, false), deps(k, true, taken{80: true})); err != nil || string(k.config) != string(want) {
		t.Fatalf("createCluster with --config: %v, config %q", err, k.config)
	}
	_, err = createCluster(context.Background(), ClusterOptions{ConfigFile: filepath.Join(t.TempDir(), "missing.yaml")}, ui.New(&bytes.Buffer{}, false), deps(k, true, nil))
	if !errors.Is(err, outcome.ErrInput) || !strings.HasPrefix(err.Error(), "--config: open ") {
		t.Fatalf("missing --config file: %v", err)
	}
}

func TestDeleteClusterEngineDown(t *testing.T) {
	k := &fakeKind{clusters: []string{"slipway"}}
	err := deleteCluster(context.Background(), ClusterOptions{}, ui.New(&bytes.Buffer{}, false), deps(k, false, nil))
	if !errors.Is(err, outcome.ErrInput) || !strings.Contains(err.Error(), "docker is installed but its engine does not answer") {
		t.Fatalf("err = %v", err)
	}
	var log bytes.Buffer
	if err := deleteCluster(context.Background(), ClusterOptions{Name: "gone"}, ui.New(&log, false), deps(k, true, nil)); err != nil || !strings.Contains(log.String(), `no kind cluster "gone": nothing to delete`) {
		t.Fatalf("delete of a missing cluster: %v\n%s", err, log.String())
	}
}

func TestCreateClusterFirst(t *testing.T) {
	var got ClusterOptions
	create := func(_ context.Context, c ClusterOptions) (string, error) {
		got = c
		return cluster.ContextName(c.Name), nil
	}
	opts := Options{CreateCluster: true, SkipPreflight: true}
	opts.Kube.Kubeconfig = "/tmp/kc"
	if err := createClusterFirst(context.Background(), &opts, create); err != nil {
		t.Fatal(err)
	}
	if opts.Kube.Context != "kind-slipway" || got.Name != "slipway" || got.Kubeconfig != "/tmp/kc" || !got.SkipPreflight {
		t.Errorf("context %q, cluster options %+v", opts.Kube.Context, got)
	}
	opts = Options{CreateCluster: true, DryRun: true}
	if err := createClusterFirst(context.Background(), &opts, create); !errors.Is(err, outcome.ErrInput) || err.Error() != "--create-cluster with --dry-run: a dry run changes nothing; drop one of them" {
		t.Errorf("with --dry-run: %v", err)
	}
	opts = Options{CreateCluster: true}
	opts.Kube.Context = "prod"
	if err := createClusterFirst(context.Background(), &opts, create); !errors.Is(err, outcome.ErrInput) || err.Error() != "--create-cluster installs into the new cluster's context kind-slipway, not --context prod: drop --context" {
		t.Errorf("with --context: %v", err)
	}
}
