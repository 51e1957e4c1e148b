package credentials

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/slipway-dev/slipway/internal/kube"
)

// .dockerconfigjson as `kubectl create secret docker-registry` writes it:
// auths keyed by server, with username, password and base64 user:password.
func TestDockerConfigJSON(t *testing.T) {
	var doc struct {
		Auths map[string]map[string]string `json:"auths"`
	}
	if err := json.Unmarshal(DockerConfigJSON("ghcr.io", "robot", "tok"), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"username": "robot", "password": "tok", "auth": "cm9ib3Q6dG9r"}
	for k, v := range want {
		if doc.Auths["ghcr.io"][k] != v {
			t.Errorf("%s = %q, want %q", k, doc.Auths["ghcr.io"][k], v)
		}
	}
}

func TestEnsureRegistry(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "theirs", Namespace: "jenkins"}})
	s := &Store{Client: client}
	l := RegistryLogin{Component: "jenkins", Namespace: "jenkins", Secret: "registry-push-credentials", Server: "ghcr.io", Username: "robot", Password: "tok"}
	if wrote, err := s.EnsureRegistry(ctx, l); err != nil || !wrote {
		t.Fatalf("create: %v %v", wrote, err)
	}
	sec, _ := client.CoreV1().Secrets("jenkins").Get(ctx, l.Secret, metav1.GetOptions{})
	if sec.Type != corev1.SecretTypeDockerConfigJson || !kube.Owned(sec.Labels) || sec.Labels[kube.LabelComponent] != "jenkins" || sec.Annotations[AnnotationRegistry] != "ghcr.io" {
		t.Errorf("secret %+v", sec)
	}
	// The same login again: nothing written.
	if wrote, err := s.EnsureRegistry(ctx, l); err != nil || wrote {
		t.Errorf("re-run wrote=%v err=%v", wrote, err)
	}
	// Another password, asked for: updated.
	l.Password = "tok2"
	if wrote, err := s.EnsureRegistry(ctx, l); err != nil || !wrote {
		t.Errorf("new password wrote=%v err=%v", wrote, err)
	}
	sec, _ = client.CoreV1().Secrets("jenkins").Get(ctx, l.Secret, metav1.GetOptions{})
	if !strings.Contains(string(sec.Data[corev1.DockerConfigJsonKey]), `"password":"tok2"`) {
		t.Errorf("not updated: %s", sec.Data[corev1.DockerConfigJsonKey])
	}
	// A Secret slipway does not own is left alone.
	l.Secret = "theirs"
	if _, err := s.EnsureRegistry(ctx, l); err == nil || !strings.Contains(err.Error(), "secret jenkins/theirs exists but is not managed by slipway") {
		t.Errorf("foreign secret: %v", err)
	}
}

func TestReadRegistryPassword(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if pw, err := ReadRegistryPassword(write("ok", "tok\n")); err != nil || pw != "tok" {
		t.Errorf("ok: %q %v", pw, err)
	}
	long := strings.Repeat("x", 200) // longer than bcrypt's 72: fine for a token
	if pw, err := ReadRegistryPassword(write("long", long)); err != nil || pw != long {
		t.Errorf("long token: %v", err)
	}
	for name, content := range map[string]string{"empty": "\n", "lines": "a\nb\n", "huge": strings.Repeat("x", MaxRegistryPassword+1)} {
		if _, err := ReadRegistryPassword(write(name, content)); err == nil {
			t.Errorf("%s accepted", name)
		} else if strings.Contains(err.Error(), "xxxx") {
			t.Errorf("%s: the value is in the message", name)
		}
	}
}
