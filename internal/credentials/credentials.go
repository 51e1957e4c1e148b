package credentials

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sethvargo/go-password/password"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/outcome"
	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Annotations on the Secrets slipway owns (its labels are kube's).
const (
	AnnotationUserKey   = "slipway.dev/username-key"
	AnnotationPassKey   = "slipway.dev/password-key"
	AnnotationURL       = "slipway.dev/url"
	AnnotationCreatedAt = "slipway.dev/password-created-at"
)

// Mask stands in for a password wherever one must not be shown.
const Mask = "********"

// Symbols are the only symbols generated passwords contain: safe unquoted
// in a POSIX shell and unreserved in URLs. '-' is left out so a password
// never looks like a command-line flag.
const Symbols = "._"

// Spec says where one component's credentials live and how to generate them.
type Spec struct {
	Component, Namespace, SecretName   string
	Username, UsernameKey, PasswordKey string
	URL                                string
	Length, Digits, Symbols            int
	// Adopt takes over a Secret of this name that slipway did not make
	// (up --adopt): see adopt.
	Adopt bool
	// Hash, if set, is the bcrypt hash the component's release holds or
	// will hold: Ensure and Rotate keep its MAC with the password it was
	// made for (hashmac.go).
	Hash *Hash
}

// Credential is one component's admin login, read from or written to its
// Secret. CreatedAt is when the password was generated (for bcrypt mtimes).
type Credential struct {
	Component string    `json:"component"`
	Namespace string    `json:"namespace"`
	Secret    string    `json:"secret"`
	URL       string    `json:"url,omitempty"`
	Username  string    `json:"username"`
	Password  string    `json:"password,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	// Created is true when this run generated the password.
	Created bool `json:"-"`
	// Revision is the Secret's resourceVersion as read or written: it
	// changes with every write, so workloads restarted for a rotation are
	// annotated with it.
	Revision string `json:"-"`
	// hashMAC is the Secret's KeyHashMAC, if well formed (see Vouches).
	hashMAC string
}

// Generate makes a password as the spec asks: crypto-random, with at least
// the given digits and symbols (symbols from Symbols only).
func Generate(s Spec) (string, error) {
	g, err := password.NewGenerator(&password.GeneratorInput{Symbols: Symbols})
	if err != nil {
		return "", err
	}
	length, digits, symbols := s.Length, s.Digits, s.Symbols
	if length == 0 {
		length = 24
	}
	if symbols > len(Symbols) {
		symbols = len(Symbols)
	}
	return g.Generate(length, digits, symbols, false, true)
}

// Bcrypt hashes a password for charts that take a hash (Argo CD).
func Bcrypt(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	return string(h), err
}

// Store reads and writes credential Secrets.
type Store struct {
	Client kubernetes.Interface
	Now    func() time.Time
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Ensure returns the component's credential, creating its Secret with a new
// password (or with provided, when the user brought one) only if it does not
// exist. An existing password is never changed; a changed URL annotation is
// brought up to date. With dryRun nothing is written and a missing password
// is generated in memory only.
func (s *Store) Ensure(ctx context.Context, spec Spec, provided string, dryRun bool) (Credential, error) {
	existing, err := s.Client.CoreV1().Secrets(spec.Namespace).Get(ctx, spec.SecretName, metav1.GetOptions{})
	switch {
	case err == nil:
		if !kube.Owned(existing.Labels) {
			if spec.Adopt {
				return s.adopt(ctx, existing, spec, provided, dryRun)
			}
			return Credential{}, outcome.Input(fmt.Errorf("secret %s/%s exists but is not managed by slipway (no %s=%s label); pass --adopt to take it over (its password is kept), delete it, or set another secretName for component %s",
				spec.Namespace, spec.SecretName, kube.LabelManagedBy, kube.ManagedBy, spec.Component))
		}
		cred := fromSecret(existing)
		if provided != "" && provided != cred.Password {
			return Credential{}, fmt.Errorf("component %s already has a password in secret %s/%s; to replace it use `slipway credentials rotate %s --password %s=@FILE`",
				spec.Component, spec.Namespace, spec.SecretName, spec.Component, spec.Component)
		}
		mac := macFor(spec.Hash, cred.Password)
		if mac != "" && cred.Vouches(spec.Hash.Bcrypt) {
			mac = "" // kept already
		}
		if (existing.Annotations[AnnotationURL] != spec.URL || mac != "") && !dryRun {
			if existing.Annotations == nil { // labelled, but annotated by no one
				existing.Annotations = map[string]string{}
			}
			existing.Annotations[AnnotationURL] = spec.URL
			if mac != "" { // so Data holds the password: not nil
				existing.Data[KeyHashMAC] = []byte(mac)
			}
			updated, err := s.Client.CoreV1().Secrets(spec.Namespace).Update(ctx, existing, metav1.UpdateOptions{})
			if err != nil {
				return Credential{}, fmt.Errorf("update secret %s/%s: %w", spec.Namespace, spec.SecretName, err)
			}
			cred = fromSecret(updated)
		}
		return cred, nil
	case apierrors.IsNotFound(err):
	case apierrors.IsForbidden(err):
		return Credential{}, fmt.Errorf("not allowed to read secret %s/%s (the admin credentials of component %s): slipway needs get and create on secrets in namespace %s: %w", spec.Namespace, spec.SecretName, spec.Component, spec.Namespace, err)
	default:
		return Credential{}, fmt.Errorf("read secret %s/%s: %w", spec.Namespace, spec.SecretName, err)
	}
	pw := provided
	if pw == "" {
		if pw, err = Generate(spec); err != nil {
			return Credential{}, fmt.Errorf("generate password for %s: %w", spec.Component, err)
		}
	}
	secret := toSecret(spec, pw, s.now())
	if !dryRun {
		if _, err := s.Client.CoreV1().Secrets(spec.Namespace).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
			return Credential{}, fmt.Errorf("create secret %s/%s: %w", spec.Namespace, spec.SecretName, err)
		}
	}
	cred := fromSecret(secret)
	cred.Created = true
	return cred, nil
}

// Internal is a Secret holding one random value a component's chart reads
// (a profile's secrets), such as Argo CD's Redis password. It is not a
// login: never read back, never shown.
type Internal struct {
	Component, Namespace, Name, Key string
	Length                          int
}

// EnsureInternal creates the Secret with a new random value when no Secret
// of that name exists, and reports whether it did. An existing one is kept
// whoever made it (an earlier profile version let a chart hook make it),
// so the component's stored data stays readable; one without the key is
// an error that says how to recover.
func (s *Store) EnsureInternal(ctx context.Context, in Internal) (bool, error) {
	existing, err := s.Client.CoreV1().Secrets(in.Namespace).Get(ctx, in.Name, metav1.GetOptions{})
	switch {
	case err == nil:
		if _, ok := existing.Data[in.Key]; !ok {
			return false, fmt.Errorf("secret %s/%s exists without key %q, which component %s's chart reads: delete it (`kubectl -n %s delete secret %s`) and run `slipway up` again to generate a new one",
				in.Namespace, in.Name, in.Key, in.Component, in.Namespace, in.Name)
		}
		return false, nil
	case apierrors.IsNotFound(err):
	case apierrors.IsForbidden(err):
		return false, fmt.Errorf("not allowed to read secret %s/%s (an internal secret of component %s): slipway needs get and create on secrets in namespace %s: %w", in.Namespace, in.Name, in.Component, in.Namespace, err)
	default:
		return false, fmt.Errorf("read secret %s/%s: %w", in.Namespace, in.Name, err)
	}
	// Letters and digits only: the value may end up on a command line
	// (redis-server --requirepass) or in a URL.
	value, err := password.Generate(in.Length, in.Length/4, 0, false, true)
	if err != nil {
		return false, fmt.Errorf("generate secret %s/%s: %w", in.Namespace, in.Name, err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: in.Name, Namespace: in.Namespace,
			Labels: map[string]string{kube.LabelManagedBy: kube.ManagedBy, kube.LabelComponent: in.Component},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{in.Key: []byte(value)},
	}
	if _, err := s.Client.CoreV1().Secrets(in.Namespace).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return false, nil
		}
		return false, fmt.Errorf("create secret %s/%s: %w", in.Namespace, in.Name, err)
	}
	return true, nil
}

// Rotate replaces the component's password with a new one (or provided).
func (s *Store) Rotate(ctx context.Context, spec Spec, provided string) (Credential, error) {
	existing, err := s.Client.CoreV1().Secrets(spec.Namespace).Get(ctx, spec.SecretName, metav1.GetOptions{})
	if err != nil {
		return Credential{}, readError(spec.Component, spec.Namespace, spec.SecretName, err)
	}
	if !kube.Owned(existing.Labels) {
		return Credential{}, fmt.Errorf("secret %s/%s is not managed by slipway (no %s=%s label): refusing to replace its data", spec.Namespace, spec.SecretName, kube.LabelManagedBy, kube.ManagedBy)
	}
	pw := provided
	if pw == "" {
		if pw, err = Generate(spec); err != nil {
			return Credential{}, err
		}
	}
	fresh := toSecret(spec, pw, s.now())
	existing.Data, existing.Annotations = fresh.Data, fresh.Annotations
	updated, err := s.Client.CoreV1().Secrets(spec.Namespace).Update(ctx, existing, metav1.UpdateOptions{})
	if err != nil {
		return Credential{}, fmt.Errorf("update secret %s/%s: %w", spec.Namespace, spec.SecretName, err)
	}
	cred := fromSecret(updated)
	cred.Created = true
	return cred, nil
}

// Read returns the credential stored in one Secret, with errors that say
// what to do: a deleted Secret is recreated (with a new password) by
// `slipway up`; a forbidden read names the namespace and verb needed.
func (s *Store) Read(ctx context.Context, component, namespace, secret string) (Credential, error) {
	sec, err := s.Client.CoreV1().Secrets(namespace).Get(ctx, secret, metav1.GetOptions{})
	if err != nil {
		return Credential{}, readError(component, namespace, secret, err)
	}
	return fromSecret(sec), nil
}

// ErrNotFound marks a credential whose Secret is gone.
var ErrNotFound = errors.New("credentials secret not found")

func readError(component, namespace, secret string, err error) error {
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%w: secret %s/%s of component %s was deleted; `slipway up` recreates it, with a new password", ErrNotFound, namespace, secret, component)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("not allowed to read secret %s/%s of component %s: grant `get` on secrets in namespace %s: %w", namespace, secret, component, namespace, err)
	default:
		return fmt.Errorf("read secret %s/%s of component %s: %w", namespace, secret, component, err)
	}
}

func toSecret(spec Spec, pw string, now time.Time) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: spec.SecretName, Namespace: spec.Namespace,
			Labels: map[string]string{kube.LabelManagedBy: kube.ManagedBy, kube.LabelComponent: spec.Component},
			Annotations: map[string]string{
				AnnotationUserKey: spec.UsernameKey, AnnotationPassKey: spec.PasswordKey,
				AnnotationURL: spec.URL, AnnotationCreatedAt: now.UTC().Format(time.RFC3339),
			},
		},
		Type: corev1.SecretTypeOpaque,
		Data: secretData(spec, pw),
	}
}

func secretData(spec Spec, pw string) map[string][]byte {
	data := map[string][]byte{spec.UsernameKey: []byte(spec.Username), spec.PasswordKey: []byte(pw)}
	if mac := macFor(spec.Hash, pw); mac != "" {
		data[KeyHashMAC] = []byte(mac)
	}
	return data
}

func fromSecret(s *corev1.Secret) Credential {
	created, _ := time.Parse(time.RFC3339, s.Annotations[AnnotationCreatedAt])
	return Credential{
		Component: s.Labels[kube.LabelComponent], Namespace: s.Namespace, Secret: s.Name,
		URL:       s.Annotations[AnnotationURL],
		Username:  string(s.Data[s.Annotations[AnnotationUserKey]]),
		Password:  string(s.Data[s.Annotations[AnnotationPassKey]]),
		CreatedAt: created,
		Revision:  s.ResourceVersion,
		hashMAC:   validMAC(s.Data[KeyHashMAC]),
	}
}

// Mtime formats CreatedAt the way Argo CD's admin password mtime expects.
func (c Credential) Mtime() string { return c.CreatedAt.UTC().Format(time.RFC3339) }

// Masked returns a copy with the password replaced by Mask (kept empty if
// it was empty).
func (c Credential) Masked() Credential {
	if c.Password != "" {
		c.Password = Mask
	}
	return c
}
