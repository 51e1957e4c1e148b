package inventory

import (
	"context"
	"errors"
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
