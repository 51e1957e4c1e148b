package credentials

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/slipway-dev/slipway/internal/kube"
)

// TestListKeptListsAtOnce: every namespace's list is in flight before any
// is answered (the server holds each answer until all have arrived), a
// forbidden namespace is told in the order given, admin Secrets are left
// out, and the result is sorted by namespace and name.
func TestListKeptListsAtOnce(t *testing.T) {
	namespaces := []string{"argocd", "jenkins", "locked", "registry"}
	var (
		mu      sync.Mutex
		arrived int
		all     = make(chan struct{})
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ns := strings.Split(r.URL.Path, "/")[4] // /api/v1/namespaces/NS/secrets
		mu.Lock()
		if arrived++; arrived == len(namespaces) {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
		case <-time.After(10 * time.Second):
			http.Error(w, "the other lists never came: listed one after the other", http.StatusGatewayTimeout)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if ns == "locked" {
			w.WriteHeader(http.StatusForbidden)
			json.NewEncoder(w).Encode(metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusFailure, Reason: metav1.StatusReasonForbidden, Code: http.StatusForbidden})
			return
		}
		secret := func(name, kind string) corev1.Secret {
			return corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{kube.LabelCredentialKind: kind}}}
		}
		list := corev1.SecretList{TypeMeta: metav1.TypeMeta{Kind: "SecretList", APIVersion: "v1"},
			Items: []corev1.Secret{secret("b-login", kube.KindGitRepository), secret("a-admin", kube.KindAdmin), secret("a-pull", kube.KindRegistry)}}
		json.NewEncoder(w).Encode(list)
	}))
	defer srv.Close()
	client, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	var denied []string
	got, err := ListKept(context.Background(), client, namespaces, func(ns string) { denied = append(denied, ns) })
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Namespace+"/"+s.Name)
	}
	want := []string{"argocd/a-pull", "argocd/b-login", "jenkins/a-pull", "jenkins/b-login", "registry/a-pull", "registry/b-login"}
	if !slices.Equal(names, want) {
		t.Errorf("listed %v, want %v", names, want)
	}
	if !slices.Equal(denied, []string{"locked"}) {
		t.Errorf("forbidden told for %v, want [locked]", denied)
	}
}
