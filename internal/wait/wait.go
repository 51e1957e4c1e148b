package wait

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"github.com/slipway-dev/slipway/internal/kube"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Target is one release's resources.
type Target struct {
	Component string
	Objects   []kube.Ref
}

// State of one resource.
type State string

const (
	Ready       State = "ready"
	Progressing State = "progressing"
	Failed      State = "failed"
)

// ResourceStatus is one resource's readiness now.
type ResourceStatus struct {
	Object  kube.Ref
	State   State
	Message string
	// terminal: the object's own controller says it will not retry
	// (a Flux object Stalled), so no grace period applies.
	terminal bool
}

// Event is a progress report for one target.
type Event struct {
	Component    string
	Ready, Total int
	Pending      []ResourceStatus // not ready, sorted
	Done         bool
}

// Waiter checks readiness against one cluster.
type Waiter struct {
	Dynamic dynamic.Interface
	Client  kubernetes.Interface
	Mapper  meta.ResettableRESTMapper
	// Interval between re-evaluations of the watched objects when no
	// event came (default 1s; see Wait).
	Interval time.Duration
	// FailGrace is how long a crash or pull back-off may last before the
	// wait gives up early (default 45s: a first pull or start may retry).
	FailGrace time.Duration
	Now       func() time.Time

	// statusSub remembers, per served custom resource, whether its CRD
	// declares a status subresource (schema.GroupVersionResource →
	// *statusSubLookup; see statussub.go).
	statusSub sync.Map

	podsMu   sync.Mutex
	podLists map[string]*podList // by namespace; see namespacePods

	watches watches // the informers running waits read; see watch.go
}

// New builds a Waiter from a REST config.
func New(cfg *rest.Config) (*Waiter, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(client.Discovery()))
	return &Waiter{Dynamic: dyn, Client: client, Mapper: mapper}, nil
}

// Discover reads the API's discovery documents into the mapper's cache,
// so that a command can have it read while it does other first reads.
// An error is left for the first real mapping to report.
func (w *Waiter) Discover() {
	_, _ = w.Mapper.RESTMapping(schema.GroupKind{Kind: "Pod"}, "v1")
}

func (w *Waiter) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// Wait returns when every object of every target is ready, the context
// ends (*TimeoutError), or something fails outright (*FailedError).
// progress, if set, is called when a target's readiness changes.
func (w *Waiter) Wait(ctx context.Context, targets []Target, progress func(Event)) error {
	// Readiness is re-decided when a watch reports a change. The slow
	// tick re-decides from the caches too, without a request: a failing
	// pod's grace period ends with no event, and a kind not served yet
	// (its CRD just installed) shows up only in discovery.
	interval := w.Interval
	if interval == 0 {
		interval = time.Second
	}
	grace := w.FailGrace
	if grace == 0 {
		grace = 45 * time.Second
	}
	start := w.now()
	last := map[string]string{}
	failingSince := map[kube.Ref]time.Time{}
	// Objects seen ready are not looked at again: this wait follows an
	// install or upgrade, and kstatus calls an object Current only once its
	// controller has observed the latest spec and rolled it out.
	seenReady := map[kube.Ref]ResourceStatus{}
	sub := w.subscribe()
	defer sub.release()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		allReady := true
		var failed []Diagnosis
		for _, t := range targets {
			sts := w.checkCached(ctx, sub, t, seenReady)
			ev := Event{Component: t.Component, Total: len(sts)}
			for _, s := range sts {
				if s.State == Ready {
					ev.Ready++
					continue
				}
				ev.Pending = append(ev.Pending, s)
			}
			ev.Done = ev.Ready == ev.Total
			allReady = allReady && ev.Done
			if key := fmt.Sprint(ev.Ready, ev.Pending); progress != nil && key != last[t.Component] {
				last[t.Component] = key
				progress(ev)
			}
			var failing []ResourceStatus
			for _, s := range ev.Pending {
				if s.State != Failed {
					delete(failingSince, s.Object)
					continue
				}
				if _, ok := failingSince[s.Object]; !ok {
					failingSince[s.Object] = w.now()
				}
				if s.terminal || w.now().Sub(failingSince[s.Object]) >= grace {
					failing = append(failing, s)
				}
			}
			if len(failing) > 0 {
				failed = append(failed, w.diagnose(context.WithoutCancel(ctx), t, ev))
			}
		}
		if allReady && ctx.Err() == nil {
			return nil
		}
		if len(failed) > 0 {
			return &FailedError{Diagnoses: failed}
		}
		select {
		case <-ctx.Done():
			return w.timeout(ctx, targets, w.now().Sub(start))
		case <-sub.notify:
		case <-tick.C:
		}
	}
}

// timeout builds the diagnosis after the context ended; it runs on a fresh
// short context since ctx is already done.
func (w *Waiter) timeout(ctx context.Context, targets []Target, after time.Duration) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	te := &TimeoutError{After: after}
	for _, t := range targets {
		sts, err := w.Check(dctx, t)
		if err != nil {
			te.Diagnoses = append(te.Diagnoses, Diagnosis{Component: t.Component, Total: len(t.Objects), Hints: []string{"the cluster did not answer: " + err.Error()}})
			continue
		}
		ev := Event{Component: t.Component, Total: len(sts)}
		for _, s := range sts {
			if s.State != Ready {
				ev.Pending = append(ev.Pending, s)
			}
		}
		if len(ev.Pending) > 0 {
			te.Diagnoses = append(te.Diagnoses, w.diagnose(dctx, t, ev))
		}
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	return te
}

