package runlock

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/slipway-dev/slipway/internal/kube"
)

// unreachable is a kubeconfig whose server answers /version with 500
// once release is closed.
func unreachable(t *testing.T, release <-chan struct{}) kube.Options {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	kc := "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: " + srv.URL + "}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n"
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return kube.Options{Kubeconfig: path}
}

// deletions signals every Lease delete c sees.
func deletions(c *fake.Clientset) <-chan struct{} {
	deleted := make(chan struct{}, 4)
	c.PrependReactor("delete", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
		deleted <- struct{}{}
		return false, nil, nil
	})
	return deleted
}

// TestConnectGivesBackALockTakenBeforeTheProbeFailed: the lock's create
// went through before the probe failed: Connect returns the probe's
// error and has deleted the Lease.
func TestConnectGivesBackALockTakenBeforeTheProbeFailed(t *testing.T) {
	c := fake.NewClientset()
	deleted := deletions(c)
	now := t0
	acquired := make(chan struct{})
	_, lock, err := Connect(context.Background(), unreachable(t, acquired), 5*time.Second, func(ctx context.Context, _ *kube.Cluster) (*Lock, error) {
		defer close(acquired)
		return locker(c, "ana@laptop pid 10", "boot/ns/10", &now).Acquire(ctx, Options{Command: "up"})
	})
	if err == nil || lock != nil {
		t.Fatalf("Connect = %v, %v; want the probe's error and no lock", lock, err)
	}
	select {
	case <-deleted:
	default:
		t.Fatal("Connect returned with the Lease still held")
	}
	if _, err := c.CoordinationV1().Leases(Namespace).Get(context.Background(), Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("lease still there: %v", err)
	}
}

// TestConnectGivesBackALockTakenAfterTheProbeFailed: the lock's request
// ends only after Connect returned the probe's error; the request gives
// the Lease back itself.
func TestConnectGivesBackALockTakenAfterTheProbeFailed(t *testing.T) {
	c := fake.NewClientset()
	deleted := deletions(c)
	now := t0
	probed, proceed := make(chan struct{}), make(chan struct{})
	close(probed)
	_, lock, err := Connect(context.Background(), unreachable(t, probed), 5*time.Second, func(ctx context.Context, _ *kube.Cluster) (*Lock, error) {
		<-proceed // a create the API server answers late, whatever the context says
		return locker(c, "ana@laptop pid 10", "boot/ns/10", &now).Acquire(context.Background(), Options{Command: "up"})
	})
	if err == nil || lock != nil {
		t.Fatalf("Connect = %v, %v; want the probe's error and no lock", lock, err)
	}
	close(proceed)
	select {
	case <-deleted:
	case <-time.After(10 * time.Second):
		t.Fatal("the lock taken after the failed connect was never given back")
	}
}
