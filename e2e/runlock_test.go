package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/user"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/internal/app"
	"github.com/slipway-dev/slipway/internal/runlock"
)

// watchedRun is a run of the CLI in the background whose stderr can be
// awaited for a line.
type watchedRun struct {
	mu     sync.Mutex
	stderr bytes.Buffer
	seen   map[string]chan struct{}
	done   chan result
}

func (w *watchedRun) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.stderr.Write(p)
	for s, ch := range w.seen {
		if strings.Contains(w.stderr.String(), s) {
			close(ch)
			delete(w.seen, s)
		}
	}
	return n, err
}

// startSlipway runs the CLI in the background; seen[s] is closed once
// stderr contains s.
func startSlipway(t *testing.T, await []string, args ...string) (*watchedRun, map[string]chan struct{}) {
	t.Helper()
	w := &watchedRun{seen: map[string]chan struct{}{}, done: make(chan result, 1)}
	chans := map[string]chan struct{}{}
	for _, s := range await {
		ch := make(chan struct{})
		w.seen[s], chans[s] = ch, ch
	}
	go func() {
		var out bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		code := app.Run(ctx, append([]string{"slipway"}, args...), strings.NewReader(""), &out, w)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.done <- result{code: code, stdout: out.String(), stderr: w.stderr.String()}
	}()
	return w, chans
}

// TestRunLock: while another run holds the lock (this test, through
// package runlock, as a first `up` would), an `up` is refused with exit 1,
// naming the holder and its command, and changes nothing; an
// `up --wait-for-lock` waits until the holder releases it, then succeeds
// and releases it in turn. Driven by events: the waiting line, the
// release.
func TestRunLock(t *testing.T) {
	ctx := context.Background()
	holder, err := runlock.New(env.client).Acquire(ctx, runlock.Options{Command: "up"})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Release()
	profile := fixtureProfile(t, "runlock")
	args := []string{"up", "--kubeconfig", env.kubeconfig, "--profile", profile, "--chart-mirror", sources.http.URL(), "--timeout", "3m", "-o", "json"}

	second := slipway(t, args...)
	host, _ := os.Hostname()
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	want := fmt.Sprintf("\nslipway: another slipway run holds the run lock (lease slipway-system/slipway-run): %s@%s pid %d, running `slipway up` since ", name, host, os.Getpid())
	if second.code != 1 || !strings.Contains(second.stderr, want) || !strings.Contains(second.stderr, "pass --wait-for-lock to wait for it") {
		t.Errorf("up while the lock is held: exit %d, want 1; stderr lacks\n%s", second.code, want)
	}
	if second.stdout != "" {
		t.Errorf("the refused run printed a result:\n%s", second.stdout)
	}
	assertNothingInstalled(t, "runlock")

	const waiting = "waiting for the run lock: "
	third, seen := startSlipway(t, []string{waiting}, append(args, "--wait-for-lock")...)
	select {
	case <-seen[waiting]:
	case r := <-third.done:
		t.Fatalf("up --wait-for-lock ended (exit %d) without waiting:\n%s", r.code, r.stderr)
	}
	assertNothingInstalled(t, "runlock")
	if err := holder.Release(); err != nil {
		t.Fatal(err)
	}
	r := <-third.done
	t.Logf("up --wait-for-lock:\n%s", r.stderr)
	assertAllReady(t, r)
	// Released at the end: nobody holds it.
	if _, err := env.client.CoordinationV1().Leases(runlock.Namespace).Get(ctx, runlock.Name, metav1.GetOptions{}); err == nil {
		t.Error("the lease is still there after the run ended")
	}
}
