package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/kubernetes"
)

// Labels slipway puts on what it creates. `down` and rotation touch only
// what carries LabelManagedBy=ManagedBy.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "slipway"
	LabelComponent = "slipway.dev/component"
	// LabelCredentialKind marks a Secret holding a credential slipway keeps
	// for the user (one of the Kind values), so that `slipway credentials`
	// finds it by label: a GitOps repository's login, a registry's.
	LabelCredentialKind = "slipway.dev/credential-kind"
)

// Kinds of credential, the values of LabelCredentialKind. Admin logins
// are found through the inventory and carry no such label.
const (
	KindAdmin         = "admin"
	KindGitRepository = "gitops-repository"
	KindRegistry      = "registry"
)

// Ref names one Kubernetes object: what a release renders, what the
// readiness wait watches, and what a diagnosis points at.
type Ref struct{ Group, Version, Kind, Namespace, Name string }

func (o Ref) String() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// Owned reports whether labels carry slipway's mark.
func Owned(labels map[string]string) bool { return labels[LabelManagedBy] == ManagedBy }

// EnsureNamespace creates ns if it is missing, labelled as slipway's so
// that `down` knows it may remove it; one that exists is left as it is.
// When slipway may not create namespaces but ns exists, that is enough.
func EnsureNamespace(ctx context.Context, c kubernetes.Interface, ns string) error {
	obj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{LabelManagedBy: ManagedBy}}}
	_, err := c.CoreV1().Namespaces().Create(ctx, obj, metav1.CreateOptions{})
	if err == nil || apierrors.IsAlreadyExists(err) {
		return nil
	}
	if apierrors.IsForbidden(err) {
		if _, gerr := c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); gerr == nil {
			return nil
		}
		return fmt.Errorf("not allowed to create namespace %s: slipway needs `create` on namespaces (cluster scope), or create it beforehand: %w", ns, err)
	}
	return fmt.Errorf("create namespace %s: %w", ns, err)
}

// Transient reports whether err says that a server did not answer (a
// refused or reset connection, a timeout, a 503 or 429), as opposed to
// answering no. It is the one classifier for "try again": the install
// retries on it, and so do chart downloads.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	if apierrors.IsServiceUnavailable(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		utilnet.IsConnectionRefused(err) || utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) || utilnet.IsTimeout(err) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	// Helm flattens some errors into text.
	msg := err.Error()
	for _, s := range []string{"connect: connection refused", "connection reset by peer", "TLS handshake timeout", "http2: client connection lost", "etcdserver: request timed out", "the server is currently unable to handle the request"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
