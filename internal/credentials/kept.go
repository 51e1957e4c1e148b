package credentials

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/slipway-dev/slipway/internal/kube"
)

// listConcurrency bounds the namespaces ListKept reads at once.
const listConcurrency = 8

// ListKept lists, in each namespace, the Secrets slipway keeps a
// credential in for the user (labelled with a credential kind other than
// admin, which the inventory finds), sorted by namespace and name. The
// namespaces are listed at the same time, a few at once: one list after
// the other was a round trip per namespace on the critical path of
// `slipway credentials` (issue 18). A namespace slipway may not list
// Secrets in is reported through forbidden and left out.
func ListKept(ctx context.Context, c kubernetes.Interface, namespaces []string, forbidden func(ns string)) ([]corev1.Secret, error) {
	sel := kube.LabelManagedBy + "=" + kube.ManagedBy + "," + kube.LabelCredentialKind
	lists := make([][]corev1.Secret, len(namespaces))
	denied := make([]bool, len(namespaces))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(listConcurrency)
	for i, ns := range namespaces {
		g.Go(func() error {
			list, err := c.CoreV1().Secrets(ns).List(gctx, metav1.ListOptions{LabelSelector: sel})
			switch {
			case apierrors.IsForbidden(err):
				denied[i] = true
				return nil
			case err != nil:
				return fmt.Errorf("list secrets in namespace %s: %w", ns, err)
			}
			for _, s := range list.Items {
				if s.Labels[kube.LabelCredentialKind] != kube.KindAdmin {
					lists[i] = append(lists[i], s)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []corev1.Secret
	for i, ns := range namespaces {
		if denied[i] && forbidden != nil {
			forbidden(ns) // in the order given, as one list after the other told them
		}
		out = append(out, lists[i]...)
	}
	slices.SortStableFunc(out, func(a, b corev1.Secret) int {
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}
