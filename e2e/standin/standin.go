package standin

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Interval is how often the stand-ins reconcile every object: short, so
// that a second commit shows in the cluster within a test's bounded wait.
const Interval = 500 * time.Millisecond

// Controllers are the running stand-ins; Stop ends them.
type Controllers struct {
	cancel context.CancelFunc
	done   sync.WaitGroup
	co     *checkouts
}

// controller is what each stand-in reconciles with.
type controller struct {
	dyn    dynamic.Interface
	client kubernetes.Interface // Secrets: the agents' repository logins
	mapper meta.ResettableRESTMapper
	co     *checkouts
	log    io.Writer
	now    func() time.Time
}

// Start runs the Argo CD and Flux stand-ins against the cluster of cfg
// until Stop; they log what they do to log.
func Start(cfg *rest.Config, log io.Writer) (*Controllers, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	co, err := newCheckouts()
	if err != nil {
		return nil, err
	}
	c := &controller{dyn: dyn, client: client, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(client.Discovery())), co: co, log: log, now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	cs := &Controllers{cancel: cancel, co: co}
	for _, loop := range []func(context.Context){c.argocd, c.flux} {
		cs.done.Go(func() {
			tick := time.NewTicker(Interval)
			defer tick.Stop()
			for {
				loop(ctx)
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		})
	}
	return cs, nil
}

// Stop ends the stand-ins and waits for them.
func (cs *Controllers) Stop() {
	cs.cancel()
	cs.done.Wait()
	cs.co.close()
}

var getOpts = metav1.GetOptions{}

// list returns every object of gvr in the cluster; none if the kind is
// not served (its CRD not installed yet).
func (c *controller) list(ctx context.Context, gvr schema.GroupVersionResource) []unstructured.Unstructured {
	l, err := c.dyn.Resource(gvr).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	return l.Items
}

// setStatus writes status to u (through the status subresource if sub)
// when it differs from what u has.
func (c *controller) setStatus(ctx context.Context, gvr schema.GroupVersionResource, u *unstructured.Unstructured, status map[string]any, sub bool) {
	if reflect.DeepEqual(withoutTimes(u.Object["status"]), withoutTimes(status)) {
		return
	}
	patch, err := (&unstructured.Unstructured{Object: map[string]any{"status": status}}).MarshalJSON()
	if err != nil {
		return
	}
	var subs []string
	if sub {
		subs = []string{"status"}
	}
	// A merge patch replaces lists (conditions) whole, as the controllers'
	// status writes do.
	if _, err := c.dyn.Resource(gvr).Namespace(u.GetNamespace()).Patch(ctx, u.GetName(), types.MergePatchType, patch, metav1.PatchOptions{}, subs...); err != nil && ctx.Err() == nil {
		fmt.Fprintf(c.log, "standin: status of %s %s/%s: %v\n", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
}

// withoutTimes drops the timestamps, which change on every write, and the
// nulls (a merge patch's deletions) for comparing statuses.
func withoutTimes(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			if x != nil && k != "lastTransitionTime" && k != "lastUpdateTime" {
				out[k] = withoutTimes(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = withoutTimes(x)
		}
		return out
	case []map[string]any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = withoutTimes(x)
		}
		return out
	case int:
		return int64(t)
	}
	return v
}

// keepTime keeps a condition's lastTransitionTime when its status did not
// change, as the controllers do.
func keepTime(old any, typ, status string, now time.Time) string {
	conds, _ := old.([]any)
	for _, x := range conds {
		m, _ := x.(map[string]any)
		if m["type"] == typ && (m["status"] == status || status == "") {
			if t, ok := m["lastTransitionTime"].(string); ok {
				return t
			}
		}
	}
	return now.UTC().Format(time.RFC3339)
}
