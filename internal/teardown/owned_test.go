package teardown

import (
	"context"
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/release"
)

// nothingRemoved checks that a refused down left the platform whole.
func (f *fixture) nothingRemoved(t *testing.T) {
	t.Helper()
	check(t, "releases left", f.installed(t), []string{"gitea", "jenkins", "postgres"})
	check(t, "secrets left", f.secrets(t), []string{"ci/jenkins-admin", "data/postgres-admin", "data/postgres-foreign", "data/postgres-internal", "git/gitea-admin"})
	check(t, "namespaces left", f.namespaces(t), []string{"ci", "data", "git", "slipway-system"})
	check(t, "inventory", f.inventory(t), []string{"gitea", "jenkins", "postgres"})
}

// TestDownRefusesForeignRelease: a release the inventory names that
// slipway did not install (helm install by hand, then the inventory
// edited) stops down before anything is removed: exit 2, naming it.
func TestDownRefusesForeignRelease(t *testing.T) {
	f := newFixture(t, true)
	// gitea's release replaced by one without slipway's label.
	m := release.NewForTesting("git")
	f.releases["git"] = m
	if _, err := m.Apply(context.Background(), release.Spec{Name: "gitea", Namespace: "git", ChartPath: chartOf(t, "gitea"), Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	err := f.down(t, Options{})
	want := "nothing was removed: down removes only what slipway installed:\n" +
		"release git/gitea (component gitea) was not installed by slipway: its Helm release lacks the label slipway.dev/component=gitea; uninstall it yourself if you mean to (`helm -n git uninstall gitea`)\n" +
		"to remove the other components alone, name them: `slipway down COMPONENT...`"
	if err == nil || err.Error() != want || !errors.Is(err, outcome.ErrInput) {
		t.Fatalf("error:\n%v\nwant (exit 2):\n%s", err, want)
	}
	f.nothingRemoved(t)
	// The others alone can go.
	if err := f.down(t, Options{Components: []string{"jenkins"}}); err != nil {
		t.Fatal(err)
	}
}

// TestDownRefusesForeignSecret: a credentials Secret without slipway's
// label is not deleted; down says so before removing anything.
func TestDownRefusesForeignSecret(t *testing.T) {
	f := newFixture(t, true)
	if _, err := f.client.CoreV1().Secrets("ci").Update(context.Background(), secret("ci", "jenkins-admin", false), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := f.down(t, Options{})
	want := "nothing was removed: down removes only what slipway installed:\n" +
		"secret ci/jenkins-admin (component jenkins's credentials in the inventory) is not slipway's: it lacks the label app.kubernetes.io/managed-by=slipway; delete it yourself if you mean to, or pass --keep-credentials\n" +
		"to remove the other components alone, name them: `slipway down COMPONENT...`"
	if err == nil || err.Error() != want || !errors.Is(err, outcome.ErrInput) {
		t.Fatalf("error:\n%v\nwant (exit 2):\n%s", err, want)
	}
	f.nothingRemoved(t)
}

// TestDownUnreadableInventory: an inventory that cannot be read stops
// down before anything is deleted (exit 1, with the cause).
func TestDownUnreadableInventory(t *testing.T) {
	f := newFixture(t, true)
	failing := true
	f.client.PrependReactor("get", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		if failing {
			return true, nil, errors.New("etcdserver: request timed out")
		}
		return false, nil, nil
	})
	err := f.down(t, Options{})
	want := "read inventory slipway-system/slipway-inventory: etcdserver: request timed out"
	if err == nil || err.Error() != want || errors.Is(err, outcome.ErrInput) {
		t.Fatalf("error: %v\nwant (exit 1): %s", err, want)
	}
	failing = false
	f.nothingRemoved(t)
}

// TestDownKeepsForeignSlipwayNamespace: slipway-system made by someone
// else (no label) stays when the last component goes.
func TestDownKeepsForeignSlipwayNamespace(t *testing.T) {
	f := newFixture(t, true)
	if _, err := f.client.CoreV1().Namespaces().Update(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: inventory.Namespace}}, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := f.down(t, Options{}); err != nil {
		t.Fatal(err)
	}
	check(t, "namespaces left", f.namespaces(t), []string{"data", "slipway-system"})
}
