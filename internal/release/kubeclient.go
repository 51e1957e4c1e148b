package release

import (
	"errors"
	"io"
	"sync"

	helmkube "helm.sh/helm/v4/pkg/kube"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/resource"
)

// kubeClient is Helm's kube client with two changes that shorten a fresh
// install on a remote cluster (issue 18), and nothing else:
//
//   - Build arms the Manager's prefetch with the GET Helm's conflict
//     check is about to make for each object (see prefetch.go);
//   - Create and Update apply the objects in a few stages instead of one
//     kind, or one object, after the other (see createStages).
type kubeClient struct {
	helmkube.Interface
	prefetch *prefetch
}

var _ helmkube.InterfaceWaitOptions = kubeClient{}

// GetWaiterWithOptions passes Helm's wait options on, as the client it
// wraps takes them.
func (c kubeClient) GetWaiterWithOptions(ws helmkube.WaitStrategy, opts ...helmkube.WaitOption) (helmkube.Waiter, error) {
	if w, ok := c.Interface.(helmkube.InterfaceWaitOptions); ok {
		return w.GetWaiterWithOptions(ws, opts...)
	}
	return c.Interface.GetWaiter(ws)
}

func (c kubeClient) Build(r io.Reader, validate bool) (helmkube.ResourceList, error) {
	list, err := c.Interface.Build(r, validate)
	if err == nil && c.prefetch != nil {
		c.prefetch.arm(getURLs(list))
	}
	return list, err
}

// getURLs are the URLs of the GETs resource.Helper.Get makes for list,
// built the same way, by each object's own REST client.
func getURLs(list helmkube.ResourceList) []string {
	var out []string
	for _, info := range list {
		if info.Client == nil || info.Mapping == nil || info.Name == "" {
			continue
		}
		u := info.Client.Get().
			NamespaceIfScoped(info.Namespace, info.Mapping.Scope.Name() == meta.RESTScopeNameNamespace).
			Resource(info.Mapping.Resource.Resource).
			Name(info.Name).URL()
		out = append(out, u.String())
	}
	return out
}

