package credentials

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/outcome"
)

// AnnotationRegistry names the registry a docker-registry Secret logs in to.
const AnnotationRegistry = "slipway.dev/registry"

// MaxRegistryPassword bounds a registry password or token read from a
// file or a Secret: registry tokens are long (a cloud service account
// key is a few KiB), but never this long.
const MaxRegistryPassword = 16 << 10

// RegistryLogin is the user's login to their own registry (--registry,
// --registry-username, --registry-password), kept in a
// kubernetes.io/dockerconfigjson Secret the sample pipeline mounts.
type RegistryLogin struct {
	Component, Namespace, Secret string
	Server                       string // the registry's host[:port]
	Username, Password           string
}

// DockerConfigJSON is the .dockerconfigjson of a login: the form
// `kubectl create secret docker-registry` writes, which Kaniko reads as
// its config.json.
func DockerConfigJSON(server, username, password string) []byte {
	type auth struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Auth     string `json:"auth"`
	}
	data, _ := json.Marshal(map[string]map[string]auth{"auths": {server: {
		Username: username, Password: password,
		Auth: base64.StdEncoding.EncodeToString([]byte(username + ":" + password)),
	}}})
	return data
}

// EnsureRegistry makes the login's Secret hold exactly this login. A
// re-run with the same flags changes nothing; other flags (a new
// password) update it, since the user asked for them. A Secret of that
// name slipway does not own is left alone and reported. It says whether
// it wrote.
func (s *Store) EnsureRegistry(ctx context.Context, l RegistryLogin) (bool, error) {
	data := DockerConfigJSON(l.Server, l.Username, l.Password)
	secrets := s.Client.CoreV1().Secrets(l.Namespace)
	existing, err := secrets.Get(ctx, l.Secret, metav1.GetOptions{})
	switch {
	case err == nil:
		if !kube.Owned(existing.Labels) {
			return false, fmt.Errorf("secret %s/%s exists but is not managed by slipway (no %s=%s label); delete it, then run slipway up with --registry-username and --registry-password again",
				l.Namespace, l.Secret, kube.LabelManagedBy, kube.ManagedBy)
		}
		if existing.Type == corev1.SecretTypeDockerConfigJson && bytes.Equal(existing.Data[corev1.DockerConfigJsonKey], data) && existing.Annotations[AnnotationRegistry] == l.Server && existing.Labels[kube.LabelCredentialKind] == kube.KindRegistry {
			return false, nil
		}
		if existing.Type != corev1.SecretTypeDockerConfigJson {
			// The type of a Secret cannot change: replace it.
			if err := secrets.Delete(ctx, l.Secret, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return false, fmt.Errorf("replace secret %s/%s: %w", l.Namespace, l.Secret, err)
			}
			break
		}
		existing.Data = map[string][]byte{corev1.DockerConfigJsonKey: data}
		if existing.Annotations == nil {
			existing.Annotations = map[string]string{}
		}
		existing.Annotations[AnnotationRegistry] = l.Server
		existing.Labels[kube.LabelCredentialKind] = kube.KindRegistry
		if _, err := secrets.Update(ctx, existing, metav1.UpdateOptions{}); err != nil {
			return false, fmt.Errorf("update secret %s/%s: %w", l.Namespace, l.Secret, err)
		}
		return true, nil
	case apierrors.IsNotFound(err):
	case apierrors.IsForbidden(err):
		return false, fmt.Errorf("not allowed to read secret %s/%s (the registry login of component %s): slipway needs get and create on secrets in namespace %s: %w", l.Namespace, l.Secret, l.Component, l.Namespace, err)
	default:
		return false, fmt.Errorf("read secret %s/%s: %w", l.Namespace, l.Secret, err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: l.Secret, Namespace: l.Namespace,
			Labels: map[string]string{kube.LabelManagedBy: kube.ManagedBy, kube.LabelComponent: l.Component,
				// credentials lists it by this label.
				kube.LabelCredentialKind: kube.KindRegistry},
			Annotations: map[string]string{AnnotationRegistry: l.Server},
		},
		Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: data},
	}
	if _, err := secrets.Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		return false, fmt.Errorf("create secret %s/%s: %w", l.Namespace, l.Secret, err)
	}
	return true, nil
}

// ReadRegistryPassword reads --registry-password @FILE: one trailing
// newline dropped, at most MaxRegistryPassword bytes, not empty. The
// value is never part of a message.
func ReadRegistryPassword(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", outcome.Input(fmt.Errorf("--registry-password @%s: %w", path, err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxRegistryPassword+1))
	if err != nil {
		return "", outcome.Input(fmt.Errorf("--registry-password @%s: %w", path, err))
	}
	return CheckRegistryPassword("--registry-password @"+path, string(data))
}

// CheckRegistryPassword refuses a registry password slipway cannot use:
// empty, too long, or spread over lines (a file of several values).
func CheckRegistryPassword(what, pw string) (string, error) {
	if len(pw) > MaxRegistryPassword {
		return "", outcome.Input(fmt.Errorf("%s: longer than %d bytes; give the registry's password or access token alone", what, MaxRegistryPassword))
	}
	pw = strings.TrimSuffix(strings.TrimSuffix(pw, "\n"), "\r")
	switch {
	case pw == "":
		return "", outcome.Input(fmt.Errorf("%s: the password is empty", what))
	case strings.ContainsAny(pw, "\r\n"):
		return "", outcome.Input(fmt.Errorf("%s: the password spans several lines; give the registry's password or access token alone", what))
	}
	return pw, nil
}
