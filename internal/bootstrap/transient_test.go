package bootstrap

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestTransient: an install is tried again only when the API server did
// not answer, never when it answered no.
func TestTransient(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	gr := schema.GroupResource{Resource: "deployments"}
	cases := []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("install ci/jenkins: %w", refused), true},
		{errors.New(`server-side apply failed for object ci/jenkins apps/v1, Kind=StatefulSet: Patch "https://127.0.0.1:1/apis/apps/v1/namespaces/ci/statefulsets/jenkins?fieldManager=slipway": dial tcp 127.0.0.1:1: connect: connection refused`), true},
		{apierrors.NewServiceUnavailable("etcd is restarting"), true},
		{apierrors.NewTimeoutError("slow", 1), true},
		{apierrors.NewTooManyRequests("busy", 1), true},
		{errors.New("etcdserver: request timed out"), true},
		{apierrors.NewForbidden(gr, "x", errors.New("no")), false},
		{apierrors.NewInvalid(schema.GroupKind{Kind: "Deployment"}, "x", nil), false},
		{errors.New(`unable to continue with install: CustomResourceDefinition "a" in namespace "" exists and cannot be imported into the current release`), false},
	}
	for _, c := range cases {
		if got := transient(c.err); got != c.want {
			t.Errorf("transient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
