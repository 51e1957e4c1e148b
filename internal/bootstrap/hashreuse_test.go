package bootstrap

import (
	"context"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/slipway-dev/slipway/internal/credentials"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/release"
)

// hashRelease is a release whose values hold a bcrypt hash.
type hashRelease struct {
	ReleaseClient
	hash string
}

func (h hashRelease) Get(context.Context, string) (*release.Info, error) {
	return &release.Info{Values: map[string]any{"configs": map[string]any{"secret": map[string]any{"argocdServerAdminPassword": h.hash}}}}, nil
}

type hashReleases struct{ hash string }

func (h hashReleases) For(string) (ReleaseClient, error) { return hashRelease{hash: h.hash}, nil }

var argocd = profile.Component{Name: "argocd", Namespace: "argocd",
	Credentials: &profile.Credentials{Inject: profile.Inject{Bcrypt: []string{"configs.secret.argocdServerAdminPassword"}}}}

// credentialWith is the credential read from a Secret that holds password
// and the MAC of vouched (none if vouched is nil).
func credentialWith(t *testing.T, password string, vouched *credentials.Hash) credentials.Credential {
	t.Helper()
	s := &credentials.Store{Client: fake.NewClientset()}
	cred, err := s.Ensure(context.Background(), credentials.Spec{Component: "argocd", Namespace: "argocd", SecretName: "argocd-admin-credentials",
		Username: "admin", UsernameKey: "username", PasswordKey: "password", Hash: vouched}, password, false)
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// TestPreviousHashTrustsTheSecretsMAC: a hash the Secret's MAC vouches
// for is reused without a bcrypt check (this one is no bcrypt hash at
// all, so only the MAC can have let it through); without a matching MAC
// bcrypt decides, as before.
func TestPreviousHashTrustsTheSecretsMAC(t *testing.T) {
	ctx := context.Background()
	real, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, hash string
		cred       credentials.Credential
		want       string
	}{
		{"vouched by the MAC", "not-a-bcrypt-hash", credentialWith(t, "pw", &credentials.Hash{Password: "pw", Bcrypt: "not-a-bcrypt-hash"}), "not-a-bcrypt-hash"},
		{"no MAC, bcrypt matches", string(real), credentialWith(t, "pw", nil), string(real)},
		{"no MAC, bcrypt does not match", "not-a-bcrypt-hash", credentialWith(t, "pw", nil), ""},
		{"MAC of another hash, bcrypt matches", string(real), credentialWith(t, "pw", &credentials.Hash{Password: "pw", Bcrypt: "other"}), string(real)},
		{"MAC of another hash, bcrypt does not match", "not-a-bcrypt-hash", credentialWith(t, "pw", &credentials.Hash{Password: "pw", Bcrypt: "other"}), ""},
		{"password changed since", string(real), credentialWith(t, "pw2", &credentials.Hash{Password: "pw2", Bcrypt: "x"}), ""},
		{"empty hash", "", credentialWith(t, "pw", &credentials.Hash{Password: "pw", Bcrypt: ""}), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := previousHash(ctx, hashReleases{tc.hash}, argocd, tc.cred); got != tc.want {
				t.Errorf("previousHash %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPlanHash(t *testing.T) {
	prof := &profile.Profile{Components: []profile.Component{argocd, {Name: "jenkins"}}}
	rel := plan.Release{Component: "argocd", Values: map[string]any{"configs": map[string]any{"secret": map[string]any{"argocdServerAdminPassword": "$2a$10$h"}}}}
	if got := planHash(prof, rel); got != "$2a$10$h" {
		t.Errorf("argocd: %q", got)
	}
	for _, rel := range []plan.Release{{Component: "jenkins"}, {Component: "gone"}} {
		if got := planHash(prof, rel); got != "" {
			t.Errorf("%s: %q, want none", rel.Component, got)
		}
	}
	if got := planHash(nil, rel); got != "" {
		t.Errorf("no profile: %q", got)
	}
}
