package inventory

import (
	"context"
	"errors"
	"slices"
	"testing"

	"k8s.io/client-go/kubernetes/fake"
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
// change is a read and an update.
func TestUpsertUnchangedIsOneRead(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset()
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
	if got, want := verbs(), []string{"get configmaps", "create namespaces", "create configmaps"}; !slices.Equal(got, want) {
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
