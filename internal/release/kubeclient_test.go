package release

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	helmkube "helm.sh/helm/v4/pkg/kube"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/resource"
)

// objects lists one object per "Kind/name", in the order given (Helm's
// install order in the tests).
func objects(refs ...string) helmkube.ResourceList {
	var out helmkube.ResourceList
	for _, r := range refs {
		kind, name, _ := strings.Cut(r, "/")
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("v1")
		u.SetKind(kind)
		u.SetName(name)
		out = append(out, &resource.Info{Name: name, Object: u, Mapping: &meta.RESTMapping{GroupVersionKind: u.GroupVersionKind()}})
	}
	return out
}

func kindsOf(l helmkube.ResourceList) string {
	var ks []string
	for _, i := range l {
		ks = append(ks, i.Object.GetObjectKind().GroupVersionKind().Kind+"/"+i.Name)
	}
	return strings.Join(ks, " ")
}

func TestCreateStages(t *testing.T) {
	list := objects("Namespace/n", "NetworkPolicy/p", "ServiceAccount/a", "ServiceAccount/b", "Secret/s", "ConfigMap/c",
		"CustomResourceDefinition/d", "ClusterRole/r", "ClusterRoleBinding/rb", "Role/r", "RoleBinding/rb", "Service/svc",
		"Deployment/x", "StatefulSet/y", "IngressClass/ic", "Ingress/i", "APIService/api", "Widget/w", "ValidatingWebhookConfiguration/v",
		"CustomResourceDefinition/e")
	st := createStages(list)
	var got []string
	for _, stage := range st.groups {
		var groups []string
		for _, g := range stage {
			groups = append(groups, "["+kindsOf(g)+"]")
		}
		got = append(got, strings.Join(groups, " "))
	}
	want := []string{
		"[Namespace/n]",
		"[NetworkPolicy/p] [ServiceAccount/a ServiceAccount/b] [Secret/s] [ConfigMap/c] [ClusterRole/r] [Role/r] [Service/svc] [IngressClass/ic]",
		"[ClusterRoleBinding/rb] [RoleBinding/rb]",
		"[Deployment/x] [StatefulSet/y] [Ingress/i]",
		"[APIService/api Widget/w ValidatingWebhookConfiguration/v]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("stages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if kindsOf(st.crds) != "CustomResourceDefinition/d CustomResourceDefinition/e" {
		t.Errorf("CRDs: %s, want both, apart from the stages", kindsOf(st.crds))
	}
}

// recordingClient is Helm's kube client as far as Create goes: it
// records when each call starts and ends, and a call waits until every
// call of its stage has started (so the test fails, not hangs, when
// they do not run at once: after a minute it goes on).
type recordingClient struct {
	helmkube.Interface
	mu      sync.Mutex
	events  []string
	started map[int]chan struct{}
	want    map[int]int // calls per stage
	count   map[int]int
	fail    string // kind whose Create fails
}

// stageOf is the stage of an object of kind, crdBarrier for a CRD.
func stageOf(kind string) int {
	if kind == crdKind {
		return crdBarrier
	}
	if s, ok := createStage[kind]; ok {
		return s
	}
	return lastStage
}

// crdBarrier is the recordingClient's stage for the CRDs' call, which no
// other call waits for.
const crdBarrier = -1

func (c *recordingClient) Create(l helmkube.ResourceList, _ ...helmkube.ClientCreateOption) (*helmkube.Result, error) {
	kind := kindOf(l[0])
	stage := stageOf(kind)
	c.mu.Lock()
	c.events = append(c.events, "start "+kindsOf(l))
	c.count[stage]++
	if c.count[stage] == c.want[stage] {
		close(c.started[stage])
	}
	c.mu.Unlock()
	select {
	case <-c.started[stage]:
	case <-time.After(time.Minute):
	}
	c.mu.Lock()
	c.events = append(c.events, "end "+kindsOf(l))
	c.mu.Unlock()
	if kind == c.fail {
		return nil, fmt.Errorf("create %s: denied", kind)
	}
	return &helmkube.Result{Created: l}, nil
}

func newRecording(st stages) *recordingClient {
	c := &recordingClient{started: map[int]chan struct{}{}, want: map[int]int{}, count: map[int]int{}}
	for n, s := range st.groups {
		if len(s) > 0 {
			c.want[n] = len(s)
			c.started[n] = make(chan struct{})
		}
	}
	if len(st.crds) > 0 {
		c.want[crdBarrier] = 1
		c.started[crdBarrier] = make(chan struct{})
	}
	return c
}

// TestCreateRunsAStageAtOnceAndStagesInOrder: every kind of a stage is
// created at once, and no object of a stage before every object of the
// stages before it.
func TestCreateRunsAStageAtOnceAndStagesInOrder(t *testing.T) {
	list := objects("ServiceAccount/a", "Secret/s", "ClusterRole/r", "ClusterRoleBinding/rb", "RoleBinding/rb", "Service/svc", "Deployment/x", "StatefulSet/y", "Widget/w")
	rec := newRecording(createStages(list))
	res, err := kubeClient{Interface: rec}.Create(list)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != len(list) {
		t.Errorf("created %d objects, want %d", len(res.Created), len(list))
	}
	for stage, want := range rec.want {
		if rec.count[stage] != want {
			t.Errorf("stage %d: %d calls, want %d", stage, rec.count[stage], want)
		}
	}
	// Every start of a stage comes after every end of the stages before.
	stageOfEvent := func(ev string) int {
		kind, _, _ := strings.Cut(strings.Fields(ev)[1], "/")
		return stageOf(kind)
	}
	for i, ev := range rec.events {
		if !strings.HasPrefix(ev, "start ") {
			continue
		}
		for _, later := range rec.events[i:] {
			if strings.HasPrefix(later, "end ") && stageOfEvent(later) < stageOfEvent(ev) && stageOfEvent(later) != crdBarrier {
				t.Errorf("%q before %q:\n%s", ev, later, strings.Join(rec.events, "\n"))
			}
		}
	}
}

// TestCreateStopsAtAFailedStage: workloads are not created when their
// Secrets or accounts could not be; the error is Helm's.
func TestCreateStopsAtAFailedStage(t *testing.T) {
	list := objects("ServiceAccount/a", "Secret/s", "Deployment/x")
	rec := newRecording(createStages(list))
	rec.fail = "Secret"
	_, err := kubeClient{Interface: rec}.Create(list)
	if err == nil || err.Error() != "create Secret: denied" {
		t.Errorf("error %v, want Helm's for the Secret", err)
	}
	if slices.ContainsFunc(rec.events, func(e string) bool { return strings.Contains(e, "Deployment") }) {
		t.Errorf("the Deployment was created after its stage failed:\n%s", strings.Join(rec.events, "\n"))
	}
	var none helmkube.ResourceList
	if _, err := (kubeClient{Interface: emptyClient{}}).Create(none); !errors.Is(err, helmkube.ErrNoObjectsVisited) {
		t.Errorf("Create of nothing: %v, want Helm's own error", err)
	}
}

type emptyClient struct{ helmkube.Interface }

func (emptyClient) Create(helmkube.ResourceList, ...helmkube.ClientCreateOption) (*helmkube.Result, error) {
	return nil, helmkube.ErrNoObjectsVisited
}

// updatingClient records Helm's Update calls: originals → targets.
type updatingClient struct {
	helmkube.Interface
	mu    sync.Mutex
	calls []string
	fail  string
}

func (c *updatingClient) Update(originals, targets helmkube.ResourceList, _ ...helmkube.ClientUpdateOption) (*helmkube.Result, error) {
	c.mu.Lock()
	c.calls = append(c.calls, "["+kindsOf(originals)+"] -> ["+kindsOf(targets)+"]")
	c.mu.Unlock()
	if len(targets) == 1 && kindsOf(targets) == c.fail {
		return &helmkube.Result{}, fmt.Errorf("update %s: denied", c.fail)
	}
	res := &helmkube.Result{Deleted: originals.Difference(targets)}
	for _, t := range targets {
		if originals.Contains(t) {
			res.Updated = append(res.Updated, t)
		} else {
			res.Created = append(res.Created, t)
		}
	}
	return res, nil
}

// TestUpdateOneObjectAtATimeInStages: each target is updated by Helm's
// Update with its own original (none for a new one), the stages in
// order, and what the targets no longer have is deleted last.
func TestUpdateOneObjectAtATimeInStages(t *testing.T) {
	originals := objects("ServiceAccount/a", "ConfigMap/old", "Deployment/x")
	targets := objects("ServiceAccount/a", "Secret/s", "Deployment/x")
	rec := &updatingClient{}
	res, err := kubeClient{Interface: rec}.Update(originals, targets)
	if err != nil {
		t.Fatal(err)
	}
	first := rec.calls[:2]
	slices.Sort(first)
	want := []string{"[ServiceAccount/a] -> [ServiceAccount/a]", "[] -> [Secret/s]", "[Deployment/x] -> [Deployment/x]", "[ConfigMap/old] -> []"}
	if !slices.Equal(first, slices.Sorted(slices.Values(want[:2]))) || !slices.Equal(rec.calls[2:], want[2:]) {
		t.Errorf("calls:\n%s\nwant (the first two in any order):\n%s", strings.Join(rec.calls, "\n"), strings.Join(want, "\n"))
	}
	if kindsOf(res.Created) != "Secret/s" || len(res.Updated) != 2 || kindsOf(res.Deleted) != "ConfigMap/old" {
		t.Errorf("result: created %q, updated %q, deleted %q", kindsOf(res.Created), kindsOf(res.Updated), kindsOf(res.Deleted))
	}

	rec = &updatingClient{fail: "Secret/s"}
	_, err = kubeClient{Interface: rec}.Update(originals, targets)
	if err == nil || err.Error() != "update Secret/s: denied" {
		t.Errorf("error %v, want Helm's for the Secret", err)
	}
	if len(rec.calls) != 2 {
		t.Errorf("calls after a failed stage:\n%s\nwant none after the first stage", strings.Join(rec.calls, "\n"))
	}
}

// gatedClient is Helm's kube client as far as Create and Update go: it
// records every call's start and end, in order; a call for CRDs waits
// until gate is closed (a minute at most, so a test fails, not hangs),
// then fails if failCRDs. applied is closed when a Deployment's call has
// returned.
type gatedClient struct {
	helmkube.Interface
	gate     chan struct{}
	failCRDs bool
	applied  chan struct{}
	once     sync.Once
	mu       sync.Mutex
	events   []string
}

func newGated() *gatedClient {
	return &gatedClient{gate: make(chan struct{}), applied: make(chan struct{})}
}

func (c *gatedClient) record(ev string) {
	c.mu.Lock()
	c.events = append(c.events, ev)
	c.mu.Unlock()
}

func (c *gatedClient) log() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}

