package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// KubeVersion is the Kubernetes release the control plane is built from. It
// must match e2e/tools/kube/go.mod and the minor of slipway's client-go.
const KubeVersion = "v1.37.2"

// binary names, as they appear in the bin directory.
const (
	binEtcd       = "etcd"
	binAPIServer  = "kube-apiserver"
	binController = "kube-controller-manager"
	binScheduler  = "kube-scheduler"
	binKwok       = "kwok"
)

// tool describes one tool module under e2e/tools and what to build from it.
type tool struct {
	dir      string   // e2e/tools/<dir>
	packages []string // import paths to build into bin/
	ldflags  string
	out      string // binary name when it differs from the package's last element
}

func tools() []tool {
	// Without these -X flags the apiserver reports v0.0.0-master+$Format:%H$
	// and real charts fail in semverCompare on .Capabilities.KubeVersion.
	var x []string
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		x = append(x,
			"-X "+pkg+".gitVersion="+KubeVersion,
			"-X "+pkg+".gitMajor=1",
			"-X "+pkg+".gitMinor="+strings.Split(KubeVersion, ".")[1],
			"-X "+pkg+".gitTreeState=clean")
	}
	return []tool{
		{dir: "etcd", packages: []string{"go.etcd.io/etcd/server/v3"}, ldflags: "-s -w", out: binEtcd},
		{dir: "kwok", packages: []string{"sigs.k8s.io/kwok/cmd/kwok"}, ldflags: "-s -w"},
		{dir: "kube", packages: []string{
			"k8s.io/kubernetes/cmd/kube-apiserver",
			"k8s.io/kubernetes/cmd/kube-controller-manager",
			"k8s.io/kubernetes/cmd/kube-scheduler",
		}, ldflags: "-s -w " + strings.Join(x, " ")},
	}
}

// kwokStages are the stage configurations taken from the kwok module itself
// (not copied into this repo), by timing. Volume stages make PVCs bind.
var kwokStages = map[Timing][]string{
	Fast:      {"node/fast", "node/heartbeat-with-lease", "pod/fast", "volume/fast"},
	Realistic: {"node/fast", "node/heartbeat-with-lease", "pod/general", "volume/fast"},
}

// Binaries is a directory holding the built control plane and the kwok
// stage files copied out of the kwok module at build time.
type Binaries struct{ Dir string }

func (b Binaries) path(name string) string { return filepath.Join(b.Dir, "bin", name) }

// stageDir is where the stage YAMLs of one kwok stage set were copied.
func (b Binaries) stageDir(set string) string { return filepath.Join(b.Dir, "stages", set) }

// RepoRoot finds the slipway checkout by walking up from the working
// directory to the go.mod of module github.com/slipway-dev/slipway.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(data), []byte("module github.com/slipway-dev/slipway\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the slipway repository: no go.mod of module github.com/slipway-dev/slipway above the working directory")
		}
		dir = parent
	}
}

