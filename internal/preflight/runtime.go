package preflight

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Runner runs a command and returns its combined output. exec.ErrNotFound
// (wrapped) means the program is not installed.
type Runner interface {
	Output(ctx context.Context, name string, args ...string) ([]byte, error)
}

// ExecRunner runs real commands.
type ExecRunner struct{}

// Output runs name with args and returns stdout and stderr together.
func (ExecRunner) Output(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}

// runtimeInfo is how each runtime is asked whether its engine answers:
// `info` talks to the daemon (or podman's machine), unlike `--version`,
// which is all kind's own detection runs.
var runtimeInfo = map[string][]string{
	"docker":  {"info", "--format", "{{.ServerVersion}}"},
	"podman":  {"info", "--format", "{{.Version.Version}}"},
	"nerdctl": {"info", "--format", "{{.ServerVersion}}"},
}

// ContainerRuntime finds a container engine kind can run nodes on and
// returns its name. Like the kind CLI it honours KIND_EXPERIMENTAL_PROVIDER
// (provider, "" when unset); otherwise docker is tried, then podman.
func ContainerRuntime(ctx context.Context, run Runner, provider string) (string, error) {
	candidates := []string{"docker", "podman"}
	if provider != "" {
		if _, ok := runtimeInfo[provider]; !ok {
			return "", fmt.Errorf("KIND_EXPERIMENTAL_PROVIDER=%s is not a runtime kind supports: use docker, podman or nerdctl, or unset it", provider)
		}
		candidates = []string{provider}
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var problems []string
	for _, rt := range candidates {
		out, err := run.Output(ctx, rt, runtimeInfo[rt]...)
		if err == nil {
			return rt, nil
		}
		if errors.Is(err, exec.ErrNotFound) {
			continue
		}
		reason := firstLine(strings.TrimSpace(string(out)))
		if reason == "" {
			reason = err.Error()
		}
		problems = append(problems, fmt.Sprintf("%s is installed but its engine does not answer (`%s info`: %s): %s", rt, rt, reason, startHint(rt)))
	}
	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "\n"))
	}
	if provider != "" {
		return "", fmt.Errorf("KIND_EXPERIMENTAL_PROVIDER=%s, but %s is not installed: install it, or unset KIND_EXPERIMENTAL_PROVIDER to use Docker", provider, provider)
	}
	return "", errors.New("neither docker nor podman is installed, and kind runs the cluster's nodes as containers: install Docker (https://docs.docker.com/get-docker/) or Podman (https://podman.io), or run slipway up without --create-cluster against a cluster you already have")
}

func startHint(rt string) string {
	switch rt {
	case "docker":
		return "start Docker (Docker Desktop, or `sudo systemctl start docker`) and make sure `docker info` works without sudo (add yourself to the docker group)"
	case "podman":
		return "start it (`podman machine start` on macOS and Windows) and make sure `podman info` works"
	default:
		return "start its engine and make sure `" + rt + " info` works"
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
