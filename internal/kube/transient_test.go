package kube

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestTransient: an install or a download is tried again only when the
// server did not answer, never when it answered no (or its name does not
// resolve).
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
		{&net.DNSError{Err: "no such host", Name: "charts.example", IsNotFound: true}, false},
		{fmt.Errorf("read body: %w", io.ErrUnexpectedEOF), true},
		{errors.New(`unable to continue with install: CustomResourceDefinition "a" in namespace "" exists and cannot be imported into the current release`), false},
	}
	for _, c := range cases {
		if got := Transient(c.err); got != c.want {
			t.Errorf("Transient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
