package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slipwayhq/slipway/internal/credentials"
	"github.com/slipwayhq/slipway/internal/inventory"
	"github.com/slipwayhq/slipway/internal/kube"
	"github.com/slipwayhq/slipway/internal/outcome"
	"github.com/slipwayhq/slipway/internal/profile"
	"github.com/slipwayhq/slipway/internal/release"
	"github.com/slipwayhq/slipway/internal/ui"
	"github.com/slipwayhq/slipway/internal/values"
	"github.com/slipwayhq/slipway/internal/wait"
)

// RotateOptions are the inputs of `slipway credentials rotate`.
type RotateOptions struct {
	Component    string
	PasswordFile string // optional: the new password, from a file
	Timeout      time.Duration
	Kube         kube.Options
}

// Rotate replaces a component's password on purpose and makes the
// component use it: charts that take a hash get a Helm upgrade with the new
// hash; workloads that read the Secret are restarted. It works from the
// cluster alone (the inventory says where everything is).
func Rotate(ctx context.Context, o RotateOptions, printer *ui.Printer) (credentials.Credential, error) {
	cluster, err := kube.Connect(ctx, o.Kube, 10*time.Second)
	if err != nil {
		return credentials.Credential{}, err
	}
	entries, err := inventory.Load(ctx, cluster.Client)
	if err != nil {
		return credentials.Credential{}, err
	}
	i := slices.IndexFunc(entries, func(e inventory.Entry) bool { return e.Component == o.Component })
	if i < 0 || entries[i].Secret == "" {
		var names []string
		for _, e := range entries {
			if e.Secret != "" {
				names = append(names, e.Component)
			}
		}
		return credentials.Credential{}, outcome.Input(fmt.Errorf("no component %q with slipway-managed credentials in context %s; components with credentials: %s", o.Component, cluster.Context, strings.Join(names, ", ")))
	}
	e := entries[i]
	provided := ""
	if o.PasswordFile != "" {
		if provided, err = credentials.ReadPasswordFile(o.Component, o.PasswordFile); err != nil {
			return credentials.Credential{}, err
		}
	}
	store := &credentials.Store{Client: cluster.Client}
	sec, err := cluster.Client.CoreV1().Secrets(e.Namespace).Get(ctx, e.Secret, metav1.GetOptions{})
	if err != nil {
		_, rerr := store.Read(ctx, e.Component, e.Namespace, e.Secret)
		return credentials.Credential{}, rerr
	}
	spec := credentials.Spec{
		Component: e.Component, Namespace: e.Namespace, SecretName: e.Secret,
		UsernameKey: sec.Annotations[credentials.AnnotationUserKey], PasswordKey: sec.Annotations[credentials.AnnotationPassKey],
		Username: string(sec.Data[sec.Annotations[credentials.AnnotationUserKey]]), URL: e.URL,
		Length: profile.DefaultLength, Digits: profile.DefaultDigits, Symbols: profile.DefaultSymbols,
	}
	cred, err := store.Rotate(ctx, spec, provided)
	if err != nil {
		return credentials.Credential{}, err
	}
	printer.Infof("%s: new password stored in secret %s/%s", e.Component, e.Namespace, e.Secret)
	mgr, err := release.New(cluster.GetterFor(e.Namespace), e.Namespace, nil)
	if err != nil {
		return cred, err
	}
	var objs []kube.Ref
	if len(e.BcryptPaths) > 0 {
		hash, err := credentials.Bcrypt(cred.Password)
		if err != nil {
			return cred, err
		}
		res, err := mgr.Reapply(ctx, e.Release, o.Timeout, func(v map[string]any) {
			for _, p := range e.BcryptPaths {
				setValue(v, p, hash)
			}
			for _, p := range e.MtimePaths {
				setValue(v, p, cred.Mtime())
			}
		})
		if err != nil {
			return cred, fmt.Errorf("%s: the new password is stored but the release could not take it (run `slipway up` to retry): %w", e.Component, err)
		}
		printer.Infof("%s: release %s upgraded to revision %d with the new password hash", e.Component, e.Release, res.Revision)
		objs = res.Objects
	} else {
		info, err := mgr.Get(ctx, e.Release)
		if err != nil || info == nil {
			return cred, fmt.Errorf("%s: read release %s: %v", e.Component, e.Release, err)
		}
		objs = release.ParseObjects(info.Manifest, e.Namespace)
	}
	restarted, err := restartUsers(ctx, cluster, e.Namespace, e.Secret, objs)
	if err != nil {
		return cred, err
	}
	if len(restarted) > 0 {
		printer.Infof("%s: restarting %s to pick up the new password", e.Component, strings.Join(restarted, ", "))
	}
	waiter, err := wait.New(cluster.Config)
	if err != nil {
		return cred, err
	}
	wctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	target := wait.Target{Component: e.Component, Objects: objs}
	if err := waiter.Wait(wctx, []wait.Target{target}, nil); err != nil {
		var te *wait.TimeoutError
		if errors.As(err, &te) {
			return cred, outcome.Timeout(te)
		}
		return cred, err
	}
	return cred, nil
}

func setValue(v map[string]any, path string, val any) {
	values.SetPath(v, path, val)
}

// restartUsers restarts (like `kubectl rollout restart`) the Deployments
// and StatefulSets of a release whose pods read the Secret.
func restartUsers(ctx context.Context, c *kube.Cluster, ns, secret string, objs []kube.Ref) ([]string, error) {
	patch := fmt.Appendf(nil, `{"spec":{"template":{"metadata":{"annotations":{"slipway.dev/restartedAt":%q}}}}}`, time.Now().UTC().Format(time.RFC3339))
	var done []string
	for _, o := range objs {
		var spec corev1.PodSpec
		switch o.Kind {
		case "Deployment":
			d, err := c.Client.AppsV1().Deployments(ns).Get(ctx, o.Name, metav1.GetOptions{})
			if err != nil {
				continue
			}
			spec = d.Spec.Template.Spec
		case "StatefulSet":
			s, err := c.Client.AppsV1().StatefulSets(ns).Get(ctx, o.Name, metav1.GetOptions{})
			if err != nil {
				continue
			}
			spec = s.Spec.Template.Spec
		default:
			continue
		}
		if !usesSecret(spec, secret) {
			continue
		}
		var err error
		if o.Kind == "Deployment" {
			_, err = c.Client.AppsV1().Deployments(ns).Patch(ctx, o.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		} else {
			_, err = c.Client.AppsV1().StatefulSets(ns).Patch(ctx, o.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		}
		if err != nil {
			return done, fmt.Errorf("restart %s %s/%s: %w", o.Kind, ns, o.Name, err)
		}
		done = append(done, o.Kind+" "+o.Name)
	}
	return done, nil
}

func usesSecret(spec corev1.PodSpec, secret string) bool {
	for _, v := range spec.Volumes {
		if v.Secret != nil && v.Secret.SecretName == secret {
			return true
		}
	}
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == secret {
				return true
			}
		}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil && e.SecretRef.Name == secret {
				return true
			}
		}
	}
	return false
}
