package wait

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/slipway-dev/slipway/internal/kube"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// diagnose explains why the pending resources of ev are not ready.
func (w *Waiter) diagnose(ctx context.Context, t Target, ev Event) Diagnosis {
	d := Diagnosis{Component: t.Component, Total: ev.Total, NotReady: ev.Pending}
	hints := map[string]bool{}
	addHint := func(h string) {
		if !hints[h] {
			hints[h] = true
			d.Hints = append(d.Hints, h)
		}
	}
	for _, s := range ev.Pending {
		o := s.Object
		switch {
		case isWorkload(o.Kind):
			ri, _, err := w.resource(o)
			if err != nil {
				continue
			}
			u, err := ri.Get(ctx, o.Name, metav1.GetOptions{})
			if err != nil {
				continue
			}
			pods := w.pods(ctx, u)
			if len(pods) == 0 {
				d.Findings = append(d.Findings, Finding{Object: o, Reason: "NoPods", Message: "no pods created yet"})
				d.Findings = append(d.Findings, w.events(ctx, o)...)
				addHint(fmt.Sprintf("kubectl -n %s describe %s %s", o.Namespace, strings.ToLower(o.Kind), o.Name))
			}
			for _, p := range pods {
				fs := podFindings(p)
				if len(fs) == 0 {
					continue
				}
				d.Findings = append(d.Findings, fs...)
				d.Findings = append(d.Findings, w.events(ctx, kube.Ref{Version: "v1", Kind: "Pod", Namespace: p.Namespace, Name: p.Name})...)
				addHint(fmt.Sprintf("kubectl -n %s describe pod %s", p.Namespace, p.Name))
				for _, v := range p.Spec.Volumes {
					if v.PersistentVolumeClaim != nil {
						if f, ok := w.claimPending(ctx, p.Namespace, v.PersistentVolumeClaim.ClaimName); ok {
							d.Findings = append(d.Findings, f)
						}
					}
				}
			}
		case o.Kind == "PersistentVolumeClaim":
			d.Findings = append(d.Findings, w.events(ctx, o)...)
			addHint(fmt.Sprintf("kubectl -n %s describe pvc %s", o.Namespace, o.Name))
		default:
			d.Findings = append(d.Findings, w.customFindings(ctx, o)...)
			d.Findings = append(d.Findings, w.events(ctx, o)...)
			if o.Namespace != "" {
				addHint(fmt.Sprintf("kubectl -n %s describe %s %s", o.Namespace, strings.ToLower(o.Kind), o.Name))
			} else {
				addHint(fmt.Sprintf("kubectl describe %s %s", strings.ToLower(o.Kind), o.Name))
			}
		}
	}
	return d
}

// customFindings quotes the conditions of a not-ready custom resource:
// for a GitOps object, the agent's own account of what it could not do.
func (w *Waiter) customFindings(ctx context.Context, o kube.Ref) []Finding {
	if !strings.Contains(o.Group, ".") {
		return nil
	}
	ri, _, err := w.resource(o)
	if err != nil {
		return nil
	}
	u, err := ri.Get(ctx, o.Name, metav1.GetOptions{})
	if err != nil {
		return nil
	}
	fs := agentFindings(u)
	for i := range fs {
		fs[i].Object = o
	}
	return fs
}

// podFindings lists why one pod is not ready, or nothing if it is.
func podFindings(p corev1.Pod) []Finding {
	o := kube.Ref{Version: "v1", Kind: "Pod", Namespace: p.Namespace, Name: p.Name}
	var out []Finding
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			out = append(out, Finding{Object: o, Reason: "Pending: " + c.Reason, Message: c.Message})
		}
	}
	for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		switch {
		case cs.State.Waiting != nil && cs.State.Waiting.Reason != "":
			out = append(out, Finding{Object: o, Reason: cs.State.Waiting.Reason, Message: fmt.Sprintf("container %s: %s", cs.Name, cs.State.Waiting.Message)})
		case cs.State.Terminated != nil && cs.State.Terminated.ExitCode != 0:
			out = append(out, Finding{Object: o, Reason: cs.State.Terminated.Reason, Message: fmt.Sprintf("container %s exited %d", cs.Name, cs.State.Terminated.ExitCode)})
		case cs.State.Running != nil && !cs.Ready:
			out = append(out, Finding{Object: o, Reason: "NotReady", Message: fmt.Sprintf("container %s runs but its readiness probe does not pass", cs.Name)})
		}
	}
	if len(out) == 0 && p.Status.Phase == corev1.PodPending && p.Spec.NodeName == "" {
		out = append(out, Finding{Object: o, Reason: "Pending", Message: "not scheduled yet"})
	}
	if len(out) == 0 {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status != corev1.ConditionTrue {
				out = append(out, Finding{Object: o, Reason: "NotReady", Message: strings.TrimSpace(c.Reason + " " + c.Message)})
			}
		}
	}
	return out
}

func (w *Waiter) claimPending(ctx context.Context, ns, name string) (Finding, bool) {
	pvc, err := w.Client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil || pvc.Status.Phase == corev1.ClaimBound {
		return Finding{}, false
	}
	sc := "the default StorageClass"
	if pvc.Spec.StorageClassName != nil {
		sc = "StorageClass " + *pvc.Spec.StorageClassName
	}
	return Finding{Object: kube.Ref{Version: "v1", Kind: "PersistentVolumeClaim", Namespace: ns, Name: name}, Reason: "ClaimPending",
		Message: fmt.Sprintf("%s; is there a provisioner for %s?", pvc.Status.Phase, sc)}, true
}

// events returns the last three Warning events about o, oldest first.
func (w *Waiter) events(ctx context.Context, o kube.Ref) []Finding {
	if o.Namespace == "" {
		return nil
	}
	sel := fields.Set{"involvedObject.name": o.Name, "involvedObject.kind": o.Kind, "type": corev1.EventTypeWarning}.AsSelector().String()
	list, err := w.Client.CoreV1().Events(o.Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		return nil
	}
	evs := list.Items
	sort.Slice(evs, func(i, j int) bool { return lastSeen(evs[i]).Time.Before(lastSeen(evs[j]).Time) })
	if len(evs) > 3 {
		evs = evs[len(evs)-3:]
	}
	var out []Finding
	for _, e := range evs {
		msg := strings.TrimSpace(e.Message)
		if e.Count > 1 {
			msg = fmt.Sprintf("(%dx) %s", e.Count, msg)
		}
		out = append(out, Finding{Object: o, Reason: "Warning " + e.Reason, Message: msg})
	}
	return out
}

func lastSeen(e corev1.Event) metav1.Time {
	if !e.LastTimestamp.IsZero() {
		return e.LastTimestamp
	}
	if e.EventTime.Time.IsZero() {
		return e.CreationTimestamp
	}
	return metav1.Time{Time: e.EventTime.Time}
}
