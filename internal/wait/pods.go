package wait

import (
	"context"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// podsFresh is how old a namespace's pod list may be when the wait looks
// for a failing pod. Every pending workload listed its own pods at every
// check (four times a second): 135 to 233 pod lists in Argo CD's
// namespace alone per cold up with the real charts, the largest share of
// the API requests (issue 18). A pod that fails is given FailGrace (45 s)
// anyway, so a second's delay in seeing it changes nothing.
const podsFresh = time.Second

// podList is one namespace's pods as listed at one time, shared by every
// workload of the namespace (and by every caller while it is in flight).
type podList struct {
	done chan struct{}
	at   time.Time
	pods []corev1.Pod
	err  error
}

// podSource gives the pods of a namespace: a list (namespacePods, for a
// one-time Check) or a watch's cache (subscription.pods, for a Wait).
type podSource func(ctx context.Context, ns string) ([]corev1.Pod, error)

// podsOfWorkload returns the pods selected by a workload's
// spec.selector.matchLabels (a Job's by its job-name label), from a list
// of its namespace as pods gives them.
func podsOfWorkload(ctx context.Context, u *unstructured.Unstructured, pods podSource) []corev1.Pod {
	sel := workloadSelector(u)
	if sel == nil {
		return nil
	}
	all, err := pods(ctx, u.GetNamespace())
	if err != nil {
		return nil
	}
	var out []corev1.Pod
	for _, p := range all {
		if sel.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func workloadSelector(u *unstructured.Unstructured) labels.Selector {
	ml, _, _ := unstructured.NestedStringMap(u.Object, "spec", "selector", "matchLabels")
	if u.GetKind() == "Job" {
		ml = map[string]string{"batch.kubernetes.io/job-name": u.GetName()}
	}
	if len(ml) == 0 {
		return nil
	}
	return labels.SelectorFromSet(ml)
}

// namespacePods lists the pods of ns, or returns the list made less than
// podsFresh ago. No lock is held while the list is in flight: later
// callers wait for it on its done channel.
func (w *Waiter) namespacePods(ctx context.Context, ns string) ([]corev1.Pod, error) {
	w.podsMu.Lock()
	if w.podLists == nil {
		w.podLists = map[string]*podList{}
	}
	pl := w.podLists[ns]
	fresh := pl != nil && (pl.at.IsZero() || w.now().Sub(pl.at) < podsFresh)
	if !fresh {
		pl = &podList{done: make(chan struct{})}
		w.podLists[ns] = pl
	}
	w.podsMu.Unlock()
	if fresh {
		select {
		case <-pl.done:
			return pl.pods, pl.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	list, err := w.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err == nil {
		pl.pods = list.Items
	}
	pl.err = err
	w.podsMu.Lock()
	pl.at = w.now()
	if err != nil {
		delete(w.podLists, ns) // the next look tries again
	}
	w.podsMu.Unlock()
	close(pl.done)
	return pl.pods, pl.err
}
