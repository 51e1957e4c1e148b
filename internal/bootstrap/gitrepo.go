package bootstrap

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/slipway-dev/slipway/internal/gitauth"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/ui"
	"github.com/slipway-dev/slipway/internal/values"
)

// argoKnownHostsPath is where the argo-cd chart takes extra SSH host keys
// for the argocd-ssh-known-hosts-cm ConfigMap it owns (appended to its
// built-in list of GitHub's, GitLab's, … keys). Passing them as a value
// keeps the chart the one writer of that ConfigMap.
const argoKnownHostsPath = "configs.ssh.extraHosts"

// repoAuth is what this run does with the GitOps repository credential.
type repoAuth struct {
	gitauth.Decision
	Component string // the wiring component whose agent reads the Secret
	Agent     string // argocd or flux
	// AgentComponent is the Argo CD component given the host keys.
	AgentComponent string
}

// checkRepoAuth validates the credential flags with the files they name,
// before the cluster is contacted. They need a GitOps wiring component
// in the selected profile.
func checkRepoAuth(opts Options, p *profile.Profile) (*gitauth.Request, error) {
	f := gitauth.Flags{Username: opts.GitOpsUsername, Password: opts.GitOpsPassword, SSHKey: opts.GitOpsSSHKey, KnownHosts: opts.GitOpsKnownHosts}
	req, err := gitauth.Check(f, opts.GitOpsRepo)
	if err != nil {
		return nil, outcome.Input(err)
	}
	if req != nil && wiring(p) == nil {
		return nil, outcome.Input(fmt.Errorf("the GitOps repository credential flags need a GitOps agent, and profile %s@%s as selected has none (%s); drop them or choose an agent with --gitops", p.Name, p.Version, plan.ComponentNames(p)))
	}
	return req, nil
}

// wiring is the component that points the GitOps agent at the repository
// (enabled by --gitops-repo), or nil.
func wiring(p *profile.Profile) *profile.Component {
	for i, c := range p.Components {
		if c.EnabledBy == "gitops-repo" {
			return &p.Components[i]
		}
	}
	return nil
}

// wiringAgent reads the agent and its namespace from the wiring
// component's values (agent: argocd|flux, <agent>.namespace), as the
// wiring chart does.
func wiringAgent(c profile.Component) (agent, ns string) {
	agent, _ = c.Values["agent"].(string)
	ns = c.Namespace
	if m, ok := c.Values[agent].(map[string]any); ok {
		if v, ok := m["namespace"].(string); ok && v != "" {
			ns = v
		}
	}
	return agent, ns
}

// agentComponent is the component of the wiring's group it needs: the
// agent itself (argocd for argocd-repo).
func agentComponent(p *profile.Profile, w profile.Component) string {
	for _, n := range w.Needs {
		for _, c := range p.Components {
			if c.Name == n && c.Group == w.Group {
				return n
			}
		}
	}
	return ""
}

// loadRepoAuth reads the credential kept in the cluster, reads a password
// kept in a Secret, and decides (gitauth.Decide) what this run does. It
// writes nothing. Without a cluster (template, a dry run without one) the
// credential asked for is planned as new.
func loadRepoAuth(ctx context.Context, p *Prepared, req *gitauth.Request, printer *ui.Printer) (*repoAuth, error) {
	w := wiring(p.Profile)
	if w == nil {
		return nil, nil
	}
	agent, ns := wiringAgent(*w)
	ra := &repoAuth{Component: w.Name, Agent: agent, AgentComponent: agentComponent(p.Profile, *w)}
	var store *gitauth.Store
	if p.Cluster != nil {
		store = &gitauth.Store{Client: p.Cluster.Client}
	}
	var desired *corev1.Secret
	if req != nil {
		cred := gitauth.Credential{URL: req.URL, Username: req.Username, Password: req.Password, SSHKey: req.SSHKey, KnownHosts: req.KnownHosts}
		if store != nil {
			var err error
			if cred, err = req.Resolve(ctx, store.Read); err != nil {
				return nil, outcome.Input(err)
			}
		}
		var err error
		if desired, err = gitauth.NewSecret(agent, w.Name, ns, cred); err != nil {
			return nil, outcome.Input(fmt.Errorf("component %s: %w", w.Name, err))
		}
	}
	var existing *corev1.Secret
	if store != nil {
		var err error
		if existing, err = store.Get(ctx, ns, gitauth.SecretName); err != nil {
			return nil, err
		}
	}
	d, err := gitauth.Decide(existing, desired, p.Options.GitOpsRepo)
	if err != nil {
		return nil, outcome.Input(err)
	}
	switch {
	case d.Note != "":
		printer.Warnf("%s: %s", w.Name, d.Note)
	case d.Use && d.Create:
		printer.Infof("%s: the GitOps agent logs in to %s with the credential given, kept in secret %s/%s", w.Name, p.Options.GitOpsRepo, d.Secret.Namespace, d.Secret.Name)
	case d.Use:
		printer.Infof("%s: the GitOps agent logs in to %s with the credential kept in secret %s/%s", w.Name, p.Options.GitOpsRepo, d.Secret.Namespace, d.Secret.Name)
	}
	ra.Decision = d
	return ra, nil
}

// repoAuthValues are the values that make the agent use the credential:
// Flux's GitRepository names the Secret (the wiring chart's
// repo.secretName), Argo CD, which finds the Secret by URL, is given the
// SSH host keys. Nothing is added when no credential is used, so a run
// without one renders what it always did.
func repoAuthValues(ra *repoAuth, out map[string]map[string]any) {
	if ra == nil || !ra.Use {
		return
	}
	set := func(comp, path string, v any) {
		if out[comp] == nil {
			out[comp] = map[string]any{}
		}
		values.SetPath(out[comp], path, v)
	}
	switch ra.Agent {
	case gitauth.AgentFlux:
		set(ra.Component, "repo.secretName", ra.Secret.Name)
	case gitauth.AgentArgoCD:
		if kh := gitauth.KnownHosts(ra.Secret); kh != "" && ra.AgentComponent != "" {
			set(ra.AgentComponent, argoKnownHostsPath, kh)
		}
	}
}

// RepoSecrets creates the GitOps repository credential Secret
// (gitauth.Store implements it).
type RepoSecrets interface {
	Create(ctx context.Context, s *corev1.Secret) error
}

// ensureRepoAuth creates the credential Secret, when this run made it,
// just before the release of the wiring component that uses it.
func (in *installer) ensureRepoAuth(ctx context.Context, comp string) error {
	ra := in.p.RepoAuth
	if ra == nil || ra.Component != comp || !ra.Create {
		return nil
	}
	if in.d.RepoSecrets == nil {
		return errors.New("no way to create the GitOps repository credential Secret")
	}
	return in.d.RepoSecrets.Create(ctx, ra.Secret)
}

// repoAuthSecret is the name of the credential Secret the wiring
// component owns, for the inventory (so that down removes it).
func repoAuthSecret(p *Prepared, comp string) []string {
	if p.RepoAuth == nil || p.RepoAuth.Component != comp || p.RepoAuth.Secret == nil {
		return nil
	}
	return []string{p.RepoAuth.Secret.Name}
}