func (c *gatedClient) apply(l helmkube.ResourceList) error {
	c.record("start " + kindsOf(l))
	if isCRDs(l) {
		select {
		case <-c.gate:
		case <-time.After(time.Minute):
		}
	}
	c.record("end " + kindsOf(l))
	if kindOf(l[0]) == "Deployment" {
		c.once.Do(func() { close(c.applied) })
	}
	if isCRDs(l) && c.failCRDs {
		return errors.New("apply CRD: denied")
	}
	return nil
}

func (c *gatedClient) Create(l helmkube.ResourceList, _ ...helmkube.ClientCreateOption) (*helmkube.Result, error) {
	if err := c.apply(l); err != nil {
		return nil, err
	}
	return &helmkube.Result{Created: l}, nil
}

func (c *gatedClient) Update(originals, targets helmkube.ResourceList, _ ...helmkube.ClientUpdateOption) (*helmkube.Result, error) {
	res := &helmkube.Result{}
	for _, t := range targets {
		if originals.Contains(t) {
			res.Updated = append(res.Updated, t)
		} else {
			res.Created = append(res.Created, t)
		}
	}
	return res, c.apply(targets)
}

// applyOps are kubeClient's two ways of applying a chart's objects, on
// a fresh install and on an adopting one, each with the objects of
// gatedList (Update: the CRDs and the Secret already belong to it).
var applyOps = []struct {
	name string
	run  func(kubeClient, helmkube.ResourceList) (*helmkube.Result, error)
}{
	{"create", func(c kubeClient, l helmkube.ResourceList) (*helmkube.Result, error) { return c.Create(l) }},
	{"update", func(c kubeClient, l helmkube.ResourceList) (*helmkube.Result, error) {
		return c.Update(objects("CustomResourceDefinition/apps", "CustomResourceDefinition/sets", "Secret/s"), l)
	}},
}

