package cluster

import (
	"fmt"
	"strings"
	"time"

	kind "sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	kindlog "sigs.k8s.io/kind/pkg/log"

	"github.com/slipway-dev/slipway/internal/debuglog"
)

// NewKindProvider returns kind's own provider for a container runtime:
// "docker", "podman" or "nerdctl" ("" lets kind detect one). kind's
// progress lines go to logf (nil: nowhere).
func NewKindProvider(runtime string, logf func(format string, args ...any)) (Provider, error) {
	opts := []kind.ProviderOption{kind.ProviderWithLogger(&logger{logf: logf})}
	switch runtime {
	case "docker":
		opts = append(opts, kind.ProviderWithDocker())
	case "podman":
		opts = append(opts, kind.ProviderWithPodman())
	case "nerdctl":
		opts = append(opts, kind.ProviderWithNerdctl(""))
	case "":
		if o, err := kind.DetectNodeProvider(); err == nil {
			opts = append(opts, o)
		}
	default:
		return nil, fmt.Errorf("container runtime %q: want docker, podman or nerdctl", runtime)
	}
	return kindProvider{kind.NewProvider(opts...)}, nil
}

type kindProvider struct{ p *kind.Provider }

func (k kindProvider) Create(name string, config []byte, kubeconfig string, wait time.Duration) error {
	return k.p.Create(name,
		kind.CreateWithRawConfig(config),
		kind.CreateWithWaitForReady(wait),
		kind.CreateWithKubeconfigPath(kubeconfig),
		kind.CreateWithDisplayUsage(false),
		kind.CreateWithDisplaySalutation(false),
	)
}

func (k kindProvider) Delete(name, kubeconfig string) error { return k.p.Delete(name, kubeconfig) }

// WriteNodeFile writes content to path on every node of cluster name,
// through kind's own node exec (docker/podman exec).
func (k kindProvider) WriteNodeFile(name, path string, content []byte) (int, error) {
	ns, err := k.p.ListNodes(name)
	if err != nil {
		return 0, err
	}
	for _, n := range ns {
		if err := nodeutils.WriteFile(n, path, string(content)); err != nil {
			return 0, fmt.Errorf("node %s: write %s: %w", n.String(), path, err)
		}
	}
	return len(ns), nil
}
func (k kindProvider) List() ([]string, error) { return k.p.List() }

// logger adapts kind's logger to plain lines: warnings, errors and
// V(0) status messages are shown, debug levels are not.
type logger struct {
	logf func(format string, args ...any)
}

func (l *logger) line(prefix, msg string) {
	if l.logf != nil {
		l.logf("%s%s", prefix, strings.TrimRight(msg, "\n"))
	}
}

func (l *logger) Warn(m string)                        { l.line("kind: warning: ", m) }
func (l *logger) Warnf(f string, a ...any)             { l.Warn(fmt.Sprintf(f, a...)) }
func (l *logger) Error(m string)                       { l.line("kind: error: ", m) }
func (l *logger) Errorf(f string, a ...any)            { l.Error(fmt.Sprintf(f, a...)) }
func (l *logger) V(v kindlog.Level) kindlog.InfoLogger { return info{l, v == 0 || debuglog.Enabled()} }

type info struct {
	l  *logger
	on bool
}

func (i info) Info(m string) {
	if i.on {
		i.l.line("kind: ", m)
	}
}
func (i info) Infof(f string, a ...any) {
	if i.on {
		i.Info(fmt.Sprintf(f, a...))
	}
}
func (i info) Enabled() bool { return i.on }
