//go:build faults

package e2e

// The slow faults, built only with the faults tag: `make test-faults`.
// They are not compiled into `make test`, so nothing there is skipped.

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/slipway-dev/slipway/e2e/sim"
)

// TestFaultAPIServerOutage stops the API server for 10 s while up waits
// for readiness, and brings it back: up must complete with exit 0.
//
// The ingress is pinned to a node label that does not exist yet, so its
// pod stays unschedulable and up is certainly in its readiness wait when
// the API server goes away. The other components start once the ingress
// is installed (dependentsStart), so the outage meets their installs too:
// each is tried again when the API server answers. After the outage the
// test adds the label; the pod is scheduled and up must notice, through a
// restarted API server.
func TestFaultAPIServerOutage(t *testing.T) {
	if env.cluster == nil {
		t.Skip("stopping the API server needs the hermetic cluster, not E2E_KUBECONFIG")
	}
	const label = "slipway.dev/fault-outage"
	ctx := context.Background()
	t.Cleanup(func() {
		env.client.CoreV1().Nodes().Patch(ctx, sim.NodeName, types.MergePatchType,
			[]byte(`{"metadata":{"labels":{"`+label+`":null}}}`), metav1.PatchOptions{})
	})
	results := make(chan result, 1)
	start := time.Now()
	go func() {
		results <- slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", fixtureProfile(t, "outage"),
			"--chart-mirror", sources.http.URL(), "--timeout", "3m", "-o", "json",
			"--set", `ingress.nodeSelector.slipway\.dev/fault-outage=yes`)
	}()

	// Wait for the event, not for a time: the ingress pod exists and the
	// scheduler has said it cannot place it.
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		select {
		case r := <-results:
			return false, fmt.Errorf("up ended (exit %d) before the outage", r.code)
		default:
		}
		pods, err := env.client.CoreV1().Pods("outage-ingress").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		for _, p := range pods.Items {
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
					return true, nil
				}
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("the ingress pod never became unschedulable: %v", err)
	}
	waiting := time.Since(start)

	env.cluster.StopAPIServer()
	if _, err := env.client.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{}); err == nil {
		t.Fatal("the API server still answers after StopAPIServer")
	}
	time.Sleep(10 * time.Second) // the outage's length, not a timing assertion
	select {
	case r := <-results:
		t.Fatalf("up ended during the outage: exit %d", r.code)
	default:
	}
	restart := time.Now()
	if err := env.cluster.StartAPIServer(ctx); err != nil {
		t.Fatalf("restart the API server: %v", err)
	}
	back := time.Since(restart)
	if _, err := env.client.CoreV1().Nodes().Patch(ctx, sim.NodeName, types.MergePatchType,
		[]byte(`{"metadata":{"labels":{"`+label+`":"yes"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}

	// When the ingress Deployment's status says ready: it is written by
	// the controller manager, which reconnects with back-off too.
	var deploymentReady time.Duration
	var r result
	for ended := false; !ended; {
		select {
		case r = <-results:
			ended = true
		case <-time.After(100 * time.Millisecond):
			if deploymentReady == 0 {
				if deps, err := env.client.AppsV1().Deployments("outage-ingress").List(ctx, metav1.ListOptions{}); err == nil && len(deps.Items) > 0 {
					ready := true
					for _, d := range deps.Items {
						ready = ready && d.Status.ObservedGeneration == d.Generation && d.Status.ReadyReplicas == *d.Spec.Replicas
					}
					if ready {
						deploymentReady = time.Since(restart)
					}
				}
			}
		}
	}
	upDone := time.Since(restart)
	if r.code != 0 {
		t.Fatalf("up exited %d after the API server came back", r.code)
	}
	for _, c := range decodeUp(t, r).Components {
		if c.Status != "ready" {
			t.Errorf("%s is %s", c.Name, c.Status)
		}
	}
	// How long the cluster itself took to recover (its scheduler and kwok
	// reconnect with back-off), against when up noticed.
	var scheduled, ready time.Time
	if pods, err := env.client.CoreV1().Pods("outage-ingress").List(ctx, metav1.ListOptions{}); err == nil {
		for _, p := range pods.Items {
			for _, c := range p.Status.Conditions {
				switch c.Type {
				case corev1.PodScheduled:
					scheduled = c.LastTransitionTime.Time
				case corev1.PodReady:
					ready = c.LastTransitionTime.Time
				}
			}
		}
	}
	t.Logf("up was waiting after %s; API server down 10s, ready again %s after its restart; after the restart the ingress pod was scheduled in %s and ready in %s, its Deployment's status ready in %s (the controllers reconnect with back-off), up done in %s; %s in all",
		waiting.Round(time.Millisecond), back.Round(time.Millisecond), scheduled.Sub(restart).Round(time.Second), ready.Sub(restart).Round(time.Second),
		deploymentReady.Round(100*time.Millisecond), upDone.Round(100*time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// TestFaultSIGKILLRandom kills `slipway up` with SIGKILL at random
// moments, at least 10 times, and checks after each that the next up
// converges: exit 0, everything ready, the passwords of the first run
// unchanged, no Helm release left pending. FAULT_SEED=n replays a run.
func TestFaultSIGKILLRandom(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FAULT_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("FAULT_SEED=%q: %v", s, err)
		}
	}
	t.Logf("FAULT_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	bin := buildSlipway(t)
	profile := fixtureProfile(t, "rkill")
	args := []string{"up", "--kubeconfig", env.kubeconfig, "--profile", profile, "--chart-mirror", sources.http.URL(), "--timeout", "2m"}
	namespaces := []string{"rkill-ingress", "rkill-ci", "rkill-gitops"}

	// A whole run without a kill sets the passwords and the time span
	// the kill points are drawn from.
	start := time.Now()
	first := slipway(t, append(slices.Clone(args), "-o", "json")...)
	if first.code != 0 {
		t.Fatalf("first up exited %d", first.code)
	}
	span := time.Since(start)
	passwords := credentialsJSON(t)

	// Rounds go on until 10 runs were killed before they finished (a
	// point drawn past the end of a run lets it finish: that round still
	// checks convergence, but does not count).
	const wantKilled, maxRounds = 10, 25
	killed, repaired := 0, 0
	var points []string
	for i := 0; killed < wantKilled && i < maxRounds; i++ {
		// Every round changes every component, so a kill lands in real
		// upgrades (and the gitops hook Job, switched back on for these
		// rounds), not in a no-op run.
		roundArgs := append(slices.Clone(args), "--set", "gitops.redisSecretInit.enabled=true",
			"--set", fmt.Sprintf("ingress.image=registry.example/fixture/ingress:2.%d", i),
			"--set", fmt.Sprintf("ci.controller.numExecutors=%d", i+1),
			"--set", fmt.Sprintf("gitops.image=registry.example/fixture/gitops:4.%d", i))
		after := time.Duration(rng.Int64N(int64(span)))
		cmd := exec.Command(bin, roundArgs...)
		cmd.Env = append(os.Environ(), "SLIPWAY_CACHE_DIR="+os.Getenv("SLIPWAY_CACHE_DIR"))
		var output bytes.Buffer
		cmd.Stdout, cmd.Stderr = &output, &output
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case <-time.After(after): // where to kill, not a timing assertion
			cmd.Process.Signal(syscall.SIGKILL)
			<-exited
			killed++
			points = append(points, after.Round(time.Millisecond).String())
		case err := <-exited:
			points = append(points, after.Round(time.Millisecond).String()+" (finished first)")
			if err != nil {
				t.Fatalf("round %d: up failed on its own before the kill: %v\n%s", i, err, output.String())
			}
		}

		r := slipway(t, append(roundArgs, "-o", "json")...)
		if r.code != 0 {
			t.Fatalf("round %d: up after SIGKILL at %s exited %d", i, after, r.code)
		}
		if strings.Contains(r.stderr, "by an interrupted run") {
			repaired++
		}
		now := credentialsJSON(t)
		for _, c := range decodeUp(t, r).Components {
			if c.Status != "ready" {
				t.Errorf("round %d (kill at %s): %s is %s", i, after, c.Name, c.Status)
			}
			if now[c.Name] != passwords[c.Name] {
				t.Errorf("round %d (kill at %s): the %s password changed", i, after, c.Name)
			}
		}
		for _, ns := range namespaces {
			secrets, err := env.client.CoreV1().Secrets(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "owner=helm"})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets.Items {
				if st := s.Labels["status"]; strings.HasPrefix(st, "pending") {
					t.Errorf("round %d (kill at %s): release record %s/%s is %s", i, after, ns, s.Name, st)
				}
			}
		}
	}
	if killed < wantKilled {
		t.Errorf("only %d of %d runs were killed before they finished; want %d", killed, maxRounds, wantKilled)
	}
	t.Logf("kill points over a %s run: %s; %d runs killed, %d following runs repaired a pending release",
		span.Round(time.Millisecond), strings.Join(points, ", "), killed, repaired)
}
