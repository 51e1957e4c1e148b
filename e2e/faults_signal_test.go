//go:build faults

package e2e

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The "never ends" cases of issue 17, item 5, on the built binary with
// real signals: a chart registry, a chart repository and an API server
// that accept connections and never answer. The first SIGINT (or SIGTERM)
// must end the command with exit 130 within signalBound; a second signal
// sent at once must not make it wait longer. The same cases with a
// cancelled context, bounded by the test's timeout instead of a clock,
// are in make test (internal/app TestInterruptEndsHangs).

// signalBound is how long a command may take to exit after the signal.
const signalBound = 2 * time.Second

// silentListener accepts connections, reads what is sent and never
// answers; requested is closed when the first bytes arrive.
func silentListener(t *testing.T) (addr string, requested <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				b := make([]byte, 512)
				for {
					if _, err := c.Read(b); err != nil {
						return
					}
					once.Do(func() { close(ch) })
				}
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String(), ch
}

func TestFaultSignalEndsHangs(t *testing.T) {
	bin := buildSlipway(t)
	kubeconfig := func(dir, addr string) string {
		p := filepath.Join(dir, "kubeconfig")
		os.WriteFile(p, []byte(`apiVersion: v1
kind: Config
clusters:
- name: hang
  cluster: {server: "https://`+addr+`", insecure-skip-tls-verify: true}
users:
- name: someone
  user: {token: not-a-real-token}
contexts:
- name: hang
  context: {cluster: hang, user: someone}
current-context: hang
`), 0o600)
		return p
	}
	for _, tc := range []struct {
		name    string
		args    func(dir, addr string) []string
		signals []os.Signal
		note    string
	}{
		{"template from an OCI registry, SIGINT", func(_, a string) []string {
			return []string{"template", "--chart-mirror", "oci://" + a + "/charts"}
		}, []os.Signal{os.Interrupt}, "nothing in the cluster was changed by this command"},
		{"template from an OCI registry, SIGINT twice", func(_, a string) []string {
			return []string{"template", "--chart-mirror", "oci://" + a + "/charts"}
		}, []os.Signal{os.Interrupt, os.Interrupt}, "nothing in the cluster was changed by this command"},
		{"template from an OCI registry, SIGTERM", func(_, a string) []string {
			return []string{"template", "--chart-mirror", "oci://" + a + "/charts"}
		}, []os.Signal{syscall.SIGTERM}, "nothing in the cluster was changed by this command"},
		{"template from a chart repository, SIGINT", func(_, a string) []string {
			return []string{"template", "--chart-mirror", "http://" + a + "/charts"}
		}, []os.Signal{os.Interrupt}, "nothing in the cluster was changed by this command"},
		{"up against an API server, SIGINT", func(d, a string) []string {
			return []string{"up", "--kubeconfig", kubeconfig(d, a), "--chart-mirror", sources.http.URL()}
		}, []os.Signal{os.Interrupt}, "a release being installed is left as it is, and the next `slipway up` resumes it"},
		{"status against an API server, SIGINT", func(d, a string) []string {
			return []string{"status", "--kubeconfig", kubeconfig(d, a)}
		}, []os.Signal{os.Interrupt}, "nothing in the cluster was changed by this command"},
		{"down against an API server, SIGINT", func(d, a string) []string {
			return []string{"down", "--yes", "--kubeconfig", kubeconfig(d, a)}
		}, []os.Signal{os.Interrupt}, "what is not removed yet stays installed; the next `slipway down` removes the rest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			addr, requested := silentListener(t)
			cmd := exec.Command(bin, tc.args(dir, addr)...)
			cmd.Env = append(os.Environ(), "SLIPWAY_CACHE_DIR="+filepath.Join(dir, "cache"))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case <-requested: // the command is waiting on the silent server
			case err := <-exited:
				t.Fatalf("ended before it reached the silent server: %v\n%s", err, stderr.String())
			}
			sent := time.Now()
			for _, s := range tc.signals {
				cmd.Process.Signal(s)
			}
			var err error
			select {
			case err = <-exited:
			case <-time.After(signalBound):
				cmd.Process.Kill()
				<-exited
				t.Fatalf("still running %s after %d signal(s)\n%s", signalBound, len(tc.signals), stderr.String())
			}
			took := time.Since(sent)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 130 {
				t.Errorf("exit %v, want 130\n%s", err, stderr.String())
			}
			if !strings.Contains(stderr.String(), "stopping (again to exit at once); "+tc.note+"\n") {
				t.Errorf("stderr lacks the stopping line with %q:\n%s", tc.note, stderr.String())
			}
			t.Logf("exit 130 %s after %d signal(s)", took.Round(time.Millisecond), len(tc.signals))
		})
	}
}
