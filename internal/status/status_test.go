package status

import (
	"context"
	"errors"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/release"
	"github.com/slipway-dev/slipway/internal/wait"
)

// fakeReadiness answers per component.
type fakeReadiness map[string][]wait.ResourceStatus

func (f fakeReadiness) Check(_ context.Context, t wait.Target) ([]wait.ResourceStatus, error) {
	if sts, ok := f[t.Component]; ok {
		return sts, nil
	}
	return nil, errors.New("no answer")
}

// brokenReleases is a release store that cannot be read.
type brokenReleases struct{}

func (brokenReleases) Get(context.Context, string) (*release.Info, error) {
	return nil, errors.New("read history of release cache/redis: forbidden")
}

func chart(t *testing.T, name string) string {
	t.Helper()
	ch := &chartv2.Chart{
		Metadata:  &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: name, Version: "1.2.3"},
		Templates: []*common.File{{Name: "templates/d.yaml", Data: []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n")}},
	}
	path, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// TestStatus reports components in needs order, each with its release
// and its worst readiness and why; a missing release and one that cannot
// be read say so instead of failing the whole report.
func TestStatus(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset()
	entries := []inventory.Entry{
		{Component: "jenkins", Namespace: "ci", Release: "jenkins", Needs: []string{"gitea"}, URL: "http://jenkins.test", Profile: "default", ProfileVersion: "1"},
		{Component: "gitea", Namespace: "git", Release: "gitea", Profile: "default", ProfileVersion: "1"},
		{Component: "argocd", Namespace: "cd", Release: "argocd", Profile: "default", ProfileVersion: "1"},
		{Component: "redis", Namespace: "cache", Release: "redis", Profile: "default", ProfileVersion: "1"},
	}
	if err := inventory.Upsert(ctx, client, entries...); err != nil {
		t.Fatal(err)
	}
	managers := map[string]Releases{"cache": brokenReleases{}}
	for _, ns := range []string{"ci", "git", "cd"} {
		managers[ns] = release.NewForTesting(ns)
	}
	for _, e := range entries[:2] {
		m := managers[e.Namespace].(*release.Manager)
		if _, err := m.Apply(ctx, release.Spec{Name: e.Release, Namespace: e.Namespace, ChartPath: chart(t, e.Component), Timeout: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	dep := func(ns, name string) kube.Ref {
		return kube.Ref{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: ns, Name: name}
	}
	r := &Reporter{
		Client:   client,
		Releases: func(ns string) (Releases, error) { return managers[ns], nil },
		Readiness: fakeReadiness{
			"jenkins": {{Object: dep("ci", "jenkins"), State: wait.Ready}},
			"gitea": {
				{Object: dep("git", "a"), State: wait.Progressing, Message: "1 of 2 replicas ready"},
				{Object: dep("git", "b"), State: wait.Failed, Message: "CrashLoopBackOff"},
				{Object: dep("git", "c"), State: wait.Progressing},
			},
		},
		Context: "kind-test",
	}
	got, err := r.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ component, chart, version, releaseStatus, readiness, reason, profile string }
	want := []row{
		{"argocd", "", "", "", "missing", "no Helm release; `slipway up` installs it", "default@1"},
		{"gitea", "gitea", "1.2.3", "deployed", "failed", "Deployment git/a: 1 of 2 replicas ready; Deployment git/b: CrashLoopBackOff; Deployment git/c:", "default@1"},
		{"redis", "", "", "", "unknown", "read history of release cache/redis: forbidden", "default@1"},
		{"jenkins", "jenkins", "1.2.3", "deployed", "ready", "", "default@1"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if (row{g.Component, g.Chart, g.Version, g.ReleaseStatus, g.Readiness, g.Reason, g.Profile}) != w {
			t.Errorf("row %d: %+v\nwant %+v", i, g, w)
		}
	}
	if got[3].Revision != 1 || got[3].URL != "http://jenkins.test" || got[3].Namespace != "ci" {
		t.Errorf("jenkins: %+v", got[3])
	}
}

// TestStatusNothingInstalled names the context in the inventory's error.
func TestStatusNothingInstalled(t *testing.T) {
	r := &Reporter{Client: fake.NewClientset(), Context: "kind-test"}
	_, err := r.Status(context.Background())
	want := "context kind-test: no slipway components in this cluster (no configmap slipway-system/slipway-inventory); install the platform with `slipway up`"
	if err == nil || err.Error() != want || !errors.Is(err, inventory.ErrEmpty) {
		t.Errorf("got %v, want %q", err, want)
	}
}
