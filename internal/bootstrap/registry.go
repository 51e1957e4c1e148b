package bootstrap

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/internal/cluster"
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

// registryComponent is the plan's in-cluster registry component, or nil.
func registryComponent(p *Prepared) *profile.Component {
	for _, rel := range p.Plan.Releases {
		if c := p.component(rel.Component); c != nil && c.Registry != nil {
			return c
		}
	}
	return nil
}

// readRegistryAhead returns applied, which for the registry's release
// also starts reading the Service registryNotes reads at the end of up:
// its release is applied by then (so the Service exists), and the read
// is not a round trip of its own after every wait (issue 18).
func readRegistryAhead(ctx context.Context, p *Prepared, rel plan.Release, applied func()) func() {
	c := registryComponent(p)
	if c == nil || p.Cluster == nil || rel.Component != c.Name {
		return applied
	}
	return func() {
		applied()
		p.Cluster.ReadAhead(ctx, func(ctx context.Context) {
			_, _ = p.Cluster.Client.CoreV1().Services(c.Namespace).Get(ctx, releaseName(*c), metav1.GetOptions{})
		})
	}
}

// registryNotes tells the user how images on the in-cluster registry are
// named, and lets the nodes pull them: on the kind cluster up created
// (--create-cluster) it writes each node's containerd hosts.toml for the
// registry's name, pointing at its Service's ClusterIP (nodes reach
// ClusterIPs through kube-proxy but cannot resolve cluster DNS); on any
// other cluster it says what the nodes need.
func registryNotes(ctx context.Context, p *Prepared, d clusterDeps, printer interface{ Infof(string, ...any) }) ([]string, error) {
	c := registryComponent(p)
	if c == nil || p.Cluster == nil {
		return nil, nil
	}
	name := plan.InClusterRegistry(*c)
	var notes []string
	for _, rel := range p.Plan.Releases {
		if rel.Component == c.Name && rel.URL != "" {
			notes = append(notes, fmt.Sprintf("Registry: %s from this machine (docker push %s/NAME:TAG), %s inside the cluster; the sample pipeline pushes %s/%s:<build>-<commit>.",
				rel.URL, rel.Host, name, name, plan.SampleImage))
		}
	}
	svc, err := p.Cluster.Client.CoreV1().Services(c.Namespace).Get(ctx, releaseName(*c), metav1.GetOptions{})
	if err != nil {
		return notes, fmt.Errorf("%s: read its Service to configure the nodes' pulls: %w", c.Name, err)
	}
	endpoint := fmt.Sprintf("%s:%d", svc.Spec.ClusterIP, c.Registry.Port)
	if !p.Options.CreateCluster {
		fix := "kind clusters made by `slipway up --create-cluster` get it"
		if kind, ok := strings.CutPrefix(p.Cluster.Context, "kind-"); ok && kind != "" {
			// A kind cluster slipway may have made with `slipway cluster
			// create` (which sets containerd's config_path): up writes the
			// file only when asked, as it cannot tell who made the cluster.
			fix = fmt.Sprintf("for kind cluster %s made by slipway, `slipway up --create-cluster --cluster-name %s` writes it", kind, kind)
		}
		return append(notes, fmt.Sprintf("Nodes pull images named %s/NAME:TAG only once their container runtime maps that name to http://%s: with containerd, a %s holding %q on every node (%s), or an insecure-registry setting for that name.",
			name, endpoint, cluster.HostsPath(name), strings.TrimSpace(cluster.HostsTOML(endpoint)), fix)), nil
	}
	prov, err := d.provider("", printer.Infof)
	if err != nil {
		return notes, err
	}
	mgr := &cluster.Manager{Provider: prov}
	n, err := mgr.ConfigureRegistry(clusterName(p.Options.Cluster), name, endpoint)
	if err != nil {
		return notes, err
	}
	return append(notes, fmt.Sprintf("The cluster's %d node(s) pull %s/NAME:TAG from the registry (containerd hosts.toml): kubectl run sample-app --restart=Never --image %s/%s:TAG", n, name, name, plan.SampleImage)), nil
}

func clusterName(o ClusterOptions) string {
	if o.Name == "" {
		return cluster.DefaultName
	}
	return o.Name
}
