package runlock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/user"
	"strings"
	"sync"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/kube"
)

// Where the lock lives.
const (
	Namespace = inventory.Namespace
	Name      = "slipway-run"
)

// Annotations on the Lease beyond its spec.
const (
	annotationCommand = "slipway.dev/command"
	annotationProcess = "slipway.dev/process" // boot/pidns/pid, see alive_linux.go
	annotationRun     = "slipway.dev/run"     // random: tells two runs of one process apart
)

// DefaultDuration is how long a Lease outlives its last renewal.
const DefaultDuration = 30 * time.Second

// Locker takes the run lock on one cluster.
type Locker struct {
	Client kubernetes.Interface
	// Identity names the holder to the user: user@host pid N.
	Identity string
	// Process identifies this process on this machine ("" where that
	// cannot be known); Alive says whether such a process still runs.
	Process string
	Alive   func(process string) bool
	// Duration is the Lease's life after a renewal (DefaultDuration).
	Duration time.Duration
	Now      func() time.Time
}

// New returns a Locker for this process.
func New(c kubernetes.Interface) *Locker {
	return &Locker{Client: c, Identity: identity(), Process: thisProcess(), Alive: processAlive, Duration: DefaultDuration, Now: time.Now}
}

func identity() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s pid %d", name, host, os.Getpid())
}

// Options of one Acquire.
type Options struct {
	// Command is what the holder runs, shown to a second run ("up").
	Command string
	// Wait makes a held lock a wait (--wait-for-lock) instead of an error.
	Wait bool
	// Progress, if set, is told once that the run waits, and for whom.
	Progress func(format string, args ...any)
	// Lost is called (once, from another goroutine) if the lock is taken
	// over while held: the run should stop.
	Lost func(error)
}

// Holder is who holds the lock, as the Lease says.
type Holder struct {
	Identity, Command string
	Acquired, Renewed time.Time
	Duration          time.Duration
	process, run      string
}

// HeldError says that another run holds the lock.
type HeldError struct {
	Holder Holder
	Now    time.Time
}

func (e *HeldError) Error() string {
	h := e.Holder
	return fmt.Sprintf("another slipway run holds the run lock (lease %s/%s): %s, running `slipway %s` since %s (%s ago); wait for it to finish, or pass --wait-for-lock to wait for it (bounded by --timeout); if that run was killed, the lock expires %s after its last renewal, at %s",
		Namespace, Name, h.Identity, h.Command, h.Acquired.UTC().Format(time.RFC3339), e.Now.Sub(h.Acquired).Round(time.Second), h.Duration, h.Renewed.Add(h.Duration).UTC().Format(time.RFC3339))
}

// Lock is a held run lock.
type Lock struct {
	l    *Locker
	mu   sync.Mutex
	cur  *coordv1.Lease // as last written by this run
	stop chan struct{}
	done chan struct{}
	// release makes Release run once.
	release sync.Once
}

func (l *Locker) duration() time.Duration {
	if l.Duration <= 0 {
		return DefaultDuration
	}
	return l.Duration
}

func (l *Locker) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Acquire takes the lock, or returns a *HeldError naming the holder (with
// o.Wait: waits until it is free or ctx ends). The held Lock is renewed
// until Release.
func (l *Locker) Acquire(ctx context.Context, o Options) (*Lock, error) {
	leases := l.Client.CoordinationV1().Leases(Namespace)
	run := make([]byte, 8)
	rand.Read(run)
	mine := l.lease(o.Command, hex.EncodeToString(run))
	told := false
	for {
		got, err := leases.Create(ctx, mine, metav1.CreateOptions{})
		if apierrors.IsNotFound(err) {
			// The first run on this cluster: make slipway's namespace.
			if err := kube.EnsureNamespace(ctx, l.Client, Namespace); err != nil {
				return nil, fmt.Errorf("run lock: %w", err)
			}
			got, err = leases.Create(ctx, mine, metav1.CreateOptions{})
		}
		if err == nil {
			return l.hold(got, o), nil
		}
		var held *HeldError
		switch {
		case apierrors.IsAlreadyExists(err):
			var taken *coordv1.Lease
			taken, held, err = l.takeOver(ctx, mine)
			if err != nil {
				return nil, err
			}
			if taken != nil {
				return l.hold(taken, o), nil
			}
		case terminating(err):
			// `down` deleted slipway's namespace and it is not gone yet.
			if !o.Wait {
				return nil, fmt.Errorf("run lock: namespace %s is being deleted (a `slipway down` is finishing); run again once it is gone, or pass --wait-for-lock", Namespace)
			}
		case apierrors.IsForbidden(err):
			return nil, fmt.Errorf("not allowed to take the run lock (lease %s/%s): slipway needs create, get, update and delete on leases.coordination.k8s.io in namespace %s: %w", Namespace, Name, Namespace, err)
		default:
			return nil, fmt.Errorf("run lock (lease %s/%s): %w", Namespace, Name, err)
		}
		if held != nil && !o.Wait {
			return nil, held
		}
		if o.Progress != nil && !told {
			told = true
			if held != nil {
				o.Progress("waiting for the run lock: %s holds it, running `slipway %s` since %s", held.Holder.Identity, held.Holder.Command, held.Holder.Acquired.UTC().Format(time.RFC3339))
			} else {
				o.Progress("waiting for namespace %s to be deleted before taking the run lock", Namespace)
			}
		}
		if err := l.awaitChange(ctx, held); err != nil {
			if held != nil {
				return nil, fmt.Errorf("gave up waiting for the run lock: %w: %v", err, held)
			}
			return nil, fmt.Errorf("gave up waiting for namespace %s to be deleted: %w", Namespace, err)
		}
	}
}

func terminating(err error) bool {
	return apierrors.IsForbidden(err) && strings.Contains(err.Error(), "because it is being terminated")
}

func (l *Locker) lease(command, run string) *coordv1.Lease {
	now := metav1.NewMicroTime(l.now())
	secs := int32(l.duration() / time.Second)
	id := l.Identity
	return &coordv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: Namespace,
			Labels:      map[string]string{kube.LabelManagedBy: kube.ManagedBy},
			Annotations: map[string]string{annotationCommand: command, annotationProcess: l.Process, annotationRun: run}},
		Spec: coordv1.LeaseSpec{HolderIdentity: &id, LeaseDurationSeconds: &secs, AcquireTime: &now, RenewTime: &now},
	}
}