// CacheRoot is where built binaries and run directories live:
// $SLIPWAY_SIM_CACHE, or <user cache dir>/slipway/simcluster.
func CacheRoot() (string, error) {
	if d := os.Getenv("SLIPWAY_SIM_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "slipway", "simcluster"), nil
}

// buildKey digests everything that decides the binaries' content, so a
// version bump in e2e/tools rebuilds and an unchanged tree reuses.
func buildKey(root string) (string, error) {
	h := sha256.New()
	fmt.Fprintln(h, runtime.Version(), runtime.GOOS, runtime.GOARCH, KubeVersion)
	for _, t := range tools() {
		fmt.Fprintln(h, t.dir, t.packages, t.ldflags, t.out)
		for _, f := range []string{"go.mod", "go.sum"} {
			data, err := os.ReadFile(filepath.Join(root, "e2e", "tools", t.dir, f))
			if err != nil {
				return "", err
			}
			h.Write(data)
		}
	}
	for _, t := range []Timing{Fast, Realistic} {
		fmt.Fprintln(h, t, kwokStages[t])
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// EnsureBinaries returns the cached binaries for this tree, building them
// first if needed. Concurrent callers serialise on a lock file, so two test
// binaries started at once build only once.
func EnsureBinaries(ctx context.Context, log io.Writer) (Binaries, error) {
	root, err := RepoRoot()
	if err != nil {
		return Binaries{}, err
	}
	cache, err := CacheRoot()
	if err != nil {
		return Binaries{}, err
	}
	key, err := buildKey(root)
	if err != nil {
		return Binaries{}, fmt.Errorf("hash e2e/tools: %w", err)
	}
	b := Binaries{Dir: filepath.Join(cache, "bin-"+key)}
	if _, err := os.Stat(filepath.Join(b.Dir, "complete")); err == nil {
		return b, nil
	}
	if err := os.MkdirAll(cache, 0o700); err != nil {
		return Binaries{}, err
	}
	lock, err := os.OpenFile(filepath.Join(cache, "build.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return Binaries{}, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return Binaries{}, fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(filepath.Join(b.Dir, "complete")); err == nil {
		return b, nil // another process built it while we waited
	}
	fmt.Fprintf(log, "sim: building the control plane (%s), etcd and kwok into %s; the first build takes about 20 minutes on 2 cores, later runs reuse it\n", KubeVersion, b.Dir)
	tmp, err := os.MkdirTemp(cache, "build-")
	if err != nil {
		return Binaries{}, err
	}
	defer os.RemoveAll(tmp)
	for _, t := range tools() {
		start := time.Now()
		dst := filepath.Join(tmp, "bin") + "/"
		if t.out != "" {
			dst = filepath.Join(tmp, "bin", t.out)
		}
		args := append([]string{"build", "-trimpath", "-ldflags", t.ldflags, "-o", dst}, t.packages...)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = filepath.Join(root, "e2e", "tools", t.dir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return Binaries{}, fmt.Errorf("go build in e2e/tools/%s: %w\n%s", t.dir, err, out.String())
		}
		fmt.Fprintf(log, "sim: built %s in %s\n", strings.Join(t.packages, ", "), time.Since(start).Round(time.Second))
	}
	for _, name := range []string{binEtcd, binAPIServer, binController, binScheduler, binKwok} {
		if _, err := os.Stat(filepath.Join(tmp, "bin", name)); err != nil {
			return Binaries{}, fmt.Errorf("build produced no %s: %w", name, err)
		}
	}
	if err := copyKwokStages(ctx, filepath.Join(root, "e2e", "tools", "kwok"), filepath.Join(tmp, "stages")); err != nil {
		return Binaries{}, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "complete"), []byte(key+"\n"), 0o600); err != nil {
		return Binaries{}, err
	}
	os.RemoveAll(b.Dir)
	if err := os.Rename(tmp, b.Dir); err != nil {
		return Binaries{}, err
	}
	return b, nil
}

// copyKwokStages copies the stage YAMLs of every set in kwokStages out of
// the kwok module in the module cache. The storage class YAML in volume/fast
// is not a stage; it is applied to the cluster instead (see Start).
func copyKwokStages(ctx context.Context, kwokTool, dst string) error {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/kwok")
	cmd.Dir = kwokTool
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("locate the kwok module: %w", err)
	}
	src := filepath.Join(strings.TrimSpace(string(out)), "kustomize", "stage")
	seen := map[string]bool{}
	for _, sets := range kwokStages {
		for _, set := range sets {
			if seen[set] {
				continue
			}
			seen[set] = true
			files, err := filepath.Glob(filepath.Join(src, set, "*.yaml"))
			if err != nil || len(files) == 0 {
				return fmt.Errorf("no kwok stages in %s", filepath.Join(src, set))
			}
			if err := os.MkdirAll(filepath.Join(dst, set), 0o700); err != nil {
				return err
			}
			for _, f := range files {
				if filepath.Base(f) == "kustomization.yaml" {
					continue
				}
				data, err := os.ReadFile(f)
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(dst, set, filepath.Base(f)), data, 0o600); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
