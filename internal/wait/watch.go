package wait

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/slipway-dev/slipway/internal/kube"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kwait "k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// Watches feed the wait (issue 18). Polling every pending object with a
// GET four times a second made a cold up's readiness wait most of its API
// requests, and saw readiness up to 250 ms late. Instead each kind and
// namespace being waited on has one informer (a reflector: a list, then a
// watch resumed from the last resourceVersion when it drops, a new list
// on 410 Gone, retries with backoff while the API server is away), shared
// by every Wait running on the Waiter at the time and stopped when the
// last of them ends. A wait decides readiness from the informers' caches,
// again whenever one of them reports a change.
//
// Two kinds of objects are watched by name instead of by namespace, as
// readAll reads them by GET: Secrets (a namespace's list carries every
// Helm release revision) and cluster-scoped objects (a cluster-wide list
// of CRDs or ClusterRoles is large).

// watchKey names one informer: a resource in a namespace ("" when
// cluster-scoped), narrowed to one object when name is set.
type watchKey struct {
	gvr       schema.GroupVersionResource
	namespace string
	name      string
}

var podsResource = schema.GroupVersionResource{Version: "v1", Resource: "pods"}

func keyFor(obj kube.Ref, gvr schema.GroupVersionResource) watchKey {
	k := watchKey{gvr: gvr, namespace: obj.Namespace}
	if obj.Namespace == "" || gvr.Group == "" && gvr.Resource == "secrets" {
		k.name = obj.Name
	}
	return k
}

// informer is one running watch (a reflector filling a store) and the
// waits subscribed to it.
type informer struct {
	store  *notifyingStore
	cancel context.CancelFunc
	done   chan struct{}
	refs   int
	subs   map[chan struct{}]bool
}

// notifyingStore is the reflector's store; every change to it wakes the
// subscribed waits, which read it themselves.
type notifyingStore struct {
	cache.Store
	wake   func()
	synced atomic.Bool // the first list is in
}

func (s *notifyingStore) Add(obj any) error {
	defer s.wake()
	return s.Store.Add(obj)
}

func (s *notifyingStore) Update(obj any) error {
	defer s.wake()
	return s.Store.Update(obj)
}

func (s *notifyingStore) Delete(obj any) error {
	defer s.wake()
	return s.Store.Delete(obj)
}

func (s *notifyingStore) Replace(list []any, rv string) error {
	defer s.wake()
	defer s.synced.Store(true)
	return s.Store.Replace(list, rv)
}

// retry is how a watch retries while the API server does not answer.
// The reflector's default backs off to 30 s (a controller's pace): after
// an outage of 10 s a wait could see readiness 10 to 20 s after the API
// server reported it. A CLI waits on a few kinds; 2 s at most is cheap.
var retry = kwait.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.2, Steps: 10, Cap: 2 * time.Second}

// watches is the Waiter's set of running informers.
type watches struct {
	mu sync.Mutex
	m  map[watchKey]*informer
	// running counts informer goroutines (for tests: none may outlive
	// the waits that started them).
	running sync.WaitGroup
}

// subscription is one Wait's hold on the informers it reads; notify
// receives (without blocking, coalesced) when any of them changes.
type subscription struct {
	w      *Waiter
	notify chan struct{}
	held   map[watchKey]*informer
}

func (w *Waiter) subscribe() *subscription {
	return &subscription{w: w, notify: make(chan struct{}, 1), held: map[watchKey]*informer{}}
}

// informer returns the running informer for k, starting it (or joining
// the one another wait started) on first use.
func (s *subscription) informer(k watchKey) *informer {
	if inf := s.held[k]; inf != nil {
		return inf
	}
	ws := &s.w.watches
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.m == nil {
		ws.m = map[watchKey]*informer{}
	}
	inf := ws.m[k]
	if inf == nil {
		inf = s.w.start(k)
		ws.m[k] = inf
	}
	inf.refs++
	inf.subs[s.notify] = true
	s.held[k] = inf
	return inf
}

// release lets go of every informer held; the last holder stops one and
// waits for its goroutine to end.
func (s *subscription) release() {
	ws := &s.w.watches
	var stop []*informer
	ws.mu.Lock()
	for k, inf := range s.held {
		delete(inf.subs, s.notify)
		if inf.refs--; inf.refs == 0 {
			delete(ws.m, k)
			stop = append(stop, inf)
		}
	}
	ws.mu.Unlock()
	s.held = nil
	for _, inf := range stop {
		inf.cancel()
		<-inf.done
	}
}

