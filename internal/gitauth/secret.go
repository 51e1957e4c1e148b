package gitauth

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/slipway-dev/slipway/internal/kube"
)

// SecretName is the name of the repository credential Secret, in the
// namespace the agent reads it from.
const SecretName = "slipway-gitops-repo"

// The agents, as the wiring chart's agent value names them.
const (
	AgentArgoCD = "argocd"
	AgentFlux   = "flux"
)

// Annotations on the Secret, the ones the admin credentials Secrets carry
// (package credentials): which keys hold the login, and the repository URL.
const (
	annotationUserKey = "slipway.dev/username-key"
	annotationPassKey = "slipway.dev/password-key"
	annotationURL     = "slipway.dev/url"
)

// argoSecretType is the label Argo CD finds repository Secrets by
// (declarative setup: "Repositories").
const argoSecretType = "argocd.argoproj.io/secret-type"

// Credential is a repository login with every value at hand.
type Credential struct {
	URL, Username, Password string
	SSHKey, KnownHosts      []byte
}

// Resolve fills in the password from the Secret the request names (read by
// get) and returns the credential.
func (r *Request) Resolve(ctx context.Context, get func(ctx context.Context, ns, name string) (*corev1.Secret, error)) (Credential, error) {
	c := Credential{URL: r.URL, Username: r.Username, Password: r.Password, SSHKey: r.SSHKey, KnownHosts: r.KnownHosts}
	if r.PasswordSecret == nil {
		return c, nil
	}
	ref := r.PasswordSecret
	sec, err := get(ctx, ref.Namespace, ref.Name)
	if err != nil {
		return c, fmt.Errorf("--gitops-password secret:%s/%s: %w", ref.Namespace, ref.Name, err)
	}
	pw, ok := sec.Data[ref.Key]
	if !ok {
		return c, fmt.Errorf("--gitops-password secret:%s/%s: the secret has no key %q (keys: %s); name the key: secret:%s/%s:KEY", ref.Namespace, ref.Name, ref.Key, keys(sec.Data), ref.Namespace, ref.Name)
	}
	if err := CheckPassword(pw); err != nil {
		return c, fmt.Errorf("--gitops-password secret:%s/%s:%s: %w", ref.Namespace, ref.Name, ref.Key, err)
	}
	c.Password = string(pw)
	return c, nil
}

// NewSecret is the credential as agent reads it, in namespace ns, owned
// by component (the wiring component that syncs the repository).
//
// Argo CD (declarative setup, "Repositories"): a Secret labelled
// argocd.argoproj.io/secret-type=repository with type=git, url, and
// username/password or sshPrivateKey; Argo CD matches it to an
// Application by url. Host keys are read from argocd-ssh-known-hosts-cm,
// which the argo-cd chart owns (configs.ssh.extraHosts); slipway keeps a
// copy under known_hosts, which Argo CD ignores, to pass them again on a
// re-run.
//
// Flux (GitRepository spec.secretRef): username/password for HTTPS, or
// identity (the private key) and known_hosts for SSH.
func NewSecret(agent, component, ns string, c Credential) (*corev1.Secret, error) {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: SecretName, Namespace: ns,
			Labels: map[string]string{
				kube.LabelManagedBy: kube.ManagedBy, kube.LabelComponent: component,
				kube.LabelCredentialKind: kube.KindGitRepository,
			},
			Annotations: map[string]string{annotationURL: c.URL},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{},
	}
	if len(c.SSHKey) == 0 {
		s.Annotations[annotationUserKey], s.Annotations[annotationPassKey] = "username", "password"
		s.Data["username"], s.Data["password"] = []byte(c.Username), []byte(c.Password)
	}
	switch agent {
	case AgentArgoCD:
		s.Labels[argoSecretType] = "repository"
		s.Data["type"], s.Data["url"] = []byte("git"), []byte(c.URL)
		if len(c.SSHKey) > 0 {
			s.Data["sshPrivateKey"], s.Data["known_hosts"] = c.SSHKey, c.KnownHosts
		}
	case AgentFlux:
		if len(c.SSHKey) > 0 {
			s.Data["identity"], s.Data["known_hosts"] = c.SSHKey, c.KnownHosts
		}
	default:
		return nil, fmt.Errorf("the GitOps wiring names agent %q; repository credentials work with %s and %s", agent, AgentArgoCD, AgentFlux)
	}
	return s, nil
}

