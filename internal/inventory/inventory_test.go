package inventory

import (
	"context"
	"errors"
	"slices"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func TestUpsertLoadRemove(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset()
	if _, err := Load(ctx, c); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty cluster: %v", err)
	}
	if err := Upsert(ctx, c, Entry{Component: "jenkins", Namespace: "jenkins", Version: "1"}, Entry{Component: "argocd"}); err != nil {
		t.Fatal(err)
	}
	if err := Upsert(ctx, c, Entry{Component: "jenkins", Namespace: "jenkins", Version: "2"}); err != nil {
		t.Fatal(err)
	}
	got, err := Load(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Component != "argocd" || got[1].Version != "2" {
		t.Fatalf("got %+v", got)
	}
	if err := Remove(ctx, c, "argocd", "jenkins"); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(ctx, c); !errors.Is(err, ErrEmpty) {
		t.Fatalf("after remove: %v", err)
	}
}

// TestUpsertUnchangedIsOneRead: recording what the inventory already
// holds (a no-op up) is one read, no namespace create and no write; a
// change is a read and an update; the namespace is made only when the
// first create finds it missing.
func TestUpsertUnchangedIsOneRead(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset()
	// As the API server does: no object in a namespace that is missing.
	c.PrependReactor("create", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if _, err := c.Tracker().Get(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, "", a.GetNamespace()); err != nil {
			return true, nil, apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, a.GetNamespace())
		}
		return false, nil, nil
	})
	e := Entry{Component: "jenkins", Namespace: "jenkins", Version: "1"}
	if err := Upsert(ctx, c, e); err != nil {
		t.Fatal(err)
	}
	verbs := func() []string {
		var out []string
		for _, a := range c.Actions() {
			out = append(out, a.GetVerb()+" "+a.GetResource().Resource)
		}
		c.ClearActions()
		return out
	}
	if got, want := verbs(), []string{"get configmaps", "create configmaps", "create namespaces", "create configmaps"}; !slices.Equal(got, want) {
		t.Errorf("first record: %v, want %v", got, want)
	}
	if err := Upsert(ctx, c, e); err != nil {
		t.Fatal(err)
	}
	if got, want := verbs(), []string{"get configmaps"}; !slices.Equal(got, want) {
		t.Errorf("unchanged record: %v, want %v", got, want)
	}
	e.Version = "2"
	if err := Upsert(ctx, c, e); err != nil {
		t.Fatal(err)
	}
	if got, want := verbs(), []string{"get configmaps", "update configmaps"}; !slices.Equal(got, want) {
		t.Errorf("changed record: %v, want %v", got, want)
	}
}
