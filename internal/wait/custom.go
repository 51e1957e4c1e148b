package wait

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Readiness of custom resources.
//
// kstatus calls a custom resource without status Current: it cannot tell
// "no controller writes a status here" from "the controller has not acted
// yet". For the GitOps objects slipway installs that made `up` report
// ready before anything was synced (issue 15). So:
//
//   - Argo CD Applications and Flux objects are ready only by their own
//     status, read the way `argocd app wait` and `flux get` read it;
//   - any other custom resource whose CRD declares a status subresource
//     (a controller is expected to write it) is "not yet observed" until
//     it has a status, and not ready while its Ready condition or
//     status.observedGeneration is for an older generation;
//   - the rest (Traefik's Middleware has no status at all) stays with
//     kstatus.

// notObserved is the message of a custom resource no controller has
// written a status to yet.
const notObserved = "not yet observed by its controller"

// verdict is a readiness decision taken before kstatus is asked.
type verdict struct {
	state    State
	message  string
	terminal bool // the agent will not retry: fail without a grace period
}

// fluxGroups are the API groups of the Flux objects slipway installs.
var fluxGroups = map[string]bool{
	"source.toolkit.fluxcd.io":    true,
	"kustomize.toolkit.fluxcd.io": true,
	"fluxcd.controlplane.io":      true,
}

func isArgoApplication(u *unstructured.Unstructured) bool {
	return u.GroupVersionKind().Group == "argoproj.io" && u.GetKind() == "Application"
}

func isFlux(u *unstructured.Unstructured) bool {
	return fluxGroups[u.GroupVersionKind().Group]
}

// customVerdict decides the readiness of u if it is a custom resource
// slipway knows better than kstatus; ok is false to leave it to kstatus.
// statusSubresource says whether u's CRD declares one; it is asked only
// for kinds slipway has no rule of its own for (it may read the CRD).
func customVerdict(u *unstructured.Unstructured, statusSubresource func() bool) (v verdict, ok bool) {
	switch {
	case isArgoApplication(u):
		return argoVerdict(u), true
	case isFlux(u):
		return fluxVerdict(u), true
	case statusSubresource():
		return observedVerdict(u)
	}
	return verdict{}, false
}

// condition is one entry of status.conditions.
type condition struct {
	Type, Status, Reason, Message string
	ObservedGeneration            int64
	hasGeneration                 bool
}

func conditions(u *unstructured.Unstructured) []condition {
	list, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	var out []condition
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		c := condition{}
		c.Type, _, _ = unstructured.NestedString(m, "type")
		c.Status, _, _ = unstructured.NestedString(m, "status")
		c.Reason, _, _ = unstructured.NestedString(m, "reason")
		c.Message, _, _ = unstructured.NestedString(m, "message")
		c.ObservedGeneration, c.hasGeneration, _ = unstructured.NestedInt64(m, "observedGeneration")
		out = append(out, c)
	}
	return out
}

func findCondition(cs []condition, typ string) (condition, bool) {
	for _, c := range cs {
		if c.Type == typ {
			return c, true
		}
	}
	return condition{}, false
}

// staleGeneration says why u's status describes an older spec, or "".
func staleGeneration(u *unstructured.Unstructured, ready condition, hasReady bool) string {
	gen := u.GetGeneration()
	if hasReady && ready.hasGeneration && ready.ObservedGeneration < gen {
		return fmt.Sprintf("Ready condition is for generation %d, the object is at %d", ready.ObservedGeneration, gen)
	}
	if og, found, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration"); found && og < gen {
		return fmt.Sprintf("status is for generation %d, the object is at %d", og, gen)
	}
	return ""
}

func hasStatus(u *unstructured.Unstructured) bool {
	s, ok := u.Object["status"].(map[string]any)
	return ok && len(s) > 0
}

// observedVerdict is the generic rule for a custom resource a controller
// writes a status to.
func observedVerdict(u *unstructured.Unstructured) (verdict, bool) {
	if !hasStatus(u) {
		return verdict{state: Progressing, message: notObserved}, true
	}
	ready, hasReady := findCondition(conditions(u), "Ready")
	if why := staleGeneration(u, ready, hasReady); why != "" {
		return verdict{state: Progressing, message: why}, true
	}
	return verdict{}, false
}

// fluxVerdict reads a Flux object the way `flux get` does: Ready=True for
// the current generation is ready; Stalled=True is the controller saying
// it will not retry until the spec changes.
func fluxVerdict(u *unstructured.Unstructured) verdict {
	cs := conditions(u)
	ready, hasReady := findCondition(cs, "Ready")
	if !hasStatus(u) || !hasReady {
		return verdict{state: Progressing, message: notObserved}
	}
	if why := staleGeneration(u, ready, true); why != "" {
		return verdict{state: Progressing, message: why}
	}
	if ready.Status == "True" {
		return verdict{state: Ready}
	}
	if stalled, ok := findCondition(cs, "Stalled"); ok && stalled.Status == "True" && ready.Status == "False" {
		return verdict{state: Failed, message: quote(ready), terminal: true}
	}
	return verdict{state: Progressing, message: quote(ready)}
}

