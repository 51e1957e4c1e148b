package bootstrap

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/internal/credentials"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/profile"
)

// pipelineComponent is the profile's component with a sample pipeline,
// or nil.
func pipelineComponent(p *profile.Profile) *profile.Component {
	for i := range p.Components {
		if p.Components[i].Pipeline != nil {
			return &p.Components[i]
		}
	}
	return nil
}

// userRegistry is --registry as the planner takes it.
func userRegistry(o Options) plan.UserRegistry {
	return plan.UserRegistry{Ref: o.Registry, Login: o.RegistryUsername != ""}
}

// loadRegistryLogin reads --registry-password (a file, or a Secret on
// the cluster) into the login the pipeline's docker-registry Secret will
// hold; nil without --registry-username, or when the profile has no
// pipeline to use it. A dry run without a cluster cannot read a Secret:
// the login then has no password, and nothing is written anyway.
func loadRegistryLogin(ctx context.Context, p *Prepared, ov *overrides) (*credentials.RegistryLogin, error) {
	c := pipelineComponent(p.Profile)
	if c == nil || p.Options.RegistryUsername == "" || ov.registryPassword == nil {
		return nil, nil
	}
	login := &credentials.RegistryLogin{
		Component: c.Name, Namespace: c.Namespace, Secret: c.Pipeline.SecretName,
		Server: plan.RegistryServer(p.Options.Registry), Username: p.Options.RegistryUsername,
	}
	src := *ov.registryPassword
	var err error
	switch {
	case src.file != "":
		login.Password, err = credentials.ReadRegistryPassword(src.file)
	case p.Cluster != nil:
		login.Password, err = registryPasswordFromSecret(ctx, p, src)
	}
	return login, err
}

func registryPasswordFromSecret(ctx context.Context, p *Prepared, src passwordSource) (string, error) {
	what := fmt.Sprintf("--registry-password secret:%s/%s", src.secretNS, src.secret)
	sec, err := p.Cluster.Client.CoreV1().Secrets(src.secretNS).Get(ctx, src.secret, metav1.GetOptions{})
	if err != nil {
		return "", outcome.Input(fmt.Errorf("%s: %w", what, err))
	}
	pw, ok := sec.Data[src.secretKey]
	if !ok {
		return "", outcome.Input(fmt.Errorf("%s: the secret has no key %q (keys: %s)", what, src.secretKey, strings.Join(slices.Sorted(maps.Keys(sec.Data)), ", ")))
	}
	return credentials.CheckRegistryPassword(what, string(pw))
}
