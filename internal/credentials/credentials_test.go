package credentials

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/kube"
	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

var clock = func() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) }

func spec() Spec {
	return Spec{Component: "jenkins", Namespace: "jenkins", SecretName: "jenkins-admin",
		Username: "admin", UsernameKey: "jenkins-admin-user", PasswordKey: "jenkins-admin-password",
		URL: "http://jenkins.127.0.0.1.sslip.io", Length: 24, Digits: 4, Symbols: 2}
}

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		pw, err := Generate(spec())
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != 24 {
			t.Fatalf("len %d, want 24", len(pw))
		}
		digits := 0
		for _, r := range pw {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', strings.ContainsRune(Symbols, r):
			default:
				t.Fatalf("password has %q, outside letters, digits and %q", r, Symbols)
			}
		}
		if digits < 4 {
			t.Fatalf("%d digits, want at least 4", digits)
		}
		if seen[pw] {
			t.Fatal("repeated password")
		}
		seen[pw] = true
	}
}

func TestEnsureCreatesOnceAndNeverRotates(t *testing.T) {
	ctx := context.Background()
	s := &Store{Client: fake.NewClientset(), Now: clock}
	first, err := s.Ensure(ctx, spec(), "", false)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || first.Password == "" || first.Username != "admin" {
		t.Fatalf("first = %+v", first.Masked())
	}
	sec, err := s.Client.CoreV1().Secrets("jenkins").Get(ctx, "jenkins-admin", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sec.Labels[kube.LabelManagedBy] != "slipway" || sec.Labels[kube.LabelComponent] != "jenkins" {
		t.Errorf("labels = %v", sec.Labels)
	}
	if string(sec.Data["jenkins-admin-password"]) != first.Password {
		t.Error("secret does not hold the password under the chart's key")
	}
	s2 := spec()
	s2.URL = "http://jenkins.10.0.0.1.sslip.io"
	again, err := s.Ensure(ctx, s2, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if again.Created || again.Password != first.Password {
		t.Fatal("a second Ensure changed the password")
	}
	if again.URL != s2.URL {
		t.Errorf("URL = %q, want the new one", again.URL)
	}
	read, err := s.Read(ctx, "jenkins", "jenkins", "jenkins-admin")
	if err != nil || read.Password != first.Password || read.URL != s2.URL {
		t.Fatalf("Read = %+v, %v", read.Masked(), err)
	}
	rotated, err := s.Rotate(ctx, spec(), "")
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Password == first.Password {
		t.Fatal("Rotate kept the password")
	}
}

func TestEnsureDryRunWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := &Store{Client: fake.NewClientset(), Now: clock}
	c, err := s.Ensure(ctx, spec(), "", true)
	if err != nil || c.Password == "" {
		t.Fatalf("dry run: %v", err)
	}
	if _, err := s.Client.CoreV1().Secrets("jenkins").Get(ctx, "jenkins-admin", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("dry run wrote a secret: %v", err)
	}
}

func TestEnsureRefusesForeignSecretAndProvidedMismatch(t *testing.T) {
	ctx := context.Background()
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "jenkins-admin", Namespace: "jenkins"}}
	s := &Store{Client: fake.NewClientset(foreign), Now: clock}
	if _, err := s.Ensure(ctx, spec(), "", false); err == nil || !strings.Contains(err.Error(), "not managed by slipway") {
		t.Fatalf("err = %v", err)
	}
	s = &Store{Client: fake.NewClientset(), Now: clock}
	if _, err := s.Ensure(ctx, spec(), "first-one", false); err != nil {
		t.Fatal(err)
	}
	_, err := s.Ensure(ctx, spec(), "another-one", false)
	if err == nil || !strings.Contains(err.Error(), "slipway credentials rotate jenkins") {
		t.Fatalf("err = %v", err)
	}
}

