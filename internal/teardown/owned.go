package teardown

import (
	"context"
	"fmt"
	"strings"

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
func (r *Remover) checkOwned(ctx context.Context, todo []inventory.Entry, o Options) error {
	var foreign []string
	for _, e := range todo {
		mgr, err := r.Releases(e.Namespace)
		if err != nil {
			return err
		}
		info, err := mgr.Get(ctx, e.Release)
		if err != nil {
			return fmt.Errorf("%s: %w", e.Component, err)
		}
		if msg := release.Foreign(info, e.Component); msg != "" {
			foreign = append(foreign, fmt.Sprintf("%s; uninstall it yourself if you mean to (`helm -n %s uninstall %s`)", msg, e.Namespace, e.Release))
		}
		if e.Secret == "" || o.KeepCredentials {
			continue
		}
		s, err := r.Client.CoreV1().Secrets(e.Namespace).Get(ctx, e.Secret, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return fmt.Errorf("%s: read secret %s/%s: %w", e.Component, e.Namespace, e.Secret, err)
		case !kube.Owned(s.Labels):
			foreign = append(foreign, fmt.Sprintf("secret %s/%s (component %s's credentials in the inventory) is not slipway's: it lacks the label %s=%s; delete it yourself if you mean to, or pass --keep-credentials",
				e.Namespace, e.Secret, e.Component, kube.LabelManagedBy, kube.ManagedBy))
		}
	}
	if len(foreign) == 0 {
		return nil
	}
	return outcome.Input(fmt.Errorf("nothing was removed: down removes only what slipway installed:\n%s\nto remove the other components alone, name them: `slipway down COMPONENT...`", strings.Join(foreign, "\n")))
}
