package credentials

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/internal/outcome"
)

// adopt takes over a credentials Secret slipway did not make (up
// --adopt): its password is kept, slipway's labels and annotations are
// added (without dryRun), and from then on it is slipway's to keep,
// rotate and delete. One without a password under the profile's key
// cannot be a login and is refused.
func (s *Store) adopt(ctx context.Context, existing *corev1.Secret, spec Spec, provided string, dryRun bool) (Credential, error) {
	pw := string(existing.Data[spec.PasswordKey])
	if pw == "" {
		return Credential{}, outcome.Input(fmt.Errorf("--adopt: secret %s/%s has no password under key %q, which component %s reads; delete it or set another secretName", spec.Namespace, spec.SecretName, spec.PasswordKey, spec.Component))
	}
	if provided != "" && provided != pw {
		return Credential{}, outcome.Input(fmt.Errorf("--adopt: secret %s/%s already holds a password for component %s; drop --password %s=…, or adopt first and then `slipway credentials rotate %s --password @FILE`", spec.Namespace, spec.SecretName, spec.Component, spec.Component, spec.Component))
	}
	mark := toSecret(spec, pw, s.now())
	adopted := existing.DeepCopy()
	adopted.Labels = maps.Clone(adopted.Labels)
	if adopted.Labels == nil {
		adopted.Labels = map[string]string{}
	}
	maps.Copy(adopted.Labels, mark.Labels)
	adopted.Annotations = maps.Clone(adopted.Annotations)
	if adopted.Annotations == nil {
		adopted.Annotations = map[string]string{}
	}
	maps.Copy(adopted.Annotations, mark.Annotations)
	if adopted.Data == nil {
		adopted.Data = map[string][]byte{}
	}
	if _, ok := adopted.Data[spec.UsernameKey]; !ok {
		adopted.Data[spec.UsernameKey] = []byte(spec.Username)
	}
	if !dryRun {
		updated, err := s.Client.CoreV1().Secrets(spec.Namespace).Update(ctx, adopted, metav1.UpdateOptions{})
		if err != nil {
			return Credential{}, fmt.Errorf("--adopt: label secret %s/%s as slipway's: %w", spec.Namespace, spec.SecretName, err)
		}
		adopted = updated
	}
	return fromSecret(adopted), nil
}
