package runlock

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/slipway-dev/slipway/internal/kube"
)

// Connect connects to the cluster ko selects and takes its run lock with
// acquire at the same time: the Lease's create goes out with the probe,
// so a run that changes the cluster starts its work one round trip after
// it began, not two (issue 18). The lock is held when Connect returns
// without error.
//
// When the probe fails, its error is returned (kube.ConnectAnd cancels the
// lock's request and does not wait for it); a lock the request took
// anyway is given back, here or, if it comes later, by the request
// itself, so that a failed connect leaves no Lease behind.
func Connect(ctx context.Context, ko kube.Options, timeout time.Duration, acquire func(context.Context, *kube.Cluster) (*Lock, error)) (*kube.Cluster, *Lock, error) {
	var (
		mu        sync.Mutex
		held      *Lock
		abandoned bool
	)
	c, err := kube.ConnectAnd(ctx, ko, timeout, func(ctx context.Context, c *kube.Cluster) error {
		l, err := acquire(ctx, c)
		mu.Lock()
		defer mu.Unlock()
		if abandoned {
			_ = l.Release() // nil-safe; no one is left to tell
			return err
		}
		held = l
		return err
	})
	if err != nil {
		mu.Lock()
		abandoned = true
		l := held
		mu.Unlock()
		if rerr := l.Release(); rerr != nil {
			err = fmt.Errorf("%w (and: %v)", err, rerr)
		}
		return nil, nil, err
	}
	return c, held, nil
}

// ConnectAndHold is Connect, then Hold's fn on the connected cluster
// while the lock is held; with o.Wait it waits for the lock for up to
// wait.
func ConnectAndHold(ctx context.Context, ko kube.Options, timeout time.Duration, o Options, wait time.Duration, fn func(context.Context, *kube.Cluster) error) error {
	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	o.Lost = stop
	c, lock, err := Connect(ctx, ko, timeout, func(ctx context.Context, c *kube.Cluster) (*Lock, error) {
		wctx, cancel := context.WithTimeoutCause(ctx, wait, fmt.Errorf("--timeout %s ran out", wait))
		defer cancel()
		return New(c.Client).Acquire(wctx, o)
	})
	if err != nil {
		return err
	}
	return holding(ctx, runCtx, lock, func(ctx context.Context) error { return fn(ctx, c) })
}
