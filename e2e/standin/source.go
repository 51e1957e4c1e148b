package standin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
)

// errNoRef is a revision the repository does not have.
var errNoRef = errors.New("revision not found")

var hexCommit = regexp.MustCompile(`^[0-9a-f]{40}$`)

// checkouts keeps one working tree per repository and commit, so that a
// reconcile that finds the same commit does not clone again.
type checkouts struct {
	mu   sync.Mutex
	dirs map[string]string // url@commit → dir
	root string
}

func newCheckouts() (*checkouts, error) {
	root, err := os.MkdirTemp("", "slipway-e2e-checkouts-")
	return &checkouts{dirs: map[string]string{}, root: root}, err
}

func (c *checkouts) close() { os.RemoveAll(c.root) }

// resolve returns the commit ref names in url: a branch, a tag, HEAD, or a
// commit hash (taken as it is; get says whether it exists).
func resolve(ctx context.Context, a *basicAuth, url, ref string) (string, error) {
	if hexCommit.MatchString(ref) {
		return ref, nil
	}
	out, err := gitAuth(ctx, a, "", "ls-remote", url)
	if err != nil {
		return "", err
	}
	refs := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if hash, name, ok := strings.Cut(line, "\t"); ok {
			refs[name] = hash
		}
	}
	for _, name := range []string{ref, "refs/heads/" + ref, "refs/tags/" + ref + "^{}", "refs/tags/" + ref} {
		if h, ok := refs[name]; ok {
			return h, nil
		}
	}
	return "", fmt.Errorf("%w: %s", errNoRef, ref)
}

// get returns a working tree of url at commit.
func (c *checkouts) get(ctx context.Context, a *basicAuth, url, commit string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := url + "@" + commit
	if d, ok := c.dirs[key]; ok {
		return d, nil
	}
	dir, err := os.MkdirTemp(c.root, "co-")
	if err != nil {
		return "", err
	}
	if _, err := gitAuth(ctx, a, "", "clone", "--quiet", "--no-checkout", url, dir); err != nil {
		return "", err
	}
	if _, err := git(ctx, dir, "-c", "advice.detachedHead=false", "checkout", "--quiet", commit); err != nil {
		return "", fmt.Errorf("%w: %s", errNoRef, commit)
	}
	c.dirs[key] = dir
	return dir, nil
}

// manifests reads the objects of the YAML and JSON files in dir, sorted by
// file name; recursive descends into subdirectories.
func manifests(dir string, recursive bool) ([]*unstructured.Unstructured, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && (!recursive || d.Name() == ".git") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(p) {
		case ".yaml", ".yml", ".json":
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []*unstructured.Unstructured
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(r, 4096)
		for {
			u := &unstructured.Unstructured{}
			if err := dec.Decode(&u.Object); err != nil {
				r.Close()
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, fmt.Errorf("%s: %w", filepath.Base(f), err)
			}
			if len(u.Object) > 0 {
				out = append(out, u)
			}
		}
	}
	return out, nil
}

// apply server-side applies objs as manager; objects without a namespace
// get ns when their kind is namespaced.
func apply(ctx context.Context, dyn dynamic.Interface, mapper meta.ResettableRESTMapper, manager, ns string, objs []*unstructured.Unstructured) error {
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			mapper.Reset()
			m, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err)
		}
		var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			if u.GetNamespace() == "" {
				u.SetNamespace(ns)
			}
			ri = dyn.Resource(m.Resource).Namespace(u.GetNamespace())
		}
		if _, err := ri.Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: manager, Force: true}); err != nil {
			return fmt.Errorf("%s/%s %s: %w", u.GetNamespace(), u.GetName(), u.GetKind(), err)
		}
	}
	return nil
}
