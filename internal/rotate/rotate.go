package rotate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/slipway-dev/slipway/internal/credentials"
	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/release"
	"github.com/slipway-dev/slipway/internal/runlock"
	"github.com/slipway-dev/slipway/internal/ui"
	"github.com/slipway-dev/slipway/internal/values"
	"github.com/slipway-dev/slipway/internal/wait"
)

// Options are the inputs of `slipway credentials rotate`.
type Options struct {
	Component    string
	PasswordFile string // optional: the new password, from a file
	Timeout      time.Duration
	Kube         kube.Options
	// WaitForLock waits (up to Timeout) for a run lock another run holds.
	WaitForLock bool
}

// Releases reads and re-applies the releases of one namespace
// (release.Manager).
type Releases interface {
	Get(ctx context.Context, name string) (*release.Info, error)
	// Reapply upgrades a release with its own chart and its recorded
	// values changed by edit.
	Reapply(ctx context.Context, name string, timeout time.Duration, edit func(values map[string]any)) (release.Result, error)
}

// Readiness waits until objects are ready (wait.Waiter).
type Readiness interface {
	Wait(ctx context.Context, targets []wait.Target, progress func(wait.Event)) error
}

// Rotator rotates credentials through the clients in its fields, so that
// a test can hand it fakes.
type Rotator struct {
	Client kubernetes.Interface
	// Releases returns the release manager of one namespace.
	Releases  func(namespace string) (Releases, error)
	Readiness Readiness
	// Context names the cluster in errors.
	Context string
	// Now stamps the new Secret and the restart annotation (default
	// time.Now).
	Now func() time.Time
}

// Run rotates o.Component's password in the cluster o.Kube selects.
func Run(ctx context.Context, o Options, printer *ui.Printer) (credentials.Credential, error) {
	// The lock is asked for while the cluster is probed: one after the
	// other they were two round trips before the first read (issue 18).
	var cred credentials.Credential
	err := runlock.ConnectAndHold(ctx, o.Kube, 10*time.Second, runlock.Options{Command: "credentials rotate", Wait: o.WaitForLock, Progress: printer.Infof}, o.Timeout,
		func(ctx context.Context, cluster *kube.Cluster) error {
			waiter, err := wait.New(cluster.Config)
			if err != nil {
				return err
			}
			managers := release.ForCluster(cluster)
			r := &Rotator{
				Client:    cluster.Client,
				Releases:  func(ns string) (Releases, error) { return managers.For(ns) },
				Readiness: waiter,
				Context:   cluster.Context,
			}
			cred, err = r.Rotate(ctx, o, printer)
			return err
		})
	return cred, err
}

func (r *Rotator) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Rotate replaces a component's password on purpose and makes the
// component use it: charts that take a hash get a Helm upgrade with the new
// hash; workloads that read the Secret are restarted. The credential is
// returned once it is stored, even when a later step fails, so that the
// caller can still show the password now in force.
func (r *Rotator) Rotate(ctx context.Context, o Options, printer *ui.Printer) (credentials.Credential, error) {
	e, err := r.entry(ctx, o.Component)
	if err != nil {
		return credentials.Credential{}, err
	}
	provided := ""
	if o.PasswordFile != "" {
		if provided, err = credentials.ReadPasswordFile(o.Component, o.PasswordFile); err != nil {
			return credentials.Credential{}, err
		}
	}
	store := &credentials.Store{Client: r.Client, Now: r.Now}
	sec, err := r.Client.CoreV1().Secrets(e.Namespace).Get(ctx, e.Secret, metav1.GetOptions{})
	if err != nil {
		// Read words the error: what to do when the Secret is gone or
		// may not be read.
		_, rerr := store.Read(ctx, e.Component, e.Namespace, e.Secret)
		return credentials.Credential{}, rerr
	}
	// Rotation changes only what slipway made (issue 17, item 6): the
	// inventory naming a Secret or release is no proof, it is a
	// ConfigMap others can edit. Both are checked before anything is
	// written.
	if err := r.checkOwned(ctx, e, sec); err != nil {
		return credentials.Credential{}, err
	}
	userKey := sec.Annotations[credentials.AnnotationUserKey]
	spec := credentials.Spec{
		Component: e.Component, Namespace: e.Namespace, SecretName: e.Secret,
		UsernameKey: userKey, PasswordKey: sec.Annotations[credentials.AnnotationPassKey],
		Username: string(sec.Data[userKey]), URL: e.URL,
		Length: profile.DefaultLength, Digits: profile.DefaultDigits, Symbols: profile.DefaultSymbols,
	}
	// A chart that takes a hash gets it made before the password is
	// stored, so the Secret keeps its MAC with it (credentials.Hash): the
	// next `up` reuses the hash without a bcrypt check.
	hash := ""
	if len(e.BcryptPaths) > 0 {
		if provided == "" {
			if provided, err = credentials.Generate(spec); err != nil {
				return credentials.Credential{}, err
			}
		}
		if hash, err = credentials.Bcrypt(provided); err != nil {
			return credentials.Credential{}, err
		}
		spec.Hash = &credentials.Hash{Password: provided, Bcrypt: hash}
	}
	cred, err := store.Rotate(ctx, spec, provided)
	if err != nil {
		return credentials.Credential{}, err
	}
	printer.Infof("%s: new password stored in secret %s/%s", e.Component, e.Namespace, e.Secret)
	objs, err := r.applyToRelease(ctx, e, cred, hash, o.Timeout, printer)
	if err != nil {
		return cred, err
	}
	restarted, err := restartUsers(ctx, r.Client, e.Namespace, e.Secret, objs, cred.Revision)
	if err != nil {
		return cred, err
	}
	if len(restarted) > 0 {
		printer.Infof("%s: restarting %s to pick up the new password", e.Component, strings.Join(restarted, ", "))
	}
	wctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	target := wait.Target{Component: e.Component, Objects: objs}
	if err := r.Readiness.Wait(wctx, []wait.Target{target}, nil); err != nil {
		var te *wait.TimeoutError
		if errors.As(err, &te) {
			return cred, outcome.Timeout(te)
		}
		return cred, err
	}
	return cred, nil
}

