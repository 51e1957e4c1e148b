package runlock

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

var t0 = time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)

func locker(c *fake.Clientset, id, process string, now *time.Time) *Locker {
	return &Locker{Client: c, Identity: id, Process: process, Duration: 30 * time.Second,
		Alive: func(p string) bool { return p != "boot/ns/666" },
		Now:   func() time.Time { return *now }}
}

// verbs are the requests made, in order.
func verbs(c *fake.Clientset) []string {
	var out []string
	for _, a := range c.Actions() {
		out = append(out, a.GetVerb()+" "+a.GetResource().Resource)
	}
	return out
}

// TestAcquireRelease: a free lock costs one Create, its release one
// Delete (the lock runs on clusters 100 ms away).
func TestAcquireRelease(t *testing.T) {
	c := fake.NewClientset()
	now := t0
	first := locker(c, "ana@laptop pid 10", "boot/ns/10", &now)
	lock, err := first.Acquire(context.Background(), Options{Command: "up"})
	if err != nil {
		t.Fatal(err)
	}
	if got := verbs(c); strings.Join(got, ",") != "create leases" {
		t.Errorf("acquire made %v, want one create", got)
	}
	c.ClearActions()
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	if got := verbs(c); strings.Join(got, ",") != "delete leases" {
		t.Errorf("release made %v, want one delete", got)
	}
	if _, err := c.CoordinationV1().Leases(Namespace).Get(context.Background(), Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("lease still there after release: %v", err)
	}
}

// TestHeldMessage: the second run names the holder, its command, since
// when, and when the lock expires if the holder was killed.
func TestHeldMessage(t *testing.T) {
	c := fake.NewClientset()
	now := t0
	if _, err := locker(c, "ana@laptop pid 10", "boot/ns/10", &now).Acquire(context.Background(), Options{Command: "up"}); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(10 * time.Second)
	_, err := locker(c, "bo@ci pid 20", "other/ns/20", &now).Acquire(context.Background(), Options{Command: "down"})
	want := "another slipway run holds the run lock (lease slipway-system/slipway-run): ana@laptop pid 10, running `slipway up` since 2026-12-02T01:00:00Z (10s ago); wait for it to finish, or pass --wait-for-lock to wait for it (bounded by --timeout); if that run was killed, the lock expires 30s after its last renewal, at 2026-12-02T01:00:30Z"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

// TestTakeOver: an expired lock, and one whose holder process on this
// machine is gone, are taken over; a live one on another machine is not
// before it expires.
func TestTakeOver(t *testing.T) {
	for _, tc := range []struct {
		name, holderProcess string
		after               time.Duration
		taken               bool
	}{
		{"live holder elsewhere, not expired", "other/ns/10", 29 * time.Second, false},
		{"live holder elsewhere, expired", "other/ns/10", 30 * time.Second, true},
		{"live holder here", "boot/ns/10", 10 * time.Second, false},
		{"dead holder here", "boot/ns/666", 1 * time.Second, true},
		{"dead pid in another PID namespace", "boot/other/666", 1 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fake.NewClientset()
			now := t0
			if _, err := locker(c, "ana@laptop pid 10", tc.holderProcess, &now).Acquire(context.Background(), Options{Command: "up"}); err != nil {
				t.Fatal(err)
			}
			now = t0.Add(tc.after)
			lock, err := locker(c, "bo@laptop pid 20", "boot/ns/20", &now).Acquire(context.Background(), Options{Command: "down"})
			if tc.taken != (err == nil) {
				t.Fatalf("taken %v, want %v (err %v)", err == nil, tc.taken, err)
			}
			if !tc.taken {
				return
			}
			le, _ := c.CoordinationV1().Leases(Namespace).Get(context.Background(), Name, metav1.GetOptions{})
			if h := holder(le); h.Identity != "bo@laptop pid 20" || h.Command != "down" || *le.Spec.LeaseTransitions != 1 {
				t.Errorf("lease after takeover: %+v, transitions %d", h, *le.Spec.LeaseTransitions)
			}
			lock.Release()
		})
	}
}

