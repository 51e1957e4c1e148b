package wait

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/kube"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
)

var (
	widgetRef = kube.Ref{Group: "example.com", Version: "v1", Kind: "Widget", Namespace: "app", Name: "w"}
	appRef    = kube.Ref{Group: "argoproj.io", Version: "v1alpha1", Kind: "Application", Namespace: "argocd", Name: "platform"}
	gitRef    = kube.Ref{Group: "source.toolkit.fluxcd.io", Version: "v1", Kind: "GitRepository", Namespace: "flux-system", Name: "platform"}
	ksRef     = kube.Ref{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Kind: "Kustomization", Namespace: "flux-system", Name: "platform"}
)

// customWaiter serves objs and the Widget CRD (with a status subresource)
// from a fake dynamic client.
func customWaiter(objs ...runtime.Object) *Waiter {
	m := meta.NewDefaultRESTMapper(nil)
	lists := map[schema.GroupVersionResource]string{
		kube.CRDs: "CustomResourceDefinitionList",
	}
	for _, r := range []struct {
		ref      kube.Ref
		resource string
	}{{widgetRef, "widgets"}, {appRef, "applications"}, {gitRef, "gitrepositories"}, {ksRef, "kustomizations"}} {
		gvk := schema.GroupVersionKind{Group: r.ref.Group, Version: r.ref.Version, Kind: r.ref.Kind}
		m.AddSpecific(gvk, gvk.GroupVersion().WithResource(r.resource), gvk.GroupVersion().WithResource(strings.ToLower(r.ref.Kind)), meta.RESTScopeNamespace)
		lists[gvk.GroupVersion().WithResource(r.resource)] = r.ref.Kind + "List"
	}
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "widgets.example.com"},
		"spec": map[string]any{"group": "example.com", "versions": []any{
			map[string]any{"name": "v1", "served": true, "storage": true, "subresources": map[string]any{"status": map[string]any{}}},
		}},
	}}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), lists, append(objs, crd)...)
	return &Waiter{Dynamic: dyn, Client: fake.NewClientset(), Mapper: staticMapper{m}, Interval: time.Millisecond}
}

// object builds a custom resource of ref at generation gen with status
// (none if nil) and spec.
func object(ref kube.Ref, gen int64, spec, status map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": ref.Group + "/" + ref.Version, "kind": ref.Kind,
		"metadata": map[string]any{"name": ref.Name, "namespace": ref.Namespace, "generation": gen},
	}}
	if spec != nil {
		u.Object["spec"] = spec
	}
	if status != nil {
		u.Object["status"] = status
	}
	return u
}

func cond(typ, status, reason, message string, gen int64) map[string]any {
	return map[string]any{"type": typ, "status": status, "reason": reason, "message": message, "observedGeneration": gen}
}

func app(syncStatus, health string, extra map[string]any) *unstructured.Unstructured {
	status := map[string]any{
		"sync":   map[string]any{"status": syncStatus, "revision": "abc"},
		"health": map[string]any{"status": health},
	}
	for k, v := range extra {
		status[k] = v
	}
	return object(appRef, 1, map[string]any{"source": map[string]any{"repoURL": "http://git/r.git", "path": "apps", "targetRevision": "main"}}, status)
}