// entry is the inventory entry of a component with slipway-managed
// credentials; any other name is bad input, answered with the names that
// would do.
func (r *Rotator) entry(ctx context.Context, component string) (inventory.Entry, error) {
	entries, err := inventory.Load(ctx, r.Client)
	if err != nil {
		return inventory.Entry{}, err
	}
	i := slices.IndexFunc(entries, func(e inventory.Entry) bool { return e.Component == component })
	if i < 0 || entries[i].Secret == "" {
		var names []string
		for _, e := range entries {
			if e.Secret != "" {
				names = append(names, e.Component)
			}
		}
		return inventory.Entry{}, outcome.Input(fmt.Errorf("no component %q with slipway-managed credentials in context %s; components with credentials: %s", component, r.Context, strings.Join(names, ", ")))
	}
	return entries[i], nil
}

// applyToRelease puts the new password into the component's release when
// its chart takes a hash of it (a Helm upgrade with the same chart and the
// hash, and the password's mtime, at the inventory's values paths), and
// returns the release's objects. hash is the new password's.
func (r *Rotator) applyToRelease(ctx context.Context, e inventory.Entry, cred credentials.Credential, hash string, timeout time.Duration, printer *ui.Printer) ([]kube.Ref, error) {
	mgr, err := r.Releases(e.Namespace)
	if err != nil {
		return nil, err
	}
	if len(e.BcryptPaths) == 0 {
		info, err := mgr.Get(ctx, e.Release)
		if err != nil || info == nil {
			return nil, fmt.Errorf("%s: read release %s: %v", e.Component, e.Release, err)
		}
		return release.ParseObjects(info.Manifest, e.Namespace), nil
	}
	res, err := mgr.Reapply(ctx, e.Release, timeout, func(v map[string]any) {
		for _, p := range e.BcryptPaths {
			values.SetPath(v, p, hash)
		}
		for _, p := range e.MtimePaths {
			values.SetPath(v, p, cred.Mtime())
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%s: the new password is stored but the release could not take it (run `slipway up` to retry): %w", e.Component, err)
	}
	printer.Infof("%s: release %s upgraded to revision %d with the new password hash", e.Component, e.Release, res.Revision)
	return res.Objects, nil
}

// checkOwned refuses a rotation whose Secret or release slipway did not
// make (exit 2, naming it).
func (r *Rotator) checkOwned(ctx context.Context, e inventory.Entry, sec *corev1.Secret) error {
	if !kube.Owned(sec.Labels) {
		return outcome.Input(fmt.Errorf("secret %s/%s (component %s's credentials in the inventory) is not slipway's: it lacks the label %s=%s, and rotate changes only slipway's Secrets; nothing was changed",
			e.Namespace, e.Secret, e.Component, kube.LabelManagedBy, kube.ManagedBy))
	}
	mgr, err := r.Releases(e.Namespace)
	if err != nil {
		return err
	}
	info, err := mgr.Get(ctx, e.Release)
	if err != nil {
		return fmt.Errorf("%s: %w", e.Component, err)
	}
	if msg := release.Foreign(info, e.Component); msg != "" {
		return outcome.Input(fmt.Errorf("%s, and rotate changes only slipway's releases; nothing was changed (`slipway up --adopt` takes it over)", msg))
	}
	return nil
}