// Check returns the readiness of every object of t, sorted. The objects
// are read at the same time, a few requests in flight, and a kind with
// several objects in one namespace by a single list (see readAll): on a
// cluster 100 ms away, one GET after the other made `status` take 9.5 s
// (issue 18).
func (w *Waiter) Check(ctx context.Context, t Target) ([]ResourceStatus, error) {
	out, err := w.verdicts(ctx, t.Objects)
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Object.String() < out[j].Object.String() })
	return out, nil
}

// verdicts reads objs (readAll) and decides each one's readiness, in the
// order given.
func (w *Waiter) verdicts(ctx context.Context, objs []kube.Ref) ([]ResourceStatus, error) {
	read, err := w.readAll(ctx, objs)
	if err != nil {
		return nil, err
	}
	out := make([]ResourceStatus, len(objs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, checkConcurrency)
	for i, r := range read {
		if r.noMatch {
			out[i] = ResourceStatus{Object: objs[i], State: Progressing, Message: "kind not known to the API server yet"}
			continue
		}
		// A verdict may read more (a failing workload's pods, a CRD).
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = w.verdict(ctx, objs[i], r.obj, r.gvr, r.u, w.namespacePods)
		})
	}
	wg.Wait()
	return out, nil
}

// checkConcurrency bounds the readiness requests one target has in flight.
// Argo CD's chart alone needs about 20 reads (a list per namespaced kind,
// a GET per cluster-scoped object and Secret): at 8 in flight that was
// three round trips where one does (issue 18). The client's QPS and burst
// (package kube) are well above it.
const checkConcurrency = 32

func (w *Waiter) resource(o kube.Ref) (dynamic.ResourceInterface, *kube.Ref, error) {
	ri, obj, _, err := w.mapping(o)
	return ri, obj, err
}

// mapping is resource that also returns the object's REST resource.
func (w *Waiter) mapping(o kube.Ref) (dynamic.ResourceInterface, *kube.Ref, schema.GroupVersionResource, error) {
	gk := schema.GroupKind{Group: o.Group, Kind: o.Kind}
	m, err := w.Mapper.RESTMapping(gk, o.Version)
	if meta.IsNoMatchError(err) {
		// A chart may have just installed this kind's CRD.
		w.Mapper.Reset()
		m, err = w.Mapper.RESTMapping(gk, o.Version)
	}
	if err != nil {
		return nil, nil, schema.GroupVersionResource{}, err
	}
	obj := o
	if m.Scope.Name() == meta.RESTScopeNameRoot {
		obj.Namespace = ""
		return w.Dynamic.Resource(m.Resource), &obj, m.Resource, nil
	}
	return w.Dynamic.Resource(m.Resource).Namespace(o.Namespace), &obj, m.Resource, nil
}

// verdict is the readiness of o as read (u; nil when it does not exist).
// obj is o with the namespace its scope gives it.
// pods gives a namespace's pods, to look for a failing one.
func (w *Waiter) verdict(ctx context.Context, o, obj kube.Ref, gvr schema.GroupVersionResource, u *unstructured.Unstructured, pods podSource) ResourceStatus {
	if u == nil {
		return ResourceStatus{Object: obj, State: Progressing, Message: "not created yet"}
	}
	if v, ok := customVerdict(u, func() bool { return w.hasStatusSubresource(ctx, gvr) }); ok {
		return ResourceStatus{Object: obj, State: v.state, Message: v.message, terminal: v.terminal}
	}
	res, err := status.Compute(u)
	if err != nil {
		return ResourceStatus{Object: obj, State: Progressing, Message: err.Error()}
	}
	st := ResourceStatus{Object: obj, Message: res.Message}
	switch res.Status {
	case status.CurrentStatus:
		st.State, st.Message = Ready, ""
	case status.FailedStatus:
		st.State = Failed
	default:
		st.State = Progressing
	}
	if st.State != Ready && isWorkload(o.Kind) {
		if reason := podTrouble(ctx, u, pods); reason != "" {
			st.State, st.Message = Failed, reason
		}
	}
	return st
}

func isWorkload(kind string) bool {
	switch kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
		return true
	}
	return false
}

// badWaiting are container states that do not fix themselves quickly.
var badWaiting = map[string]bool{
	"CrashLoopBackOff": true, "ImagePullBackOff": true, "ErrImagePull": true,
	"CreateContainerConfigError": true, "InvalidImageName": true, "CreateContainerError": true,
}

// podTrouble returns a failing pod's reason, "" if none is failing.
func podTrouble(ctx context.Context, u *unstructured.Unstructured, pods podSource) string {
	for _, p := range podsOfWorkload(ctx, u, pods) {
		for _, cs := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			if cs.State.Waiting != nil && badWaiting[cs.State.Waiting.Reason] {
				return fmt.Sprintf("pod %s: container %s: %s", p.Name, cs.Name, cs.State.Waiting.Reason)
			}
		}
	}
	return ""
}

// pods lists the pods selected by a workload's selector now (for a
// diagnosis; the wait itself uses podsOfWorkload).
func (w *Waiter) pods(ctx context.Context, u *unstructured.Unstructured) []corev1.Pod {
	sel := workloadSelector(u)
	if sel == nil {
		return nil
	}
	list, err := w.Client.CoreV1().Pods(u.GetNamespace()).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	return list.Items
}
