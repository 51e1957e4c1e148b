package app

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/slipway-dev/slipway/internal/credentials"
	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/report"
)

// TestReadCredentialsKinds: the admin logins through the inventory, and
// the credentials slipway keeps for the user found by label: the GitOps
// repository's (username/password under annotated keys, or an SSH key)
// and a registry's docker-registry Secret.
func TestReadCredentialsKinds(t *testing.T) {
	ctx := context.Background()
	owned := func(comp, kind string) map[string]string {
		return map[string]string{kube.LabelManagedBy: kube.ManagedBy, kube.LabelComponent: comp, kube.LabelCredentialKind: kind}
	}
	client := fake.NewClientset(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "jenkins-admin", Namespace: "jenkins", Labels: map[string]string{kube.LabelManagedBy: kube.ManagedBy, kube.LabelComponent: "jenkins"},
			Annotations: map[string]string{credentials.AnnotationUserKey: "user", credentials.AnnotationPassKey: "pass", credentials.AnnotationURL: "http://jenkins.127.0.0.1.sslip.io"}},
			Data: map[string][]byte{"user": []byte("admin"), "pass": []byte("s3cret-admin")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "slipway-gitops-repo", Namespace: "argocd", Labels: owned("argocd-repo", kube.KindGitRepository),
			Annotations: map[string]string{credentials.AnnotationUserKey: "username", credentials.AnnotationPassKey: "password", credentials.AnnotationURL: "https://git.example/p.git"}},
			Data: map[string][]byte{"username": []byte("bot"), "password": []byte("tok")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "registry-credentials", Namespace: "jenkins", Labels: owned("jenkins", kube.KindRegistry),
			Annotations: map[string]string{credentials.AnnotationURL: "registry.example/team"}},
			Type: corev1.SecretTypeDockerConfigJson,
			Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{"registry.example":{"username":"pusher","password":"reg-pw"}}}`)}},
		// Not slipway's: never listed.
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "theirs", Namespace: "argocd", Labels: map[string]string{kube.LabelCredentialKind: kube.KindGitRepository}}},
	)
	if err := inventory.Upsert(ctx, client,
		inventory.Entry{Component: "jenkins", Namespace: "jenkins", Release: "jenkins", Secret: "jenkins-admin"},
		inventory.Entry{Component: "argocd-repo", Namespace: "argocd", Release: "argocd-repo", Generated: []string{"slipway-gitops-repo"}},
	); err != nil {
		t.Fatal(err)
	}
	entries, err := inventory.Load(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	cluster := &kube.Cluster{Context: "test", Client: client}
	rows, err := readCredentials(ctx, cluster, entries, nil, "", func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	want := []report.Credential{
		{Component: "jenkins", Kind: "admin", Namespace: "jenkins", Secret: "jenkins-admin", URL: "http://jenkins.127.0.0.1.sslip.io", Username: "admin", Password: "s3cret-admin"},
		{Component: "argocd-repo", Kind: "gitops-repository", Namespace: "argocd", Secret: "slipway-gitops-repo", URL: "https://git.example/p.git", Username: "bot", Password: "tok"},
		{Component: "jenkins", Kind: "registry", Namespace: "jenkins", Secret: "registry-credentials", URL: "registry.example/team", Username: "pusher", Password: "reg-pw"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v", rows)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d: %+v\nwant   %+v", i, rows[i], want[i])
		}
	}

	rows, err = readCredentials(ctx, cluster, entries, []string{"argocd-repo"}, "", nil)
	if err != nil || len(rows) != 1 || rows[0].Kind != kube.KindGitRepository {
		t.Errorf("named wiring component: %+v, %v", rows, err)
	}
	rows, err = readCredentials(ctx, cluster, entries, []string{"jenkins"}, kube.KindRegistry, nil)
	if err != nil || len(rows) != 1 || rows[0].Username != "pusher" {
		t.Errorf("--kind registry: %+v, %v", rows, err)
	}
	_, err = readCredentials(ctx, cluster, entries, []string{"argocd-repo"}, kube.KindAdmin, nil)
	if err == nil || !strings.Contains(err.Error(), `component "argocd-repo" has no admin credential kept by slipway`) {
		t.Errorf("--kind admin of the wiring: %v", err)
	}
}