// TestEnsureUnannotatedSecret (issue 17, item 11): a Secret with
// slipway's label but no annotations at all (made by hand, or stripped)
// gets its URL annotation instead of a panic on the nil map; its
// password is kept.
func TestEnsureUnannotatedSecret(t *testing.T) {
	ctx := context.Background()
	bare := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "jenkins-admin", Namespace: "jenkins", Labels: map[string]string{kube.LabelManagedBy: kube.ManagedBy}},
		Data:       map[string][]byte{"password": []byte("kept")},
	}
	client := fake.NewClientset(bare)
	s := &Store{Client: client, Now: clock}
	if _, err := s.Ensure(ctx, spec(), "", false); err != nil {
		t.Fatal(err)
	}
	got, err := client.CoreV1().Secrets("jenkins").Get(ctx, "jenkins-admin", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Annotations[AnnotationURL] != spec().URL || string(got.Data["password"]) != "kept" {
		t.Errorf("annotations %v, data %v", got.Annotations, got.Data)
	}
}

func TestReadErrorsSayWhatToDo(t *testing.T) {
	ctx := context.Background()
	s := &Store{Client: fake.NewClientset()}
	_, err := s.Read(ctx, "jenkins", "jenkins", "gone")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "`slipway up` recreates it, with a new password") {
		t.Fatalf("err = %v", err)
	}
	client := fake.NewClientset()
	client.PrependReactor("get", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "x", errors.New("rbac"))
	})
	s = &Store{Client: client}
	_, err = s.Read(ctx, "jenkins", "jenkins", "x")
	if err == nil || !strings.Contains(err.Error(), "grant `get` on secrets in namespace jenkins") {
		t.Fatalf("err = %v", err)
	}
}

func TestBcryptVerifies(t *testing.T) {
	h, err := Bcrypt("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("s3cret")) != nil {
		t.Fatal("hash does not verify")
	}
}

func TestMasked(t *testing.T) {
	c := Credential{Password: "x"}.Masked()
	if c.Password != Mask {
		t.Fatal(c.Password)
	}
}

func TestEnsureInternal(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset()
	s := &Store{Client: client, Now: clock}
	in := Internal{Component: "argocd", Namespace: "argocd", Name: "argocd-redis", Key: "auth", Length: 32}
	created, err := s.EnsureInternal(ctx, in)
	if err != nil || !created {
		t.Fatalf("first ensure: created %v, %v", created, err)
	}
	sec, err := client.CoreV1().Secrets("argocd").Get(ctx, "argocd-redis", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	value := string(sec.Data["auth"])
	if len(value) != 32 || strings.Trim(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
		t.Errorf("value %d chars, want 32 letters and digits", len(value))
	}
	if sec.Labels[kube.LabelManagedBy] != kube.ManagedBy || sec.Labels[kube.LabelComponent] != "argocd" {
		t.Errorf("labels %v", sec.Labels)
	}
	if created, err := s.EnsureInternal(ctx, in); err != nil || created {
		t.Fatalf("second ensure: created %v, %v", created, err)
	}
	if again, _ := client.CoreV1().Secrets("argocd").Get(ctx, "argocd-redis", metav1.GetOptions{}); string(again.Data["auth"]) != value {
		t.Error("the second ensure changed the value")
	}

	// One an earlier chart hook made is kept as it is; one without the key
	// is an error that says how to recover.
	client.CoreV1().Secrets("argocd").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "hook-made", Namespace: "argocd"}, Data: map[string][]byte{"auth": []byte("x")}}, metav1.CreateOptions{})
	if created, err := s.EnsureInternal(ctx, Internal{Component: "argocd", Namespace: "argocd", Name: "hook-made", Key: "auth", Length: 32}); err != nil || created {
		t.Errorf("hook-made secret: created %v, %v", created, err)
	}
	_, err = s.EnsureInternal(ctx, Internal{Component: "argocd", Namespace: "argocd", Name: "hook-made", Key: "password", Length: 32})
	want := "secret argocd/hook-made exists without key \"password\", which component argocd's chart reads: delete it (`kubectl -n argocd delete secret hook-made`) and run `slipway up` again to generate a new one"
	if err == nil || err.Error() != want {
		t.Errorf("missing key: %v\nwant: %s", err, want)
	}
}