func TestCustomResourceReadiness(t *testing.T) {
	for _, tc := range []struct {
		name    string
		obj     *unstructured.Unstructured
		state   State
		message string // substring
	}{
		{"CR without status", object(widgetRef, 1, map[string]any{"size": int64(1)}, nil), Progressing, notObserved},
		{"CR with a stale Ready condition", object(widgetRef, 2, nil, map[string]any{"conditions": []any{cond("Ready", "True", "Done", "", 1)}}),
			Progressing, "Ready condition is for generation 1, the object is at 2"},
		{"CR with a stale status.observedGeneration", object(widgetRef, 3, nil, map[string]any{"observedGeneration": int64(2)}),
			Progressing, "status is for generation 2, the object is at 3"},
		{"CR with a current Ready condition", object(widgetRef, 2, nil, map[string]any{"conditions": []any{cond("Ready", "True", "Done", "", 2)}}), Ready, ""},
		{"Application without status", object(appRef, 1, nil, nil), Progressing, notObserved},
		{"Application Synced and Healthy", app("Synced", "Healthy", nil), Ready, ""},
		{"Application Synced and Degraded", app("Synced", "Degraded", map[string]any{"health": map[string]any{"status": "Degraded", "message": "Deployment web exceeded its progress deadline"}}),
			Progressing, "sync Synced, health Degraded: health: Deployment web exceeded its progress deadline"},
		{"Application OutOfSync", app("OutOfSync", "Healthy", map[string]any{"operationState": map[string]any{"phase": "Running", "message": "waiting for healthy state of /ConfigMap/x"}}),
			Progressing, "sync OutOfSync, health Healthy: sync Running: waiting for healthy state of /ConfigMap/x"},
		{"Application Missing", app("OutOfSync", "Missing", nil), Progressing, "sync OutOfSync, health Missing"},
		// Retried at every reconcile and mended by a push: waited on until
		// --timeout, quoted.
		{"Application with a ComparisonError", app("Unknown", "Healthy", map[string]any{"conditions": []any{map[string]any{"type": "ComparisonError", "message": "Failed to load target state: apps: app path does not exist"}}}),
			Progressing, "ComparisonError: Failed to load target state: apps: app path does not exist"},
		{"Application with an InvalidSpecError", app("Unknown", "Healthy", map[string]any{"conditions": []any{map[string]any{"type": "InvalidSpecError", "message": "application destination server 'x' and namespace 'y' do not match any of the allowed destinations"}}}),
			Failed, "InvalidSpecError: application destination server 'x'"},
		{"Application synced against another path", app("Synced", "Healthy", map[string]any{"sync": map[string]any{"status": "Synced", "comparedTo": map[string]any{"source": map[string]any{"path": "old"}}}}),
			Progressing, `synced path "old", the spec now says "apps"`},
		{"Application whose sync failed for good", app("OutOfSync", "Healthy", map[string]any{"operationState": map[string]any{"phase": "Failed", "message": "one or more objects failed to apply"}}),
			Failed, "sync Failed: one or more objects failed to apply"},
		{"GitRepository not observed", object(gitRef, 1, nil, nil), Progressing, notObserved},
		{"GitRepository ready", object(gitRef, 1, nil, map[string]any{"conditions": []any{cond("Ready", "True", "Succeeded", "stored artifact for revision 'main@sha1:abc'", 1)}}), Ready, ""},
		{"GitRepository ready for an older generation", object(gitRef, 2, nil, map[string]any{"conditions": []any{cond("Ready", "True", "Succeeded", "stored artifact", 1)}}),
			Progressing, "Ready condition is for generation 1"},
		{"Kustomization path missing", object(ksRef, 1, nil, map[string]any{"conditions": []any{cond("Ready", "False", "ArtifactFailed", "kustomization path not found: stat /tmp/kustomization-1/apps: no such file or directory", 1)}}),
			Progressing, "ArtifactFailed: kustomization path not found"},
		{"Kustomization stalled", object(ksRef, 1, nil, map[string]any{"conditions": []any{
			cond("Ready", "False", "InvalidPathError", "path must be relative", 1), cond("Stalled", "True", "InvalidPathError", "path must be relative", 1)}}),
			Failed, "InvalidPathError: path must be relative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := customWaiter(tc.obj)
			ref := kube.Ref{Group: tc.obj.GroupVersionKind().Group, Version: tc.obj.GroupVersionKind().Version, Kind: tc.obj.GetKind(), Namespace: tc.obj.GetNamespace(), Name: tc.obj.GetName()}
			sts, err := w.Check(context.Background(), Target{Component: "c", Objects: []kube.Ref{ref}})
			if err != nil {
				t.Fatal(err)
			}
			if got := sts[0]; got.State != tc.state || !strings.Contains(got.Message, tc.message) {
				t.Errorf("got %s %q, want %s containing %q", got.State, got.Message, tc.state, tc.message)
			}
		})
	}
}

// TestStalledFluxFailsAtOnce: Stalled is Flux saying it will not retry, so
// the wait ends with FailedError without waiting out the grace period,
// quoting the condition.
func TestStalledFluxFailsAtOnce(t *testing.T) {
	ks := object(ksRef, 1, nil, map[string]any{"conditions": []any{
		cond("Ready", "False", "InvalidPathError", "path must be relative", 1), cond("Stalled", "True", "InvalidPathError", "path must be relative", 1)}})
	w := customWaiter(ks)
	w.FailGrace = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := w.Wait(ctx, []Target{{Component: "flux-repo", Objects: []kube.Ref{ksRef}}}, nil)
	var fe *FailedError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a FailedError", err)
	}
	for _, want := range []string{"Kustomization flux-system/platform: failed: InvalidPathError: path must be relative",
		"Kustomization flux-system/platform: Ready InvalidPathError: path must be relative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%s", want, err)
		}
	}
}

// TestTimeoutQuotesTheAgent: an Application that never syncs ends the wait
// with a TimeoutError naming it and quoting Argo CD's condition.
func TestTimeoutQuotesTheAgent(t *testing.T) {
	msg := "Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = nope: app path does not exist"
	w := customWaiter(app("Unknown", "Healthy", map[string]any{"conditions": []any{map[string]any{"type": "ComparisonError", "message": msg}}}))
	w.FailGrace = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := w.Wait(ctx, []Target{{Component: "argocd-repo", Objects: []kube.Ref{appRef}}}, nil)
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("got %v, want a TimeoutError", err)
	}
	if want := "Application argocd/platform: ComparisonError: " + msg; !strings.Contains(err.Error(), want) {
		t.Errorf("error does not contain %q:\n%s", want, err)
	}
}
