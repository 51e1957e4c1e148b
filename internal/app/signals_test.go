package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// TestOnSignals: the first signal cancels the context and prints one
// line with what the command leaves; the second exits at once with 130.
// Driven by the signals it is sent, without timing.
func TestOnSignals(t *testing.T) {
	sigs := make(chan os.Signal)
	var stderr syncBuffer
	exited := make(chan int, 1)
	ctx, stop := onSignals(context.Background(), sigs, &stderr, interruptNote([]string{"slipway", "up"}), func(code int) { exited <- code })
	defer stop()
	sigs <- os.Interrupt
	<-ctx.Done()
	if !errors.Is(context.Cause(ctx), errInterrupted) {
		t.Errorf("cause %v, want errInterrupted", context.Cause(ctx))
	}
	want := "slipway: interrupted (SIGINT): stopping (again to exit at once); a release being installed is left as it is, and the next `slipway up` resumes it\n"
	if got := stderr.String(); got != want {
		t.Errorf("first signal printed %q, want %q", got, want)
	}
	sigs <- syscall.SIGTERM
	if code := <-exited; code != 130 {
		t.Errorf("second signal exited %d, want 130", code)
	}
	if !strings.HasSuffix(stderr.String(), "slipway: second interrupt: exiting now\n") {
		t.Errorf("second signal printed %q", stderr.String())
	}
}

// TestOnSignalsStop: a command that ends before any signal leaves no
// watcher behind, and its context is not taken for interrupted.
func TestOnSignalsStop(t *testing.T) {
	sigs := make(chan os.Signal, 1)
	ctx, stop := onSignals(context.Background(), sigs, &bytes.Buffer{}, "", func(int) { t.Error("exit called") })
	stop()
	if errors.Is(context.Cause(ctx), errInterrupted) {
		t.Error("stop marked the context interrupted")
	}
	sigs <- os.Interrupt // nobody reads it: the watcher is gone
}

func TestInterruptNote(t *testing.T) {
	for args, want := range map[string]string{
		"slipway up --timeout 1m":           "a release being installed is left as it is, and the next `slipway up` resumes it",
		"slipway down --yes":                "what is not removed yet stays installed; the next `slipway down` removes the rest",
		"slipway credentials rotate argocd": "a rotation cut short leaves the new password stored; `slipway up` or another rotate finishes it",
		"slipway credentials":               "nothing in the cluster was changed by this command",
		"slipway template":                  "nothing in the cluster was changed by this command",
	} {
		if got := interruptNote(strings.Fields(args)); got != want {
			t.Errorf("%s: %q, want %q", args, got, want)
		}
	}
}

// blackHole accepts TCP connections, reads what the client sends and
// never answers. requested is closed when the first request arrives;
// busy counts the connections that carried a request and that the
// client has not closed yet. (A connection whose dial finished just as
// its request was cancelled carries none: it waits in the client's idle
// pool, which is not a request left hanging.)
type blackHole struct {
	addr      string
	requested chan struct{}
	mu        sync.Mutex
	conns     []net.Conn
	busy      int
	closed    chan struct{} // signalled whenever a busy connection is closed
}

func newBlackHole(t *testing.T) *blackHole {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackHole{addr: l.Addr().String(), requested: make(chan struct{}), closed: make(chan struct{}, 100)}
	var once sync.Once
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.mu.Unlock()
			go func() {
				first := make([]byte, 1)
				if _, err := c.Read(first); err != nil {
					return
				}
				b.mu.Lock()
				b.busy++
				b.mu.Unlock()
				once.Do(func() { close(b.requested) })
				// Nothing is ever written: the read ends when the client
				// closes (or the test does).
				io.Copy(io.Discard, c)
				b.mu.Lock()
				b.busy--
				b.mu.Unlock()
				b.closed <- struct{}{}
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, c := range b.conns {
			c.Close()
		}
	})
	return b
}

// awaitClosed returns once the client closed every connection that
// carried a request, or ctx ends.
func (b *blackHole) awaitClosed(ctx context.Context) error {
	for {
		b.mu.Lock()
		open := b.busy
		b.mu.Unlock()
		if open == 0 {
			return nil
		}
		select {
		case <-b.closed:
		case <-ctx.Done():
			return fmt.Errorf("%d connections still open: a request was not cancelled with the command", open)
		}
	}
}

// TestInterruptEndsHangs: against a registry, a chart repository and an
// API server that accept connections and never answer, cancelling the
// command's context (what the first Ctrl-C does) ends the command with
// exit 130. The fault tests (e2e/faults_signal_test.go) send the real
// signals to the built binary and bound the time; here the bound is the
// test's own timeout: a call that ignores its context hangs the test.
func TestInterruptEndsHangs(t *testing.T) {
	for _, tc := range []struct {
		name        string
		chartSource bool
		args        func(addr, dir string) []string
	}{
		{"template from an OCI registry that never answers", true, func(addr, _ string) []string {
			return []string{"template", "--chart-mirror", "oci://" + addr + "/charts"}
		}},
		{"template from a chart repository that never answers", true, func(addr, _ string) []string {
			return []string{"template", "--chart-mirror", "http://" + addr + "/charts"}
		}},
		{"status against an API server that never answers", false, func(addr, dir string) []string {
			return []string{"status", "--kubeconfig", hangingKubeconfig(t, dir, addr)}
		}},
		{"down against an API server that never answers", false, func(addr, dir string) []string {
			return []string{"down", "--yes", "--kubeconfig", hangingKubeconfig(t, dir, addr)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("SLIPWAY_CACHE_DIR", filepath.Join(dir, "cache"))
			hole := newBlackHole(t)
			ctx, cancel := context.WithCancelCause(context.Background())
			go func() { <-hole.requested; cancel(errInterrupted) }()
			var out, errb bytes.Buffer
			code := Run(ctx, append([]string{"slipway"}, tc.args(hole.addr, dir)...), strings.NewReader(""), &out, &errb)
			if code != 130 {
				t.Errorf("exit %d, want 130; stderr:\n%s", code, errb.String())
			}
			if strings.Contains(errb.String(), "Timeout exceeded") || !strings.Contains(errb.String(), "interrupted") && !strings.Contains(errb.String(), "context canceled") {
				t.Errorf("the command did not end by its context; stderr:\n%s", errb.String())
			}
			if !tc.chartSource {
				return
			}
			// The chart requests themselves end, not only the command:
			// none is left to its HTTP timeout (Helm's registry client
			// takes no context). Bounded by the test's timeout, not a
			// clock here.
			if err := hole.awaitClosed(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
}

func hangingKubeconfig(t *testing.T, dir, addr string) string {
	t.Helper()
	p := filepath.Join(dir, "kubeconfig")
	err := os.WriteFile(p, []byte(`apiVersion: v1
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
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// syncBuffer is a bytes.Buffer safe for the watcher goroutine and the
// test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
