//go:build faults

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestFaultRepairAfterOutage: a release an interrupted install left
// pending-install, its StatefulSet's pod running, is repaired by an up
// that starts as soon as a restarted API server answers.
//
// The repair used to uninstall the release and install it afresh: the
// StatefulSet deleted and created again under its name while the
// controller manager's watches were still down. Relisting, its garbage
// collector saw the StatefulSet changed, not deleted, and never removed
// the old pod; the new StatefulSet could not create its pod of that name
// and stayed "Replicas: 0/1" until the timeout (TestFaultAPIServerOutage
// failed so when the outage met the ci install after its StatefulSet).
// Now the repair upgrades in place: the StatefulSet keeps its UID.
func TestFaultRepairAfterOutage(t *testing.T) {
	if env.cluster == nil {
		t.Skip("stopping the API server needs the hermetic cluster, not E2E_KUBECONFIG")
	}
	ctx := context.Background()
	up := []string{"up", "--kubeconfig", env.kubeconfig, "--profile", fixtureProfile(t, "repair"),
		"--chart-mirror", sources.http.URL(), "--timeout", "2m", "-o", "json"}
	if r := slipway(t, up...); r.code != 0 {
		t.Fatalf("first up: exit %d", r.code)
	}
	const ns, name, sts = "repair-ci", "jenkins", "jenkins-ciserver"
	before, err := env.client.AppsV1().StatefulSets(ns).Get(ctx, sts, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// What a run killed during the install leaves: revision 1 pending.
	releases := storage.Init(driver.NewSecrets(env.client.CoreV1().Secrets(ns)))
	x, err := releases.Get(name, 1)
	if err != nil {
		t.Fatal(err)
	}
	rel := x.(*rspb.Release)
	rel.Info.Status = common.StatusPendingInstall
	if err := releases.Update(rel); err != nil {
		t.Fatal(err)
	}

	env.cluster.StopAPIServer()
	time.Sleep(10 * time.Second) // the outage's length, not a timing assertion
	if err := env.cluster.StartAPIServer(ctx); err != nil {
		t.Fatalf("restart the API server: %v", err)
	}
	r := slipway(t, up...)
	if r.code != 0 {
		t.Fatalf("up after the restart: exit %d", r.code)
	}
	if !strings.Contains(r.stderr, "ci: release repair-ci/jenkins was left pending-install by an interrupted run and never deployed: marked it failed, it will be upgraded in place") {
		t.Errorf("up did not say how it repaired the release")
	}
	after, err := env.client.AppsV1().StatefulSets(ns).Get(ctx, sts, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.UID != before.UID {
		t.Errorf("StatefulSet %s/%s was deleted and created again (UID %s, then %s); the repair should keep it", ns, sts, before.UID, after.UID)
	}
	last, err := releases.Last(name)
	if err != nil {
		t.Fatal(err)
	}
	if l := last.(*rspb.Release); l.Version != 2 || l.Info.Status != common.StatusDeployed {
		t.Errorf("release %s/%s: revision %d %s, want revision 2 deployed", ns, name, l.Version, l.Info.Status)
	}
}