// TestWaitForLock: with Wait, a second run waits until the first
// releases, then holds the lock. Driven by the Progress callback, not by
// time.
func TestWaitForLock(t *testing.T) {
	c := fake.NewClientset()
	now := t0
	first, err := locker(c, "ana@laptop pid 10", "boot/ns/10", &now).Acquire(context.Background(), Options{Command: "up"})
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan string, 1)
	got := make(chan error, 1)
	go func() {
		lock, err := locker(c, "bo@ci pid 20", "other/ns/20", &now).Acquire(context.Background(), Options{Command: "up", Wait: true, Progress: func(f string, a ...any) { waiting <- fmt.Sprintf(f, a...) }})
		if err == nil {
			lock.Release()
		}
		got <- err
	}()
	msg := <-waiting
	if want := "waiting for the run lock: ana@laptop pid 10 holds it, running `slipway up` since 2026-12-02T01:00:00Z"; msg != want {
		t.Errorf("progress %q, want %q", msg, want)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Errorf("waiting run: %v", err)
	}
}

// TestWaitBoundedByContext: a wait ends with the context, naming the
// holder.
func TestWaitBoundedByContext(t *testing.T) {
	c := fake.NewClientset()
	now := t0
	if _, err := locker(c, "ana@laptop pid 10", "boot/ns/10", &now).Acquire(context.Background(), Options{Command: "up"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	_, err := locker(c, "bo@ci pid 20", "other/ns/20", &now).Acquire(ctx, Options{Command: "up", Wait: true, Progress: func(string, ...any) { cancel(errors.New("--timeout 1m ran out")) }})
	if err == nil || !strings.HasPrefix(err.Error(), "gave up waiting for the run lock: --timeout 1m ran out: another slipway run holds the run lock (lease slipway-system/slipway-run): ana@laptop pid 10,") {
		t.Errorf("error: %v", err)
	}
}

// TestForbidden: a user who may not create Leases is told which
// permission is missing.
func TestForbidden(t *testing.T) {
	c := fake.NewClientset()
	c.PrependReactor("create", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schemaLeases, Name, errors.New(`User "bob" cannot create resource "leases"`))
	})
	now := t0
	_, err := locker(c, "bob@ci pid 1", "", &now).Acquire(context.Background(), Options{Command: "up"})
	want := "not allowed to take the run lock (lease slipway-system/slipway-run): slipway needs create, get, update and delete on leases.coordination.k8s.io in namespace slipway-system: "
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error: %v", err)
	}
}

var schemaLeases = coordinationResource()

// TestRenewAndLost: the holder renews the Lease; when a renewal is
// refused because another run took the Lease over, Lost is told who.
func TestRenewAndLost(t *testing.T) {
	c := fake.NewClientset()
	now := t0
	l := locker(c, "ana@laptop pid 10", "boot/ns/10", &now)
	l.Duration = 30 * time.Millisecond // renewals every 10ms
	renewed := make(chan struct{}, 1)
	var refuse atomic.Bool
	c.PrependReactor("update", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
		if refuse.Load() {
			// Another run took it over (as after an expiry) just before.
			le, _ := c.Tracker().Get(coordinationResource().WithVersion("v1"), Namespace, Name)
			le = le.DeepCopyObject()
			other := "bo@ci pid 20"
			le.(*coordv1.Lease).Spec.HolderIdentity = &other
			le.(*coordv1.Lease).Annotations[annotationCommand] = "down"
			le.(*coordv1.Lease).Annotations[annotationRun] = "another-run"
			c.Tracker().Update(coordinationResource().WithVersion("v1"), le, Namespace)
			return true, nil, apierrors.NewConflict(coordinationResource(), Name, errors.New("the object has been modified"))
		}
		select {
		case renewed <- struct{}{}:
		default:
		}
		return false, nil, nil
	})
	lost := make(chan error, 1)
	lock, err := l.Acquire(context.Background(), Options{Command: "up", Lost: func(err error) { lost <- err }})
	if err != nil {
		t.Fatal(err)
	}
	<-renewed
	// The next renewal is refused: another run has the Lease.
	refuse.Store(true)
	want := "lost the run lock (lease slipway-system/slipway-run) to bo@ci pid 20 (`slipway down`): this run could not renew it for 30ms; stopping"
	if err := <-lost; err.Error() != want {
		t.Errorf("lost: %v\nwant: %s", err, want)
	}
	lock.Release()
}