// quote renders a condition as "Reason: message" (or what it has).
func quote(c condition) string {
	switch {
	case c.Reason != "" && c.Message != "":
		return c.Reason + ": " + c.Message
	case c.Message != "":
		return c.Message
	case c.Reason != "":
		return c.Reason
	}
	return c.Type + "=" + c.Status
}

// A ComparisonError (a repository that does not answer, a path or
// revision that does not exist) is retried by the controller at every
// reconcile and is mended by a push, so it keeps the Application
// progressing: up waits for it until --timeout (exit 124), quoting it. An
// InvalidSpecError needs the Application itself changed: it fails at once.

// argoVerdict reads an Argo CD Application the way `argocd app wait
// --sync --health` does: Synced and Healthy, compared against the spec
// the Application has now.
func argoVerdict(u *unstructured.Unstructured) verdict {
	if !hasStatus(u) {
		return verdict{state: Progressing, message: notObserved}
	}
	syncStatus, _, _ := unstructured.NestedString(u.Object, "status", "sync", "status")
	health, _, _ := unstructured.NestedString(u.Object, "status", "health", "status")
	if syncStatus == "Synced" && health == "Healthy" {
		if why := argoCompared(u); why != "" {
			return verdict{state: Progressing, message: why}
		}
		return verdict{state: Ready}
	}
	summary := fmt.Sprintf("sync %s, health %s", orUnknown(syncStatus), orUnknown(health))
	var why []string
	state, terminal := Progressing, false
	for _, c := range conditions(u) {
		if c.Type == "InvalidSpecError" {
			state, terminal = Failed, true
		}
		if c.Message != "" {
			why = append(why, c.Type+": "+c.Message)
		}
	}
	if m, _, _ := unstructured.NestedString(u.Object, "status", "health", "message"); m != "" {
		why = append(why, "health: "+m)
	}
	phase, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "phase")
	if m, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "message"); m != "" && phase != "Succeeded" {
		why = append(why, "sync "+phase+": "+m)
	}
	if (phase == "Failed" || phase == "Error") && argoRetriesExhausted(u) {
		state, terminal = Failed, true
	}
	if len(why) > 0 {
		summary += ": " + strings.Join(why, "; ")
	}
	return verdict{state: state, message: summary, terminal: terminal}
}

// argoCompared says why a Synced status is for another source than the
// spec's (an upgrade changed the path or revision), or "".
func argoCompared(u *unstructured.Unstructured) string {
	for _, f := range []string{"repoURL", "path", "targetRevision"} {
		want, _, _ := unstructured.NestedString(u.Object, "spec", "source", f)
		got, found, _ := unstructured.NestedString(u.Object, "status", "sync", "comparedTo", "source", f)
		if found && got != want {
			return fmt.Sprintf("synced %s %q, the spec now says %q", f, got, want)
		}
	}
	return ""
}

// argoRetriesExhausted: the controller retries a failed sync only
// spec.syncPolicy.retry.limit times (none without a retry policy; a
// negative limit retries forever).
func argoRetriesExhausted(u *unstructured.Unstructured) bool {
	limit, found, _ := unstructured.NestedInt64(u.Object, "spec", "syncPolicy", "retry", "limit")
	if found && limit < 0 {
		return false
	}
	count, _, _ := unstructured.NestedInt64(u.Object, "status", "operationState", "retryCount")
	return count >= limit
}

func orUnknown(s string) string {
	if s == "" {
		return "Unknown"
	}
	return s
}

// agentFindings are the conditions of a not-ready custom resource that say
// why, in the agent's own words, for the diagnosis.
func agentFindings(u *unstructured.Unstructured) []Finding {
	var out []Finding
	for _, c := range conditions(u) {
		bad := c.Status == "False" && (c.Type == "Ready" || c.Type == "Healthy" || c.Type == "Available") ||
			c.Status == "True" && c.Type == "Stalled" ||
			isArgoApplication(u) && c.Message != ""
		if !bad || c.Message == "" {
			continue
		}
		reason := c.Type
		if c.Reason != "" {
			reason += " " + c.Reason
		}
		out = append(out, Finding{Reason: reason, Message: c.Message})
	}
	if isArgoApplication(u) {
		if m, _, _ := unstructured.NestedString(u.Object, "status", "health", "message"); m != "" {
			out = append(out, Finding{Reason: "Health", Message: m})
		}
		phase, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "phase")
		if m, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "message"); m != "" && phase != "Succeeded" {
			out = append(out, Finding{Reason: "Sync " + phase, Message: m})
		}
	}
	return out
}
