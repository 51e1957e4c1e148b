package runlock

import (
	"context"
	"fmt"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// hold starts renewing a Lease this run wrote.
func (l *Locker) hold(le *coordv1.Lease, o Options) *Lock {
	k := &Lock{l: l, cur: le, stop: make(chan struct{}), done: make(chan struct{})}
	go k.renew(o.Lost)
	return k
}

// renew writes a fresh renewTime every Duration/3. A write refused
// because the Lease changed means another run took it over (this one
// stopped renewing for longer than Duration): Lost is told. A Lease that
// is gone (`down` deleting slipway's namespace at its end) ends the
// renewals; other failures (an API server restarting) are tried again
// at the next tick, while the Lease has not expired.
func (k *Lock) renew(lost func(error)) {
	defer close(k.done)
	tick := time.NewTicker(k.l.duration() / 3)
	defer tick.Stop()
	leases := k.l.Client.CoordinationV1().Leases(Namespace)
	for {
		select {
		case <-k.stop:
			return
		case <-tick.C:
		}
		k.mu.Lock()
		next := k.cur.DeepCopy()
		k.mu.Unlock()
		now := metav1.NewMicroTime(k.l.now())
		next.Spec.RenewTime = &now
		ctx, cancel := context.WithTimeout(context.Background(), k.l.duration()/3)
		got, err := leases.Update(ctx, next, metav1.UpdateOptions{})
		cancel()
		switch {
		case err == nil:
			k.mu.Lock()
			k.cur = got
			k.mu.Unlock()
		case apierrors.IsNotFound(err):
			return
		case apierrors.IsConflict(err):
			// The Lease changed: see whether another run took it.
			ctx, cancel := context.WithTimeout(context.Background(), k.l.duration()/3)
			cur, gerr := leases.Get(ctx, Name, metav1.GetOptions{})
			cancel()
			switch {
			case apierrors.IsNotFound(gerr):
				return // gone with slipway's namespace (`down`)
			case gerr != nil:
				continue // try again at the next tick
			case holder(cur).run == holder(next).run:
				k.mu.Lock() // still ours, changed by someone else
				k.cur = cur
				k.mu.Unlock()
				continue
			}
			if lost != nil {
				h := holder(cur)
				lost(fmt.Errorf("lost the run lock (lease %s/%s) to %s (`slipway %s`): this run could not renew it for %s; stopping", Namespace, Name, h.Identity, h.Command, k.l.duration()))
			}
			return
		}
	}
}

// Release stops the renewals and deletes the Lease, if it is still this
// run's (preconditions on its UID and last resourceVersion). It uses its
// own short deadline: a run cancelled by Ctrl-C still frees the lock.
// Calls after the first do nothing.
func (k *Lock) Release() (err error) {
	if k == nil {
		return nil
	}
	k.release.Do(func() { err = k.delete() })
	return err
}

// delete is Release's one run.
func (k *Lock) delete() error {
	close(k.stop)
	<-k.done
	k.mu.Lock()
	cur := k.cur
	k.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	uid, rv := cur.UID, cur.ResourceVersion
	err := k.l.Client.CoordinationV1().Leases(Namespace).Delete(ctx, Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &rv}})
	if err == nil || apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return fmt.Errorf("release the run lock (lease %s/%s; it expires by itself %s after its last renewal): %w", Namespace, Name, k.l.duration(), err)
}

// Hold runs fn while holding the run lock of the cluster c reaches; with
// o.Wait it waits for the lock for up to wait. fn's context ends if the
// lock is taken over meanwhile, and the error then says so.
func Hold(ctx context.Context, c kubernetes.Interface, o Options, wait time.Duration, fn func(ctx context.Context) error) error {
	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	o.Lost = stop
	wctx, cancel := context.WithTimeoutCause(ctx, wait, fmt.Errorf("--timeout %s ran out", wait))
	lock, err := New(c).Acquire(wctx, o)
	cancel()
	if err != nil {
		return err
	}
	return holding(ctx, runCtx, lock, fn)
}

// holding runs fn with runCtx, which ends when the lock is lost, then
// releases the lock.
func holding(ctx, runCtx context.Context, lock *Lock, fn func(context.Context) error) error {
	err := fn(runCtx)
	if rerr := lock.Release(); err == nil {
		err = rerr
	}
	if err != nil && runCtx.Err() != nil && ctx.Err() == nil {
		err = context.Cause(runCtx)
	}
	return err
}
