package standin

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// FluxDelay is how long after a FluxInstance appears the operator
// stand-in creates the Flux CRDs: long enough that an install which does
// not wait for them fails, as it did against the real operator.
const FluxDelay = 3 * time.Second

var (
	fluxInstances   = schema.GroupVersionResource{Group: "fluxcd.controlplane.io", Version: "v1", Resource: "fluxinstances"}
	gitRepositories = schema.GroupVersionResource{Group: "source.toolkit.fluxcd.io", Version: "v1", Resource: "gitrepositories"}
	kustomizations  = schema.GroupVersionResource{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Resource: "kustomizations"}
)

//go:embed fluxcrds.yaml
var fluxCRDs []byte

// flux does what the Flux Operator, source-controller and
// kustomize-controller do to the objects slipway creates.
func (c *controller) flux(ctx context.Context) {
	for _, fi := range c.list(ctx, fluxInstances) {
		c.reconcileInstance(ctx, &fi)
	}
	for _, gr := range c.list(ctx, gitRepositories) {
		c.reconcileGitRepository(ctx, &gr)
	}
	for _, ks := range c.list(ctx, kustomizations) {
		c.reconcileKustomization(ctx, &ks)
	}
}

// condition builds a Flux condition for the generation of u.
func (c *controller) condition(u *unstructured.Unstructured, typ, status, reason, msg string) map[string]any {
	old, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	return map[string]any{"type": typ, "status": status, "reason": reason, "message": msg,
		"observedGeneration": u.GetGeneration(), "lastTransitionTime": keepTime(old, typ, status, c.now())}
}

// reconcileInstance: the operator installs the Flux distribution (here:
// only its CRDs, FluxDelay after the FluxInstance appeared) and then
// marks the instance Ready.
func (c *controller) reconcileInstance(ctx context.Context, fi *unstructured.Unstructured) {
	if c.now().Sub(fi.GetCreationTimestamp().Time) < FluxDelay {
		return
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(fluxCRDs), 4096)
	var crds []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if !errors.Is(err, io.EOF) {
				fmt.Fprintln(c.log, "standin: flux CRDs:", err)
			}
			break
		}
		crds = append(crds, u)
	}
	if err := apply(ctx, c.dyn, c.mapper, "flux-operator", "", crds); err != nil {
		if ctx.Err() == nil {
			fmt.Fprintln(c.log, "standin: flux CRDs:", err)
		}
		return
	}
	c.setStatus(ctx, fluxInstances, fi, map[string]any{
		"observedGeneration": fi.GetGeneration(),
		"conditions":         []any{c.condition(fi, "Ready", "True", "ReconciliationSucceeded", "Reconciliation finished in 3s")},
	}, true)
}

// reconcileGitRepository: source-controller resolves spec.ref and stores
// an artifact whose revision is "<ref>@sha1:<commit>".
func (c *controller) reconcileGitRepository(ctx context.Context, gr *unstructured.Unstructured) {
	url, _, _ := unstructured.NestedString(gr.Object, "spec", "url")
	ref, _, _ := unstructured.NestedStringMap(gr.Object, "spec", "ref")
	name, refName := "master", "refs/heads/master" // source-controller's default
	switch {
	case ref["commit"] != "":
		name, refName = "", ref["commit"]
	case ref["name"] != "":
		name, refName = ref["name"], ref["name"]
	case ref["tag"] != "":
		name, refName = ref["tag"], "refs/tags/"+ref["tag"]
	case ref["branch"] != "":
		name, refName = ref["branch"], "refs/heads/"+ref["branch"]
	}
	fetchFailed := func(reason, msg string) {
		c.setStatus(ctx, gitRepositories, gr, map[string]any{
			"observedGeneration": gr.GetGeneration(),
			"conditions": []any{c.condition(gr, "FetchFailed", "True", reason, msg),
				c.condition(gr, "Ready", "False", reason, msg)},
		}, true)
	}
	auth, err := c.fluxAuth(ctx, gr)
	if err != nil {
		if ctx.Err() == nil {
			fetchFailed("AuthenticationFailed", err.Error())
		}
		return
	}
	commit, err := resolve(ctx, auth, url, strings.TrimPrefix(refName, "refs/heads/"))
	if err == nil {
		_, err = c.co.get(ctx, auth, url, commit)
	}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		msg := fmt.Sprintf("failed to checkout and determine revision: unable to clone '%s': %v", url, err)
		if errors.Is(err, errNoRef) {
			msg = fmt.Sprintf("failed to checkout and determine revision: unable to clone '%s': couldn't find remote ref %q", url, refName)
		}
		fetchFailed("GitOperationFailed", msg)
		return
	}
	revision := "sha1:" + commit
	if name != "" {
		revision = name + "@" + revision
	}
	stored := fmt.Sprintf("stored artifact for revision '%s'", revision)
	path := fmt.Sprintf("gitrepository/%s/%s/%s.tar.gz", gr.GetNamespace(), gr.GetName(), commit)
	c.setStatus(ctx, gitRepositories, gr, map[string]any{
		"observedGeneration": gr.GetGeneration(),
		"artifact": map[string]any{"revision": revision, "path": path,
			"url": "http://source-controller.flux-system.svc.cluster.local./" + path, "lastUpdateTime": c.now().UTC().Format(time.RFC3339)},
		"conditions": []any{c.condition(gr, "ArtifactInStorage", "True", "Succeeded", stored),
			c.condition(gr, "Ready", "True", "Succeeded", stored)},
	}, true)
}

