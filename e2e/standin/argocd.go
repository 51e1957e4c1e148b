package standin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var applications = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}

// argocd does what Argo CD's application controller (with its repo
// server) does to an Application with automated sync: resolve the target
// revision, render the directory at the path (plain manifests, not
// recursive, Argo CD's default for a directory source), apply it into the
// destination namespace as "argocd-controller", and write sync, health
// and operation state. When the manifests cannot be generated it writes
// the ComparisonError condition with the real controller's wording and
// sync status Unknown.
func (c *controller) argocd(ctx context.Context) {
	for _, app := range c.list(ctx, applications) {
		c.syncApplication(ctx, &app)
	}
}

func (c *controller) syncApplication(ctx context.Context, app *unstructured.Unstructured) {
	src, _, _ := unstructured.NestedMap(app.Object, "spec", "source")
	dest, _, _ := unstructured.NestedMap(app.Object, "spec", "destination")
	url, _ := src["repoURL"].(string)
	path, _ := src["path"].(string)
	rev, _ := src["targetRevision"].(string)
	if rev == "" {
		rev = "HEAD"
	}
	ns, _ := dest["namespace"].(string)
	compared := map[string]any{"source": src, "destination": dest}
	fail := func(msg string) {
		cond := map[string]any{"type": "ComparisonError", "message": msg,
			"lastTransitionTime": keepTime(app.Object["status"].(map[string]any)["conditions"], "ComparisonError", "", c.now())}
		c.setStatus(ctx, applications, app, map[string]any{
			"sync":       map[string]any{"status": "Unknown", "comparedTo": compared},
			"health":     map[string]any{"status": "Healthy"},
			"conditions": []any{cond},
		}, false)
	}
	if app.Object["status"] == nil {
		app.Object["status"] = map[string]any{}
	}
	auth, err := c.argoRepoAuth(ctx, app.GetNamespace(), url)
	if err != nil {
		if ctx.Err() == nil {
			fail("Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = " + err.Error())
		}
		return
	}
	commit, err := resolve(ctx, auth, url, rev)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errNoRef) {
			fail("Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = unable to resolve '" + rev + "' to a commit SHA")
		} else {
			fail("Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = failed to list refs: " + err.Error())
		}
		return
	}
	dir, err := c.co.get(ctx, auth, url, commit)
	if err != nil {
		if ctx.Err() == nil {
			fail("Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = " + err.Error())
		}
		return
	}
	appDir := filepath.Join(dir, filepath.Clean("/"+path))
	if st, err := os.Stat(appDir); err != nil || !st.IsDir() {
		fail("Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = " + strings.TrimPrefix(path, "./") + ": app path does not exist")
		return
	}
	objs, err := manifests(appDir, false)
	if err == nil {
		err = apply(ctx, c.dyn, c.mapper, "argocd-controller", ns, objs)
	}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		c.setStatus(ctx, applications, app, map[string]any{
			"sync":           map[string]any{"status": "OutOfSync", "revision": commit, "comparedTo": compared},
			"health":         map[string]any{"status": "Missing"},
			"operationState": operationState(commit, "Failed", "one or more objects failed to apply, reason: "+err.Error(), c.now()),
		}, false)
		return
	}
	c.setStatus(ctx, applications, app, map[string]any{
		"sync":           map[string]any{"status": "Synced", "revision": commit, "comparedTo": compared},
		"health":         map[string]any{"status": "Healthy"},
		"operationState": operationState(commit, "Succeeded", "successfully synced (all tasks run)", c.now()),
		"conditions":     nil, // a merge patch's null: the ComparisonError is gone
	}, false)
}

// operationState is an automated sync's record as Argo CD writes it: the
// real CRD requires operation, phase and startedAt.
func operationState(commit, phase, message string, now time.Time) map[string]any {
	at := now.UTC().Format(time.RFC3339)
	return map[string]any{
		"operation":  map[string]any{"initiatedBy": map[string]any{"automated": true}, "sync": map[string]any{"revision": commit, "prune": true}},
		"phase":      phase,
		"message":    message,
		"startedAt":  at,
		"finishedAt": at,
		"retryCount": int64(0),
		"syncResult": map[string]any{"revision": commit},
	}
}

// argoRepoAuth finds the login for url as Argo CD does: among the Secrets
// in its namespace labelled argocd.argoproj.io/secret-type=repository,
// the one whose url key is the Application's repoURL; username and
// password keys, or sshPrivateKey with the host keys of
// argocd-ssh-known-hosts-cm. None: anonymous.
func (c *controller) argoRepoAuth(ctx context.Context, ns, url string) (*basicAuth, error) {
	list, err := c.client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: "argocd.argoproj.io/secret-type=repository"})
	if err != nil {
		return nil, err
	}
	for _, s := range list.Items {
		switch {
		case string(s.Data["url"]) != url:
		case len(s.Data["sshPrivateKey"]) > 0:
			// Host keys come from the ConfigMap the argo-cd chart owns,
			// never from the repository Secret.
			cm, err := c.client.CoreV1().ConfigMaps(ns).Get(ctx, "argocd-ssh-known-hosts-cm", getOpts)
			if err != nil {
				return nil, err
			}
			return &basicAuth{key: s.Data["sshPrivateKey"], knownHosts: []byte(cm.Data["ssh_known_hosts"])}, nil
		case len(s.Data["username"]) > 0:
			return &basicAuth{user: string(s.Data["username"]), password: string(s.Data["password"])}, nil
		}
	}
	return nil, nil
}
