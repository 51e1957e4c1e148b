package teardown

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/ui"
)

// deleteGenerated removes the component's internal Secrets that slipway
// made; one made by something else (a chart hook of an earlier profile
// version) is left where it is.
func deleteGenerated(ctx context.Context, client kubernetes.Interface, e inventory.Entry) error {
	for _, name := range e.Generated {
		s, err := client.CoreV1().Secrets(e.Namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: read secret %s/%s: %w", e.Component, e.Namespace, name, err)
		}
		if !kube.Owned(s.Labels) {
			continue
		}
		if err := client.CoreV1().Secrets(e.Namespace).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("%s: delete secret %s/%s: %w", e.Component, e.Namespace, name, err)
		}
	}
	return nil
}

// deleteNamespaces removes the namespaces of the removed components that
// slipway created and nothing left in the inventory uses, and slipway's
// own namespace once the inventory is empty; then it waits until they
// are gone, since a terminating namespace refuses a re-install.
func (r *Remover) deleteNamespaces(ctx context.Context, removed, remaining []inventory.Entry, timeout time.Duration, printer *ui.Printer) error {
	inUse := map[string]bool{}
	for _, e := range remaining {
		inUse[e.Namespace] = true
	}
	namespaces := r.Client.CoreV1().Namespaces()
	var gone []string
	for _, e := range removed {
		if inUse[e.Namespace] || slices.Contains(gone, e.Namespace) {
			continue
		}
		ns, err := namespaces.Get(ctx, e.Namespace, metav1.GetOptions{})
		if err != nil || !kube.Owned(ns.Labels) {
			continue
		}
		if err := namespaces.Delete(ctx, e.Namespace, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete namespace %s: %w", e.Namespace, err)
		}
		gone = append(gone, e.Namespace)
	}
	if len(remaining) == 0 {
		// slipway's own namespace goes with the last component, if
		// slipway made it; its deletion is then awaited with the others.
		ns, err := namespaces.Get(ctx, inventory.Namespace, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return fmt.Errorf("read namespace %s: %w", inventory.Namespace, err)
		case !kube.Owned(ns.Labels):
			printer.Infof("kept namespace %s: it lacks the label %s=%s, so slipway did not make it", inventory.Namespace, kube.LabelManagedBy, kube.ManagedBy)
		default:
			if err := namespaces.Delete(ctx, inventory.Namespace, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("delete namespace %s: %w", inventory.Namespace, err)
			}
			gone = append(gone, inventory.Namespace)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	printer.Infof("waiting for namespaces %s to be deleted", strings.Join(gone, ", "))
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	poll := r.Poll
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	err := wait.PollUntilContextCancel(wctx, poll, true, func(ctx context.Context) (bool, error) {
		for _, ns := range gone {
			if _, err := namespaces.Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("namespaces %s still terminating after %s: %w", strings.Join(gone, ", "), timeout, err)
	}
	return nil
}
