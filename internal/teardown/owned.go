package teardown

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/release"
)

// checkOwned refuses, before anything is removed, a `down` that would
// uninstall a release or delete a credentials Secret slipway did not
// make. The inventory names them, but it is a ConfigMap anyone with
// access to slipway-system can edit: it is no proof. A release is
// slipway's by release.Foreign's rule; a Secret when it carries
// app.kubernetes.io/managed-by=slipway.
// (Namespaces and generated Secrets without the label are left in
// place silently: up reuses namespaces that exist.) Issue 17, item 6.
//
// The releases and Secrets are read at the same time, a few at once: one
// after the other they were two round trips per component before `down`
// could start (issue 18). Refusals and errors keep todo's order: the
// release's, then the Secret's.
func (r *Remover) checkOwned(ctx context.Context, todo []inventory.Entry, o Options) error {
	// Two slots per entry: its release, then its Secret.
	msgs := make([]string, 2*len(todo))
	errs := make([]error, 2*len(todo))
	var g errgroup.Group
	g.SetLimit(ownedConcurrency)
	for i, e := range todo {
		mgr, err := r.Releases(e.Namespace)
		if err != nil {
			return err
		}
		g.Go(func() error {
			info, err := mgr.Get(ctx, e.Release)
			if err != nil {
				errs[2*i] = fmt.Errorf("%s: %w", e.Component, err)
			} else if msg := release.Foreign(info, e.Component); msg != "" {
				msgs[2*i] = fmt.Sprintf("%s; uninstall it yourself if you mean to (`helm -n %s uninstall %s`)", msg, e.Namespace, e.Release)
			}
			return nil
		})
		if e.Secret == "" || o.KeepCredentials {
			continue
		}
		g.Go(func() error {
			s, err := r.Client.CoreV1().Secrets(e.Namespace).Get(ctx, e.Secret, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
			case err != nil:
				errs[2*i+1] = fmt.Errorf("%s: read secret %s/%s: %w", e.Component, e.Namespace, e.Secret, err)
			case !kube.Owned(s.Labels):
				msgs[2*i+1] = fmt.Sprintf("secret %s/%s (component %s's credentials in the inventory) is not slipway's: it lacks the label %s=%s; delete it yourself if you mean to, or pass --keep-credentials",
					e.Namespace, e.Secret, e.Component, kube.LabelManagedBy, kube.ManagedBy)
			}
			return nil
		})
	}
	_ = g.Wait() // every error is in errs
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	var foreign []string
	for _, m := range msgs {
		if m != "" {
			foreign = append(foreign, m)
		}
	}
	if len(foreign) == 0 {
		return nil
	}
	return outcome.Input(fmt.Errorf("nothing was removed: down removes only what slipway installed:\n%s\nto remove the other components alone, name them: `slipway down COMPONENT...`", strings.Join(foreign, "\n")))
}

// ownedConcurrency bounds the reads checkOwned has in flight.
const ownedConcurrency = 8