// KnownHosts are the host keys kept in a credential Secret, if any.
func KnownHosts(s *corev1.Secret) string { return string(s.Data["known_hosts"]) }

// URL is the repository a credential Secret is for.
func URL(s *corev1.Secret) string { return s.Annotations[annotationURL] }

// Decision is what a run does with the repository credential.
type Decision struct {
	// Secret is the credential Secret as it is or will be; nil when there
	// is none.
	Secret *corev1.Secret
	// Create is true when the Secret does not exist yet.
	Create bool
	// Use is true when the wiring points the agent at it: a credential
	// kept for another repository URL is not used.
	Use bool
	// Note says why an existing Secret is not used.
	Note string
}

// Decide compares the credential asked for (nil: no flags) with the one
// in the cluster (nil: none), and never replaces an existing one: the
// same credential again changes nothing, no flags keep using it, and a
// different one is refused with the commands that replace it.
func Decide(existing, desired *corev1.Secret, repoURL string) (Decision, error) {
	switch {
	case existing == nil && desired == nil:
		return Decision{}, nil
	case existing == nil:
		return Decision{Secret: desired, Create: true, Use: true}, nil
	case !kube.Owned(existing.Labels):
		return Decision{}, fmt.Errorf("secret %s/%s exists but is not managed by slipway (no %s=%s label); rename or delete it, slipway keeps the GitOps repository credential there",
			existing.Namespace, existing.Name, kube.LabelManagedBy, kube.ManagedBy)
	case desired == nil:
		if URL(existing) != repoURL {
			return Decision{Secret: existing, Note: fmt.Sprintf("secret %s/%s holds the credential for %s, not for --gitops-repo %s: it is not used; give the new repository's credential after deleting it (kubectl -n %s delete secret %s)",
				existing.Namespace, existing.Name, URL(existing), repoURL, existing.Namespace, existing.Name)}, nil
		}
		return Decision{Secret: existing, Use: true}, nil
	case !sameData(existing.Data, desired.Data):
		return Decision{}, fmt.Errorf("a GitOps repository credential is already kept in secret %s/%s (for %s) and slipway never replaces one on a re-run; to use the new one: kubectl -n %s delete secret %s, then run slipway up again with the same flags",
			existing.Namespace, existing.Name, URL(existing), existing.Namespace, existing.Name)
	}
	return Decision{Secret: existing, Use: true}, nil
}

func sameData(a, b map[string][]byte) bool { return maps.EqualFunc(a, b, bytes.Equal) }

// Store reads and creates credential Secrets.
type Store struct{ Client kubernetes.Interface }

// Get returns the Secret, or nil when there is none.
func (s Store) Get(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	sec, err := s.Client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	switch {
	case err == nil:
		return sec, nil
	case apierrors.IsNotFound(err):
		return nil, nil
	case apierrors.IsForbidden(err):
		return nil, fmt.Errorf("not allowed to read secret %s/%s (the GitOps repository credential): slipway needs get and create on secrets in namespace %s: %w", ns, name, ns, err)
	}
	return nil, fmt.Errorf("read secret %s/%s: %w", ns, name, err)
}

// Read returns a Secret the user named (--gitops-password secret:…); a
// missing one is an error.
func (s Store) Read(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	return s.Client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
}

// Create creates the Secret; one that appeared meanwhile is taken as it is
// only if it holds the same data.
func (s Store) Create(ctx context.Context, sec *corev1.Secret) error {
	_, err := s.Client.CoreV1().Secrets(sec.Namespace).Create(ctx, sec, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		cur, gerr := s.Get(ctx, sec.Namespace, sec.Name)
		if gerr == nil && cur != nil && kube.Owned(cur.Labels) && sameData(cur.Data, sec.Data) {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("create secret %s/%s: %w", sec.Namespace, sec.Name, err)
	}
	return nil
}

func keys(m map[string][]byte) string { return strings.Join(slices.Sorted(maps.Keys(m)), ", ") }