// start runs a reflector for k, list then watch, into a store that
// wakes the subscribed waits.
func (w *Waiter) start(k watchKey) *informer {
	ri := w.Dynamic.Resource(k.gvr).Namespace(k.namespace)
	narrow := func(o *metav1.ListOptions) {
		if k.name != "" {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", k.name).String()
		}
	}
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			narrow(&o)
			return ri.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			narrow(&o)
			return ri.Watch(ctx, o)
		},
	}
	inf := &informer{done: make(chan struct{}), subs: map[chan struct{}]bool{}}
	inf.store = &notifyingStore{Store: cache.NewStore(cache.DeletionHandlingMetaNamespaceKeyFunc), wake: func() {
		w.watches.mu.Lock()
		defer w.watches.mu.Unlock()
		for ch := range inf.subs {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}}
	// The reflector's retries (while the API server restarts, say) would
	// be klog lines on stderr between slipway's own: the wait reports
	// what is not ready instead.
	quiet := logr.Discard()
	backoff := retry
	r := cache.NewReflectorWithOptions(cache.ToListWatcherWithWatchListSemantics(lw, w.Dynamic), &unstructured.Unstructured{}, inf.store,
		cache.ReflectorOptions{Logger: &quiet, Name: "slipway wait " + k.gvr.String(), Backoff: &backoff})
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), quiet))
	inf.cancel = cancel
	w.watches.running.Add(1)
	go func() {
		defer w.watches.running.Done()
		defer close(inf.done)
		r.RunWithContext(ctx)
	}()
	return inf
}

// object returns the cached object k names (or obj's name in k's
// namespace); synced is false until the informer's first list is in.
func (inf *informer) object(namespace, name string, gvk schema.GroupVersionKind) (u *unstructured.Unstructured, synced bool) {
	if !inf.store.synced.Load() {
		return nil, false
	}
	key := name
	if namespace != "" {
		key = namespace + "/" + name
	}
	item, ok, err := inf.store.GetByKey(key)
	if err != nil || !ok {
		return nil, true
	}
	u = item.(*unstructured.Unstructured)
	if u.GetKind() == "" {
		// A list's items may come without kind and apiVersion;
		// kstatus decides by kind. The cache's object is shared.
		u = u.DeepCopy()
		u.SetGroupVersionKind(gvk)
	}
	return u, true
}

// pods returns the pods of ns from its watch ("" until it has listed).
func (s *subscription) pods(_ context.Context, ns string) ([]corev1.Pod, error) {
	inf := s.informer(watchKey{gvr: podsResource, namespace: ns})
	if !inf.store.synced.Load() {
		return nil, nil
	}
	var out []corev1.Pod
	for _, item := range inf.store.List() {
		var p corev1.Pod
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(item.(*unstructured.Unstructured).Object, &p); err == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// checkCached is Check from the watches' caches, for the objects not in
// seenReady; it adds the ones now ready to it. It makes no request but
// the mapper's discovery and, once per custom kind, its CRD's.
func (w *Waiter) checkCached(ctx context.Context, sub *subscription, t Target, seenReady map[kube.Ref]ResourceStatus) []ResourceStatus {
	type mapped struct {
		obj *kube.Ref
		gvr schema.GroupVersionResource
		err error
	}
	out := make([]ResourceStatus, len(t.Objects))
	maps := make([]mapped, len(t.Objects))
	var gvrs []schema.GroupVersionResource
	for i, o := range t.Objects {
		if s, ok := seenReady[o]; ok {
			out[i] = s
			continue
		}
		m := &maps[i]
		_, m.obj, m.gvr, m.err = w.mapping(o)
		if m.err == nil {
			gvrs = append(gvrs, m.gvr)
		}
	}
	// The CRDs the verdicts ask about are read at once, not one verdict
	// after the other (statussub.go); later passes find them remembered.
	w.lookupStatusSubresources(ctx, gvrs)
	for i, o := range t.Objects {
		if _, ok := seenReady[o]; ok {
			continue
		}
		out[i] = w.cachedVerdict(ctx, sub, o, maps[i].obj, maps[i].gvr, maps[i].err)
		if out[i].State == Ready {
			seenReady[o] = out[i]
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Object.String() < out[j].Object.String() })
	return out
}

// cachedVerdict is o's verdict from its informer's cache; obj, gvr and
// err are o's mapping.
func (w *Waiter) cachedVerdict(ctx context.Context, sub *subscription, o kube.Ref, obj *kube.Ref, gvr schema.GroupVersionResource, err error) ResourceStatus {
	if meta.IsNoMatchError(err) {
		return ResourceStatus{Object: o, State: Progressing, Message: "kind not known to the API server yet"}
	}
	if err != nil {
		// The API server may be restarting: not ready yet.
		return ResourceStatus{Object: o, State: Progressing, Message: err.Error()}
	}
	u, synced := sub.informer(keyFor(*obj, gvr)).object(obj.Namespace, obj.Name, schema.GroupVersionKind{Group: o.Group, Version: gvr.Version, Kind: o.Kind})
	if !synced {
		return ResourceStatus{Object: *obj, State: Progressing, Message: "not read yet"}
	}
	return w.verdict(ctx, o, *obj, gvr, u, sub.pods)
}