// reconcileKustomization: kustomize-controller applies the files under
// spec.path of its source's artifact (plain manifests: no
// kustomization.yaml support here) as "kustomize-controller".
func (c *controller) reconcileKustomization(ctx context.Context, ks *unstructured.Unstructured) {
	notReady := func(reason, msg string) {
		c.setStatus(ctx, kustomizations, ks, map[string]any{
			"observedGeneration": ks.GetGeneration(),
			"conditions":         []any{c.condition(ks, "Ready", "False", reason, msg)},
		}, true)
	}
	srcName, _, _ := unstructured.NestedString(ks.Object, "spec", "sourceRef", "name")
	srcNS, _, _ := unstructured.NestedString(ks.Object, "spec", "sourceRef", "namespace")
	if srcNS == "" {
		srcNS = ks.GetNamespace()
	}
	src, err := c.dyn.Resource(gitRepositories).Namespace(srcNS).Get(ctx, srcName, getOpts)
	revision := ""
	if err == nil {
		revision, _, _ = unstructured.NestedString(src.Object, "status", "artifact", "revision")
	}
	if revision == "" {
		if ctx.Err() == nil {
			notReady("ArtifactFailed", "Source artifact not found, retrying in 30s")
		}
		return
	}
	url, _, _ := unstructured.NestedString(src.Object, "spec", "url")
	_, commit, _ := strings.Cut(revision, "sha1:")
	auth, err := c.fluxAuth(ctx, src)
	if err != nil {
		return // the source reports it
	}
	dir, err := c.co.get(ctx, auth, url, commit)
	if err != nil {
		return // the source is being fetched again
	}
	path, _, _ := unstructured.NestedString(ks.Object, "spec", "path")
	// The real controller extracts the artifact into /tmp/kustomization-N
	// and says so in its message.
	tmp := fmt.Sprintf("/tmp/kustomization-%d", crc32.ChecksumIEEE([]byte(ks.GetUID())))
	rel := filepath.Clean("/" + path)
	if st, err := os.Stat(filepath.Join(dir, rel)); err != nil || !st.IsDir() {
		notReady("ArtifactFailed", fmt.Sprintf("kustomization path not found: stat %s%s: no such file or directory", tmp, rel))
		return
	}
	objs, err := manifests(filepath.Join(dir, rel), true)
	if err != nil {
		notReady("BuildFailed", "kustomize build failed: "+err.Error())
		return
	}
	target, _, _ := unstructured.NestedString(ks.Object, "spec", "targetNamespace")
	if target != "" {
		for _, o := range objs {
			o.SetNamespace(target)
		}
	}
	if err := apply(ctx, c.dyn, c.mapper, "kustomize-controller", "", objs); err != nil {
		if ctx.Err() == nil {
			notReady("ReconciliationFailed", err.Error())
		}
		return
	}
	c.setStatus(ctx, kustomizations, ks, map[string]any{
		"observedGeneration":    ks.GetGeneration(),
		"lastAppliedRevision":   revision,
		"lastAttemptedRevision": revision,
		"conditions":            []any{c.condition(ks, "Ready", "True", "ReconciliationSucceeded", "Applied revision: "+revision)},
	}, true)
}

// fluxAuth reads the GitRepository's spec.secretRef as source-controller
// does: username and password keys for HTTP(S), identity and known_hosts
// for SSH. A Secret that cannot be read fails with the controller's
// wording.
func (c *controller) fluxAuth(ctx context.Context, gr *unstructured.Unstructured) (*basicAuth, error) {
	name, _, _ := unstructured.NestedString(gr.Object, "spec", "secretRef", "name")
	if name == "" {
		return nil, nil
	}
	s, err := c.client.CoreV1().Secrets(gr.GetNamespace()).Get(ctx, name, getOpts)
	if err != nil {
		return nil, fmt.Errorf("failed to get secret '%s/%s': %w", gr.GetNamespace(), name, err)
	}
	switch {
	case len(s.Data["identity"]) > 0:
		return &basicAuth{key: s.Data["identity"], knownHosts: s.Data["known_hosts"]}, nil
	case len(s.Data["username"]) > 0:
		return &basicAuth{user: string(s.Data["username"]), password: string(s.Data["password"])}, nil
	}
	return nil, nil
}
