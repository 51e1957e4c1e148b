package rotate

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/slipway-dev/slipway/internal/kube"
)

// CredentialsRevision is the pod template annotation that records which
// revision of the credentials Secret a workload's pods were started with.
// Changing it rolls the pods (as `kubectl rollout restart` does with its
// own annotation), so that software that reads the password only at
// start-up, like Jenkins' configuration-as-code from its projected
// volume, takes the new one.
const CredentialsRevision = "slipway.dev/credentials-revision"

// restartUsers rolls the Deployments and StatefulSets among objs whose
// pods read the Secret, and names them. An object that cannot be read is
// skipped: the readiness wait that follows reports it. revision is the
// Secret's resourceVersion after the rotation.
func restartUsers(ctx context.Context, c kubernetes.Interface, ns, secret string, objs []kube.Ref, revision string) ([]string, error) {
	patch := fmt.Appendf(nil, `{"spec":{"template":{"metadata":{"annotations":{%q:%q}}}}}`, CredentialsRevision, revision)
	var done []string
	for _, o := range objs {
		var spec corev1.PodSpec
		switch o.Kind {
		case "Deployment":
			d, err := c.AppsV1().Deployments(ns).Get(ctx, o.Name, metav1.GetOptions{})
			if err != nil {
				continue
			}
			spec = d.Spec.Template.Spec
		case "StatefulSet":
			s, err := c.AppsV1().StatefulSets(ns).Get(ctx, o.Name, metav1.GetOptions{})
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
			_, err = c.AppsV1().Deployments(ns).Patch(ctx, o.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		} else {
			_, err = c.AppsV1().StatefulSets(ns).Patch(ctx, o.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		}
		if err != nil {
			return done, fmt.Errorf("restart %s %s/%s: %w", o.Kind, ns, o.Name, err)
		}
		done = append(done, o.Kind+" "+o.Name)
	}
	return done, nil
}

// usesSecret reports whether pods with spec read the Secret: mounted as a
// volume of its own or as a source of a projected volume (the Jenkins
// chart's way), or through env or envFrom of any container, init ones
// included.
func usesSecret(spec corev1.PodSpec, secret string) bool {
	for _, v := range spec.Volumes {
		if v.Secret != nil && v.Secret.SecretName == secret {
			return true
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.Secret != nil && src.Secret.Name == secret {
					return true
				}
			}
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