// holder reads who holds a Lease.
func holder(le *coordv1.Lease) Holder {
	h := Holder{Command: le.Annotations[annotationCommand], process: le.Annotations[annotationProcess], run: le.Annotations[annotationRun]}
	if le.Spec.HolderIdentity != nil {
		h.Identity = *le.Spec.HolderIdentity
	}
	if le.Spec.AcquireTime != nil {
		h.Acquired = le.Spec.AcquireTime.Time
	}
	if le.Spec.RenewTime != nil {
		h.Renewed = le.Spec.RenewTime.Time
	}
	if le.Spec.LeaseDurationSeconds != nil {
		h.Duration = time.Duration(*le.Spec.LeaseDurationSeconds) * time.Second
	}
	return h
}

// takeOver reads the Lease that exists and replaces it with mine when its
// holder is gone: released (no holder), expired, or a process of this
// machine that no longer runs. Otherwise it returns who holds it.
func (l *Locker) takeOver(ctx context.Context, mine *coordv1.Lease) (*coordv1.Lease, *HeldError, error) {
	leases := l.Client.CoordinationV1().Leases(Namespace)
	cur, err := leases.Get(ctx, Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil, nil // released meanwhile: create again
	}
	if err != nil {
		return nil, nil, fmt.Errorf("run lock: read lease %s/%s: %w", Namespace, Name, err)
	}
	h := holder(cur)
	now := l.now()
	free := h.Identity == "" || !now.Before(h.Renewed.Add(h.Duration)) ||
		(h.process != "" && h.process != l.Process && l.Alive != nil && sameMachine(h.process, l.Process) && !l.Alive(h.process))
	if !free {
		return nil, &HeldError{Holder: h, Now: now}, nil
	}
	next := mine.DeepCopy()
	next.ResourceVersion = cur.ResourceVersion
	transitions := int32(1)
	if cur.Spec.LeaseTransitions != nil {
		transitions = *cur.Spec.LeaseTransitions + 1
	}
	next.Spec.LeaseTransitions = &transitions
	got, err := leases.Update(ctx, next, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil, nil, nil // another run was quicker, or it was released: look again
	}
	if err != nil {
		return nil, nil, fmt.Errorf("run lock: take over lease %s/%s: %w", Namespace, Name, err)
	}
	return got, nil, nil
}

// awaitChange returns when the Lease may have become free: it changed or
// went away, or the holder's lease ran out, or ctx ended (an error).
func (l *Locker) awaitChange(ctx context.Context, held *HeldError) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var expiry <-chan time.Time
	if held == nil {
		// Waiting for slipway's namespace to be deleted: no Lease event
		// will say so; look again in a second.
		t := time.NewTimer(time.Second)
		defer t.Stop()
		expiry = t.C
	} else {
		t := time.NewTimer(max(held.Holder.Renewed.Add(held.Holder.Duration).Sub(l.now()), 0) + 100*time.Millisecond)
		defer t.Stop()
		expiry = t.C
	}
	w, err := l.Client.CoordinationV1().Leases(Namespace).Watch(wctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", Name).String()})
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return fmt.Errorf("watch lease %s/%s: %w", Namespace, Name, err)
	}
	defer w.Stop()
	// A watch started after the read may miss a change made in between:
	// the first event (or a re-read after expiry) settles it.
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-expiry:
			return nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil
			}
			le, isLease := ev.Object.(*coordv1.Lease)
			if !isLease || held == nil || holder(le).run != held.Holder.run || holder(le).Identity == "" || ev.Type == "DELETED" {
				return nil
			}
			// The holder renewed: its expiry moved.
			h := holder(le)
			held.Holder = h
			if expiry != nil {
				expiry = time.After(max(h.Renewed.Add(h.Duration).Sub(l.now()), 0) + 100*time.Millisecond)
			}
		}
	}
}