func gatedList() helmkube.ResourceList {
	return objects("CustomResourceDefinition/apps", "CustomResourceDefinition/sets", "ServiceAccount/a", "Secret/s",
		"RoleBinding/rb", "Deployment/server", "StatefulSet/controller", "Widget/w")
}

// TestApplyDoesNotWaitForCRDsButCustomResourcesDo: the workloads are
// applied while a CRD is still being applied (a big CRD took 1.5 s of
// Argo CD's way to its workloads; issue 18); the custom resources only
// once every CRD is; and the result counts every object once.
func TestApplyDoesNotWaitForCRDsButCustomResourcesDo(t *testing.T) {
	for _, op := range applyOps {
		t.Run(op.name, func(t *testing.T) {
			rec := newGated()
			type outcome struct {
				res *helmkube.Result
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				res, err := op.run(kubeClient{Interface: rec}, gatedList())
				done <- outcome{res, err}
			}()
			select {
			case <-rec.applied:
			case <-time.After(time.Minute):
				close(rec.gate)
				t.Fatalf("the Deployment was not applied while the CRDs were:\n%s", strings.Join(rec.log(), "\n"))
			}
			if slices.ContainsFunc(rec.log(), func(e string) bool { return strings.Contains(e, "Widget") }) {
				t.Errorf("a custom resource was applied before its CRDs:\n%s", strings.Join(rec.log(), "\n"))
			}
			close(rec.gate)
			out := <-done
			if out.err != nil {
				t.Fatal(out.err)
			}
			events := rec.log()
			lastCRD := slices.IndexFunc(events, func(e string) bool {
				return strings.HasPrefix(e, "end ") && strings.Contains(e, "CustomResourceDefinition/sets")
			})
			widget := slices.Index(events, "start Widget/w")
			if lastCRD < 0 || widget < lastCRD {
				t.Errorf("the custom resource before the CRDs' end:\n%s", strings.Join(events, "\n"))
			}
			all := append(slices.Clone(out.res.Created), out.res.Updated...)
			if got, want := slices.Sorted(slices.Values(strings.Fields(kindsOf(all)))), slices.Sorted(slices.Values(strings.Fields(kindsOf(gatedList())))); !slices.Equal(got, want) {
				t.Errorf("result created+updated %v, want every object once: %v", got, want)
			}
			if op.name == "update" && (len(out.res.Updated) != 3 || len(out.res.Deleted) != 0) {
				t.Errorf("update result: updated %q, deleted %q; want the CRDs and the Secret updated, nothing deleted",
					kindsOf(out.res.Updated), kindsOf(out.res.Deleted))
			}
		})
	}
}

// TestApplyStopsAtAFailedCRD: a CRD that cannot be applied fails the
// Create or Update with Helm's error, and no custom resource is applied.
func TestApplyStopsAtAFailedCRD(t *testing.T) {
	for _, op := range applyOps {
		t.Run(op.name, func(t *testing.T) {
			rec := newGated()
			rec.failCRDs = true
			close(rec.gate)
			_, err := op.run(kubeClient{Interface: rec}, gatedList())
			if err == nil || !strings.Contains(err.Error(), "apply CRD: denied") {
				t.Errorf("error %v, want the CRD's", err)
			}
			if slices.ContainsFunc(rec.log(), func(e string) bool { return strings.Contains(e, "Widget") }) {
				t.Errorf("a custom resource was applied after its CRD failed:\n%s", strings.Join(rec.log(), "\n"))
			}
		})
	}
}
