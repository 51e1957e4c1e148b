package app

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(context.Background(), append([]string{"slipway"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestClusterCommandWiring checks the flags → options → exit code path
// of the kind commands without a container engine.
func TestClusterCommandWiring(t *testing.T) {
	if code, out, _ := run("cluster", "create", "--help"); code != 0 || !strings.Contains(out, "--skip-preflight") || !strings.Contains(out, "slipway cluster create --name dev --config my-kind.yaml") {
		t.Errorf("cluster create --help: exit %d\n%s", code, out)
	}
	if code, _, errOut := run("cluster", "create", "dev"); code != 2 || !strings.Contains(errOut, "did you mean --name dev?") {
		t.Errorf("cluster create dev: exit %d, %s", code, errOut)
	}
	if code, _, errOut := run("cluster", "create", "--skip-preflight", "--config", "/nonexistent/kind.yaml"); code != 2 || !strings.Contains(errOut, "--config: open /nonexistent/kind.yaml") {
		t.Errorf("missing --config: exit %d, %s", code, errOut)
	}
	if code, _, errOut := run("up", "--create-cluster", "--dry-run"); code != 2 || !strings.Contains(errOut, "--create-cluster with --dry-run") {
		t.Errorf("up --create-cluster --dry-run: exit %d, %s", code, errOut)
	}
	if code, out, _ := run("up", "--help"); code != 0 || !strings.Contains(out, "--skip-preflight") || !strings.Contains(out, "--ip auto") {
		t.Errorf("up --help: exit %d", code)
	}
}