// Create applies resources in stages, each stage's kinds at once. Helm
// applies one kind after the other (kube.Client.Create: a round trip per
// kind, twelve for Argo CD's chart, 4.4 s at 100 ms), in its install
// order; the stages keep of that order what a later object needs of an
// earlier one (createStage). A stage that fails ends the Create before
// the next one starts, so workloads never start without what they use.
func (c kubeClient) Create(resources helmkube.ResourceList, opts ...helmkube.ClientCreateOption) (*helmkube.Result, error) {
	if len(resources) == 0 {
		return c.Interface.Create(resources, opts...)
	}
	err := createStages(resources).run(func(group helmkube.ResourceList) error {
		_, err := c.Interface.Create(group, opts...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &helmkube.Result{Created: resources}, nil
}

// Update updates targets in the stages Create uses, every object of a
// stage at once (at most applyParallel), each by Helm's Update with its
// own original: Helm's goes through the objects one after the other, a
// GET and a PATCH each. An install takes that way, not Create's, as soon
// as one object exists and belongs to the release: Argo CD's CRDs, which
// its chart keeps after an uninstall, so every `up` after a `down` did
// (56 objects, 11 s at 100 ms; issue 18). What Helm's Update then deletes
// (originals no target has) it deletes last, by Helm's Update too.
func (c kubeClient) Update(originals, targets helmkube.ResourceList, opts ...helmkube.ClientUpdateOption) (*helmkube.Result, error) {
	if len(targets) == 0 {
		return c.Interface.Update(originals, targets, opts...)
	}
	res := &helmkube.Result{}
	var mu sync.Mutex
	// The CRDs have slots of their own: a chart's many CRDs never hold
	// up its workloads.
	stageSlots, crdSlots := make(chan struct{}, applyParallel), make(chan struct{}, applyParallel)
	update := func(obj *resource.Info, slots chan struct{}) error {
		slots <- struct{}{}
		defer func() { <-slots }()
		one := helmkube.ResourceList{obj}
		r, err := c.Interface.Update(originals.Intersect(one), one, opts...)
		if r != nil {
			mu.Lock()
			res.Created = append(res.Created, r.Created...)
			res.Updated = append(res.Updated, r.Updated...)
			mu.Unlock()
		}
		return err
	}
	err := createStages(targets).run(func(group helmkube.ResourceList) error {
		slots := stageSlots
		if isCRDs(group) {
			slots = crdSlots
		}
		var wg sync.WaitGroup
		errs := make([]error, len(group))
		for i, obj := range group {
			wg.Go(func() { errs[i] = update(obj, slots) })
		}
		wg.Wait()
		return errors.Join(errs...)
	})
	if err != nil {
		return res, err
	}
	if removed := originals.Difference(targets); len(removed) > 0 {
		r, err := c.Interface.Update(removed, helmkube.ResourceList{}, opts...)
		if r != nil {
			res.Deleted = r.Deleted
		}
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// applyParallel bounds the objects Update applies at once, the CRDs
// apart.
const applyParallel = 32

// createStage says when an object of a kind may be created, given
// Helm's install order (release/v1/util.InstallOrder):
//
//	0  PriorityClass, Namespace: what everything else is admitted against
//	1  policies, quotas, accounts, configuration, storage, CRDs, roles,
//	   Services, IngressClasses: they need nothing of each other
//	2  role bindings: after their roles, for a user who may only bind
//	   roles that exist (RBAC's escalation check)
//	3  workloads and Ingresses: their pods start with every Secret,
//	   ConfigMap, account, permission, quota and Service in place
//	4  APIServices, webhooks and every other kind (custom resources,
//	   whose CRDs came in 1), one kind after the other as Helm does
//
// The CRDs start with stage 1 but stages 2 and 3 do not wait for them:
// no role binding or workload needs one, and a big CRD takes long to
// apply (Argo CD's applicationsets, 1.5 s of a local cold `up` on the
// way to its workloads; issue 18). Stage 4 waits for them, as its
// custom resources may need them, and a CRD that failed ends the apply
// before it, as a failed stage does.
var createStage = map[string]int{
	"PriorityClass": 0, "Namespace": 0,
	"NetworkPolicy": 1, "ResourceQuota": 1, "LimitRange": 1, "PodSecurityPolicy": 1, "PodDisruptionBudget": 1,
	"ServiceAccount": 1, "Secret": 1, "SecretList": 1, "ConfigMap": 1, "StorageClass": 1, "PersistentVolume": 1,
	"PersistentVolumeClaim": 1, "CustomResourceDefinition": crdStage, "ClusterRole": 1, "ClusterRoleList": 1,
	"Role": 1, "RoleList": 1, "Service": 1, "IngressClass": 1,
	"ClusterRoleBinding": 2, "ClusterRoleBindingList": 2, "RoleBinding": 2, "RoleBindingList": 2,
	"DaemonSet": 3, "Pod": 3, "ReplicationController": 3, "ReplicaSet": 3, "Deployment": 3,
	"HorizontalPodAutoscaler": 3, "StatefulSet": 3, "Job": 3, "CronJob": 3, "Ingress": 3,
}

const (
	crdStage  = 1
	lastStage = 4
	crdKind   = "CustomResourceDefinition"
)

func kindOf(info *resource.Info) string { return info.Object.GetObjectKind().GroupVersionKind().Kind }

func isCRDs(group helmkube.ResourceList) bool { return len(group) > 0 && kindOf(group[0]) == crdKind }

// stages are resources split for applying: groups per stage, every group
// of a stage applied at once; a group is one kind, and stage 4 is one
// group in Helm's order. The CRDs are a group of their own, apart.
type stages struct {
	groups [lastStage + 1][]helmkube.ResourceList
	crds   helmkube.ResourceList
}

// createStages splits resources into stages (see createStage).
func createStages(resources helmkube.ResourceList) stages {
	var st stages
	index := map[string]int{} // kind → its group in its stage
	for _, info := range resources {
		kind := kindOf(info)
		if kind == crdKind {
			st.crds = append(st.crds, info)
			continue
		}
		s, ok := createStage[kind]
		if !ok || s == lastStage {
			s, kind = lastStage, ""
		}
		i, ok := index[kind]
		if !ok {
			i = len(st.groups[s])
			index[kind] = i
			st.groups[s] = append(st.groups[s], nil)
		}
		st.groups[s][i] = append(st.groups[s][i], info)
	}
	return st
}

// run calls apply for every group, the groups of a stage at once and the
// stages in order, the CRDs from stage 1 until stage 4 or the end (see
// createStage). It returns once every apply it started has returned:
// the first error ends it before the next stage, and the CRDs' error
// before stage 4.
func (st stages) run(apply func(helmkube.ResourceList) error) error {
	var crds chan error
	waitCRDs := func() error {
		if crds == nil {
			return nil
		}
		err := <-crds
		crds = nil
		return err
	}
	for s, groups := range st.groups {
		if s == crdStage && len(st.crds) > 0 {
			crds = make(chan error, 1)
			go func() { crds <- apply(st.crds) }()
		}
		if s == lastStage {
			if err := waitCRDs(); err != nil {
				return err
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, len(groups))
		for i, group := range groups {
			wg.Go(func() { errs[i] = apply(group) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return errors.Join(err, waitCRDs())
		}
	}
	return waitCRDs()
}
