package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/slipway-dev/slipway/internal/kube"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// Where the inventory lives.
const (
	Namespace = "slipway-system"
	Name      = "slipway-inventory"
	dataKey   = "components.json"
)

// Entry is one installed component.
type Entry struct {
	Component string   `json:"component"`
	Namespace string   `json:"namespace"`
	Release   string   `json:"release"`
	Chart     string   `json:"chart"`
	Version   string   `json:"version"`
	Needs     []string `json:"needs,omitempty"`
	Secret    string   `json:"secret,omitempty"` // credentials Secret in Namespace
	// Generated are the internal Secrets (in Namespace) the profile has
	// slipway create for the chart; `down` removes the ones slipway made.
	Generated []string `json:"generatedSecrets,omitempty"`
	// BcryptPaths and MtimePaths are the values paths that hold a hash of
	// the password (charts that take a hash), for `credentials rotate`.
	BcryptPaths []string `json:"bcryptPaths,omitempty"`
	MtimePaths  []string `json:"mtimePaths,omitempty"`
	URL         string   `json:"url,omitempty"`
	// InCluster is an image registry's one name inside the cluster
	// (host:port), which pods push to and nodes pull from.
	InCluster      string `json:"inCluster,omitempty"`
	Profile        string `json:"profile"`
	ProfileVersion string `json:"profileVersion"`
}

// ErrEmpty means slipway has installed nothing in this cluster.
var ErrEmpty = errors.New("no slipway components in this cluster")

// Load reads the inventory. A missing one is ErrEmpty; a forbidden read
// names the permission needed.
func Load(ctx context.Context, c kubernetes.Interface) ([]Entry, error) {
	cm, err := c.CoreV1().ConfigMaps(Namespace).Get(ctx, Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, fmt.Errorf("%w (no configmap %s/%s); install the platform with `slipway up`", ErrEmpty, Namespace, Name)
	case apierrors.IsForbidden(err):
		return nil, fmt.Errorf("not allowed to read configmap %s/%s, where slipway records what it installed: grant `get` on configmaps in namespace %s: %w", Namespace, Name, Namespace, err)
	case err != nil:
		return nil, fmt.Errorf("read inventory %s/%s: %w", Namespace, Name, err)
	}
	var entries []Entry
	if err := json.Unmarshal([]byte(cm.Data[dataKey]), &entries); err != nil {
		return nil, fmt.Errorf("inventory %s/%s is corrupt (%v); `slipway up` rewrites it", Namespace, Name, err)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%w; install the platform with `slipway up`", ErrEmpty)
	}
	return entries, nil
}

// Upsert adds or replaces entries (by component), creating the namespace
// and ConfigMap when needed.
func Upsert(ctx context.Context, c kubernetes.Interface, add ...Entry) error {
	return update(ctx, c, func(cur map[string]Entry) {
		for _, e := range add {
			cur[e.Component] = e
		}
	})
}

// Remove deletes entries by component; the ConfigMap stays, possibly empty.
func Remove(ctx context.Context, c kubernetes.Interface, components ...string) error {
	return update(ctx, c, func(cur map[string]Entry) {
		for _, name := range components {
			delete(cur, name)
		}
	})
}

// update reads the inventory, changes it with mutate and writes it back
// when that changed it. The namespace is made only when creating the
// ConfigMap finds it missing, and an unchanged inventory is not written: a no-op `up` read
// and wrote it after creating the namespace, three round trips on its
// critical path where one does (issue 18). The write is guarded by the
// read's resourceVersion, as before.
func update(ctx context.Context, c kubernetes.Interface, mutate func(map[string]Entry)) error {
	ensured := false
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cms := c.CoreV1().ConfigMaps(Namespace)
		cm, err := cms.Get(ctx, Name, metav1.GetOptions{})
		create := apierrors.IsNotFound(err)
		if err != nil && !create {
			return fmt.Errorf("read inventory %s/%s: %w", Namespace, Name, err)
		}
		if create {
			cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: Namespace,
				Labels: map[string]string{kube.LabelManagedBy: kube.ManagedBy}}}
		}
		cur := map[string]Entry{}
		var entries []Entry
		if raw := cm.Data[dataKey]; raw != "" {
			if err := json.Unmarshal([]byte(raw), &entries); err != nil {
				entries = nil // corrupt: rebuilt from what this run knows
			}
		}
		for _, e := range entries {
			cur[e.Component] = e
		}
		mutate(cur)
		entries = entries[:0]
		for _, e := range cur {
			entries = append(entries, e)
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Component < entries[j].Component })
		data, err := json.MarshalIndent(entries, "", "  ")
		if err != nil {
			return err
		}
		if !create && cm.Data[dataKey] == string(data) && len(cm.Data) == 1 {
			return nil // as it is already
		}
		cm.Data = map[string]string{dataKey: string(data)}
		if create {
			// slipway's namespace is there already on most first
			// records (the run lock made it): made only when missing.
			_, err = cms.Create(ctx, cm, metav1.CreateOptions{})
			if apierrors.IsNotFound(err) && !ensured {
				ensured = true
				if err := kube.EnsureNamespace(ctx, c, Namespace); err != nil {
					return fmt.Errorf("slipway's inventory: %w", err)
				}
				_, err = cms.Create(ctx, cm, metav1.CreateOptions{})
			}
		} else {
			_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
		}
		return err
	})
}
