package credentials

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/outcome"
)

// TestEnsureAdopt (issue 17, item 6): with --adopt a Secret slipway did
// not make is taken over: its password and its owner's labels are kept,
// slipway's labels and annotations are added, and a dry run (prepare)
// writes nothing. A foreign Secret without a password under the
// profile's key, or a --password that differs from the one it holds, is
// bad input.
func TestEnsureAdopt(t *testing.T) {
	ctx := context.Background()
	foreign := func(data map[string][]byte) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "jenkins-admin", Namespace: "jenkins", Labels: map[string]string{"team": "ci"}}, Data: data}
	}
	adopting := spec()
	adopting.Adopt = true

	client := fake.NewClientset(foreign(map[string][]byte{"jenkins-admin-password": []byte("theirs-kept")}))
	s := &Store{Client: client, Now: clock}
	c, err := s.Ensure(ctx, adopting, "", true)
	if err != nil || c.Password != "theirs-kept" {
		t.Fatalf("dry run: %+v, %v", c, err)
	}
	if got, _ := client.CoreV1().Secrets("jenkins").Get(ctx, "jenkins-admin", metav1.GetOptions{}); kube.Owned(got.Labels) {
		t.Fatalf("a dry run labelled the Secret: %v", got.Labels)
	}
	if c, err = s.Ensure(ctx, adopting, "", false); err != nil || c.Password != "theirs-kept" || c.Username != "admin" {
		t.Fatalf("adopt: %+v, %v", c, err)
	}
	got, err := client.CoreV1().Secrets("jenkins").Get(ctx, "jenkins-admin", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !kube.Owned(got.Labels) || got.Labels[kube.LabelComponent] != "jenkins" || got.Labels["team"] != "ci" {
		t.Errorf("labels after adopt: %v", got.Labels)
	}
	if got.Annotations[AnnotationPassKey] != "jenkins-admin-password" || got.Annotations[AnnotationURL] != spec().URL ||
		string(got.Data["jenkins-admin-password"]) != "theirs-kept" || string(got.Data["jenkins-admin-user"]) != "admin" {
		t.Errorf("after adopt: annotations %v, data %v", got.Annotations, got.Data)
	}
	// Now slipway's: a plain Ensure keeps it without --adopt.
	if c, err = s.Ensure(ctx, spec(), "", false); err != nil || c.Password != "theirs-kept" {
		t.Errorf("ensure after adopt: %+v, %v", c, err)
	}

	for name, tc := range map[string]struct {
		data     map[string][]byte
		provided string
		want     string
	}{
		"no password": {data: map[string][]byte{"other": []byte("x")}, want: `--adopt: secret jenkins/jenkins-admin has no password under key "jenkins-admin-password", which component jenkins reads`},
		"another --password": {data: map[string][]byte{"jenkins-admin-password": []byte("theirs")}, provided: "mine",
			want: "--adopt: secret jenkins/jenkins-admin already holds a password for component jenkins"},
	} {
		s := &Store{Client: fake.NewClientset(foreign(tc.data)), Now: clock}
		_, err := s.Ensure(ctx, adopting, tc.provided, false)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, outcome.ErrInput) {
			t.Errorf("%s: err = %v, want %q marked as bad input (exit 2)", name, err, tc.want)
		}
	}
}
