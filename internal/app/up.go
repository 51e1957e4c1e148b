package app

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/slipway-dev/slipway/internal/bootstrap"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/internal/ui"
)

// waitForLockFlag is shared by the commands that hold the run lock.
func waitForLockFlag() cli.Flag {
	return &cli.BoolFlag{Name: "wait-for-lock", Usage: "when another slipway run holds the cluster's run lock, wait for it (up to --timeout) instead of exiting 1"}
}

// kubeFlags are shared by every command that talks to a cluster.
func kubeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "kubeconfig", Usage: "kubeconfig `FILE` (default: $KUBECONFIG or ~/.kube/config)", TakesFile: true},
		&cli.StringFlag{Name: "context", Usage: "kubeconfig `CONTEXT` to use (default: $HELM_KUBECONTEXT, else the current context)", Sources: cli.EnvVars("HELM_KUBECONTEXT")},
	}
}

func kubeOptions(cmd *cli.Command) kube.Options {
	return kube.Options{Kubeconfig: cmd.String("kubeconfig"), Context: cmd.String("context")}
}

func outputFlag() cli.Flag {
	return &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "result format on stdout: `table`, json or yaml"}
}

func upCommand() *cli.Command {
	return &cli.Command{
		Name:  "up",
		Usage: "install or upgrade the platform from a profile and wait until it is ready",
		Description: `up resolves every chart of the profile to one exact version, merges values
(profile defaults < generated < -f files < --set), installs or upgrades the
releases with the Helm SDK (independent components in parallel, in "needs"
order), waits for every resource to be ready, and prints the URLs and admin
credentials. Re-running it is safe: passwords are never rotated.

A component starts when the components it needs are Ready, or as soon as
they are installed when their profile says "dependentsStart: installed"
(default@1.1.0 and later: Jenkins and Argo CD install while Traefik's pod starts;
ingress-nginx's dependents wait for its admission webhook to be Ready).

Before installing, preflight checks that every chart supports the
cluster's Kubernetes version, that the nodes can allocate the memory the
workloads request, and that the node the ingress binds to
(ingress-ready=true) exists; every failure is listed (exit 2) and nothing
is changed. It also warns when the hostnames do not resolve to --ip.
--skip-preflight skips these checks.

--create-cluster first creates a kind cluster (Docker or Podman needed;
a no-op if it exists) from the built-in kind-config.yaml or --kind-config,
and installs into its context kind-NAME. Its nodes then pull from the
in-cluster registry (default@1.4.0 and later): up writes each node's
containerd hosts.toml for the registry's name.

The sample pipeline pushes to the in-cluster registry, or with --registry
to yours (--registry-username and --registry-password make the
docker-registry Secret it logs in with; never rotated by a re-run, removed
by down); with neither it says so and its Push stage fails.

Progress goes to stderr; the result table (or -o json) to stdout.

Examples:
  slipway up
  slipway up --create-cluster
  slipway up --create-cluster --cluster-name dev --kind-config my-kind.yaml
  slipway up --ip auto                    # 127.0.0.1 on kind, else the load balancer or node address
  slipway up --profile default@1.0.0 --gitops flux
  slipway up --set jenkins.controller.numExecutors=2 -f jenkins=my-values.yaml
  slipway up --without argocd --ip 192.168.1.20
  slipway up --registry ghcr.io/me --registry-username me --registry-password @token.txt
  slipway up --chart-mirror oci://registry.local/charts --timeout 20m
  slipway up --dry-run -o json
  slipway up --lock slipway.lock            # record exact versions and digests
  slipway up --locked slipway.lock          # install exactly those, or fail before changing anything
  slipway up --offline                      # charts from the cache only (a second up downloads none anyway)
  slipway up --bundle platform.tgz          # from slipway bundle create: no network at all
  slipway up --bundle platform.tgz --locked platform.lock   # and only if it is the bundle that lock pins
  slipway up --gitops-repo https://git.example/org/platform.git --gitops-username bot --gitops-password @token.txt
  slipway up --gitops-repo git@git.example:org/platform.git --gitops-ssh-key deploy-key --gitops-known-hosts known_hosts

Charts are cached by digest (--cache-dir), so a re-run downloads no chart
(a repository's index is still read to resolve constraints, unless
--offline). With --bundle or --locked and no --profile, the lock's profile
and version are used. A bundle proves only that it agrees with its own
lock, not who made it: with --bundle B --locked L, B is refused (exit 2,
nothing changed) unless its lock pins the same components, chart versions
and digests (and images.txt) as L, a lock you keep apart from the bundle
(slipway bundle create --lock). Private repositories: the logins of Helm's
repositories.yaml and registry config are used (helm repo add --username,
helm registry login).

A private GitOps repository: --gitops-username with --gitops-password
(HTTPS), or --gitops-ssh-key with --gitops-known-hosts (SSH; host key
checking is never turned off). slipway keeps the credential in a Secret it
owns (Argo CD: a repository Secret in its namespace; Flux: the Secret the
GitRepository's secretRef names), never in Helm values; a re-run without
the flags keeps using it, and down removes it. slipway credentials lists it.

up changes only what slipway installed: a Helm release of a component's
name whose latest revision lacks the label slipway.dev/component=<name>,
or a credentials Secret without app.kubernetes.io/managed-by=slipway, was
made by someone else, and up refuses it (exit 2, nothing changed) unless
--adopt: the release is then upgraded with the plan's values (its own are
replaced) and labelled, and the Secret is labelled and its password kept.
down and credentials rotate never touch what lacks slipway's labels.

One slipway run at a time changes a cluster: up, down and credentials
rotate hold a lock (the Lease slipway-system/slipway-run) while they run.
A second run is told who holds it and since when (exit 1), or waits for it
with --wait-for-lock. A holder that was killed loses it 30s after its last
renewal (at once, to a run on the same machine).

Exit codes: 0 ready, 1 failed (or the run lock is held by another run), 2 bad input or a chart that cannot be used
(missing from the cache with --offline, a digest that differs from the lock,
a damaged bundle; nothing was changed), 124 not ready within --timeout,
130 interrupted.`,
		Flags: categorized(append([]cli.Flag{
			&cli.StringFlag{Name: "profile", Aliases: []string{"p"}, Value: "default", Usage: "profile `NAME[@VERSION]` (a version or a constraint like @~1.0), or a profile file path"},
			&cli.StringSliceFlag{Name: "set", Usage: "set a chart value: `COMPONENT.KEY=VALUE` (Helm --set syntax after the component name; repeatable)"},
			&cli.StringSliceFlag{Name: "values", Aliases: []string{"f"}, Usage: "values file for one component: `COMPONENT=FILE` (repeatable, later files win)", TakesFile: true},
			&cli.StringSliceFlag{Name: "without", Usage: "leave `COMPONENT` out (repeatable)"},
			&cli.StringFlag{Name: "ingress", Usage: "ingress controller: `traefik`, nginx or none (default: the profile's choice)"},
			&cli.StringFlag{Name: "gitops", Usage: "GitOps agent: `argocd`, flux or none (default: the profile's choice)"},
			&cli.StringSliceFlag{Name: "password", Usage: "bring your own admin password: `COMPONENT=@FILE` or COMPONENT=secret:NAMESPACE/NAME (never a plain value: it would land in shell history)"},
			&cli.StringFlag{Name: "domain", Value: "sslip.io", Usage: "wildcard DNS `DOMAIN` for hostnames <prefix>.<ip>.<domain>"},
			&cli.StringFlag{Name: "ip", Value: "127.0.0.1", Usage: "`IP` the hostnames resolve to (127.0.0.1 with kind's port mappings), or auto: 127.0.0.1 on kind, else the ingress load balancer's address, else the ingress-ready node's InternalIP"},
			&cli.StringFlag{Name: "chart-mirror", Usage: "look every chart up by name under this `URL` (classic repo URL or oci://host/path)"},
			&cli.StringFlag{Name: "charts-dir", Usage: "look every chart up by name in this `DIR` (chart directories or .tgz files)", TakesFile: true},
			&cli.BoolFlag{Name: "offline", Usage: "no chart downloads: charts only from the cache (filled by earlier runs) and local files; fails (exit 2) naming what is missing"},
			&cli.StringFlag{Name: "cache-dir", Usage: "chart cache `DIR` (default: $SLIPWAY_CACHE_DIR, else <user cache dir>/slipway/charts)", TakesFile: true},
			&cli.StringFlag{Name: "lock", Usage: "after a successful up, write the exact chart versions, sources and digests to `FILE` (e.g. slipway.lock; with --dry-run, of what would be installed)", TakesFile: true},
			&cli.StringFlag{Name: "locked", Usage: "install exactly the charts of lock `FILE`; any digest that differs fails before the cluster is changed (with --bundle: the bundle's lock must pin exactly what FILE pins)", TakesFile: true},
			&cli.StringFlag{Name: "bundle", Usage: "install from bundle `FILE` (slipway bundle create): charts and versions from it, no network; it is checked against its own lock, which proves no origin: add --locked to pin it", TakesFile: true},
			&cli.StringFlag{Name: "registry-config", Usage: "Helm registry login `FILE` for OCI charts (default: $HELM_REGISTRY_CONFIG, else Helm's)", TakesFile: true},
			&cli.StringFlag{Name: "repository-config", Usage: "Helm repositories.yaml `FILE` whose logins and TLS files apply to matching repository URLs (default: $HELM_REPOSITORY_CONFIG, else Helm's)", TakesFile: true},
			&cli.StringFlag{Name: "gitops-repo", Usage: "Git `URL` the GitOps agent syncs from (default: agent installed and idle)"},
			&cli.StringFlag{Name: "gitops-path", Value: ".", Usage: "`PATH` inside the GitOps repo"},
			&cli.StringFlag{Name: "gitops-revision", Value: "main", Usage: "`REV` to sync: a branch (main), a tag written refs/tags/v1.2.3 (a bare tag name is taken as a branch by Flux), or a full commit hash"},
			&cli.StringFlag{Name: "registry", Usage: "the sample pipeline pushes to your own registry `HOST[:PORT][/PATH]` instead of the in-cluster one (default@1.4.0 and later), which is then left out"},
			&cli.StringFlag{Name: "registry-username", Usage: "`USER` the pipeline logs in to --registry with"},
			&cli.StringFlag{Name: "registry-password", Usage: "password or token for --registry-username: `@FILE` or secret:NAMESPACE/NAME[:KEY] (never a plain value); kept in a docker-registry Secret in the CI server's namespace"},
			&cli.BoolFlag{Name: "in-cluster-registry", Usage: "keep the in-cluster registry with --registry"},
			&cli.StringFlag{Name: "gitops-username", Usage: "user `NAME` for a private --gitops-repo over HTTPS, with --gitops-password"},
			&cli.StringFlag{Name: "gitops-password", Usage: "password or token for --gitops-username: `@FILE` or secret:NAMESPACE/NAME[:KEY] (never a plain value)"},
			&cli.StringFlag{Name: "gitops-ssh-key", Usage: "private key `FILE` (no passphrase, mode 0600) for a private --gitops-repo over SSH, with --gitops-known-hosts", TakesFile: true},
			&cli.StringFlag{Name: "gitops-known-hosts", Usage: "known_hosts `FILE` with the Git server's host keys, for --gitops-ssh-key (e.g. from ssh-keyscan HOST)", TakesFile: true},
			&cli.BoolFlag{Name: "dry-run", Usage: "print the plan and render the charts without touching the cluster"},
			&cli.BoolFlag{Name: "create-cluster", Usage: "create a kind cluster first (a no-op if it exists) and install into it"},
			&cli.StringFlag{Name: "cluster-name", Value: "slipway", Usage: "kind cluster `NAME` for --create-cluster"},
			&cli.StringFlag{Name: "kind-config", Usage: "kind configuration `FILE` for --create-cluster (default: the built-in kind-config.yaml)", TakesFile: true},
			&cli.BoolFlag{Name: "skip-preflight", Usage: "skip the checks before creating the cluster and before installing (Kubernetes version, memory, ingress node, DNS, container engine, host ports)"},
			&cli.BoolFlag{Name: "rollback-on-failure", Usage: "roll a failed upgrade back to the last good revision (default: leave it for inspection)"},
			waitForLockFlag(),
			&cli.BoolFlag{Name: "adopt", Usage: "take over existing Helm releases and credentials Secrets of the profile's names that slipway did not install (without it, up refuses them: exit 2)"},
			&cli.DurationFlag{Name: "timeout", Value: 15 * time.Minute, Usage: "overall time to wait for readiness, e.g. `20m`"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress on stderr (warnings and errors still show)"},
			outputFlag(),
			showPasswordsFlag(),
		}, kubeFlags()...)),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			format, err := report.ParseFormat(cmd.String("output"))
			if err != nil {
				return usageError("%v", err)
			}
			opts, err := upOptions(cmd)
			if err != nil {
				return err
			}
			opts.RollbackOnFailure = cmd.Bool("rollback-on-failure")
			opts.CreateCluster, opts.SkipPreflight = cmd.Bool("create-cluster"), cmd.Bool("skip-preflight")
			opts.Cluster = bootstrap.ClusterOptions{Name: cmd.String("cluster-name"), ConfigFile: cmd.String("kind-config"), Wait: 5 * time.Minute}
			printer := ui.New(cmd.Root().ErrWriter, cmd.Bool("quiet"))
			res, err := bootstrap.Up(ctx, opts, printer)
			if res != nil {
				if !cmd.Bool("show-passwords") && !isTerminal(cmd.Root().Writer) && maskPasswords(res) {
					printer.Infof("passwords hidden because stdout is not a terminal: `slipway credentials` prints them (or up --show-passwords)")
				}
				if werr := report.WriteUp(cmd.Root().Writer, format, *res); werr != nil && err == nil {
					err = werr
				}
			}
			return exitCodeFor(ctx, err)
		},
	}
}

// upOptions reads the flags shared by up, diff and template.
func upOptions(cmd *cli.Command) (bootstrap.Options, error) {
	if cmd.Args().Len() > 0 {
		return bootstrap.Options{}, usageError("%s takes no arguments, got %q; did you mean --profile %s?", cmd.Name, strings.Join(cmd.Args().Slice(), " "), cmd.Args().First())
	}
	if err := checkPlanFlags(cmd); err != nil {
		return bootstrap.Options{}, err
	}
	choices := map[string]string{}
	for _, group := range []string{"ingress", "gitops"} {
		if v := cmd.String(group); v != "" {
			choices[group] = v
		}
	}
	profile := cmd.String("profile")
	if !cmd.IsSet("profile") && (cmd.String("bundle") != "" || cmd.String("locked") != "") {
		profile = "" // the lock's own profile and version
	}
	return bootstrap.Options{
		Profile: profile, Choices: choices, Without: cmd.StringSlice("without"),
		Sets: cmd.StringSlice("set"), ValuesFiles: cmd.StringSlice("values"), Passwords: cmd.StringSlice("password"),
		Domain: cmd.String("domain"), IP: canonicalIP(cmd.String("ip")),
		ChartMirror: cmd.String("chart-mirror"), ChartsDir: cmd.String("charts-dir"),
		Offline: cmd.Bool("offline"), CacheDir: cmd.String("cache-dir"),
		RegistryConfig: cmd.String("registry-config"), RepositoryConfig: cmd.String("repository-config"),
		Lock: cmd.String("lock"), Locked: cmd.String("locked"), Bundle: cmd.String("bundle"),
		GitOpsRepo: cmd.String("gitops-repo"), GitOpsPath: cmd.String("gitops-path"), GitOpsRevision: cmd.String("gitops-revision"),
		Registry: cmd.String("registry"), RegistryUsername: cmd.String("registry-username"), RegistryPassword: cmd.String("registry-password"),
		InClusterRegistry: cmd.Bool("in-cluster-registry"),
		GitOpsUsername:    cmd.String("gitops-username"), GitOpsPassword: cmd.String("gitops-password"),
		GitOpsSSHKey: cmd.String("gitops-ssh-key"), GitOpsKnownHosts: cmd.String("gitops-known-hosts"),
		DryRun: cmd.Bool("dry-run"), Timeout: cmd.Duration("timeout"),
		Kube: kubeOptions(cmd), WaitForLock: cmd.Bool("wait-for-lock"), Adopt: cmd.Bool("adopt"),
	}, nil
}

// checkPlanFlags refuses values of --ip, --domain and --timeout that
// parse but cannot work (issue 17, item 8), all together, before a
// cluster is created or a chart is looked at. Defaults are valid; a
// command without one of these flags (bundle create) has nothing to check.
func checkPlanFlags(cmd *cli.Command) error {
	var errs []error
	if cmd.IsSet("ip") && cmd.String("ip") != "auto" {
		errs = append(errs, plan.CheckIP(cmd.String("ip")))
	}
	if cmd.IsSet("domain") {
		errs = append(errs, plan.CheckDomain(cmd.String("domain")))
	}
	if cmd.IsSet("timeout") {
		errs = append(errs, checkTimeout(cmd.Duration("timeout")))
	}
	errs = append(errs, checkRegistryFlags(cmd.String("registry"), cmd.String("registry-username"), cmd.String("registry-password")))
	if err := errors.Join(errs...); err != nil {
		return usageError("%w", err)
	}
	return nil
}

// checkRegistryFlags refuses a --registry that is not HOST[:PORT][/PATH]
// and a login without a registry or half a login. The password's form
// is checked where it is read (bootstrap), with --password's rules.
func checkRegistryFlags(registry, username, password string) error {
	var errs []error
	if registry != "" {
		errs = append(errs, plan.CheckRegistry(registry))
	}
	switch {
	case registry == "" && (username != "" || password != ""):
		errs = append(errs, errors.New("--registry-username and --registry-password log in to your own registry: give --registry HOST[/PATH] too"))
	case (username == "") != (password == ""):
		errs = append(errs, errors.New("--registry-username and --registry-password go together: give both, or neither for a registry that takes pushes without a login"))
	case username != "" && (len(username) > 255 || strings.ContainsAny(username, ":\r\n\t ")):
		errs = append(errs, fmt.Errorf("--registry-username: a user name has no ':', spaces or line breaks and at most 255 characters"))
	}
	return errors.Join(errs...)
}

// canonicalIP spells an address the way resolvers answer it (2001:db8::1,
// not 2001:DB8:0::1), so preflight's DNS check compares like with like;
// "auto" stays as it is.
func canonicalIP(ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil {
		return a.Unmap().String()
	}
	return ip
}

// checkTimeout refuses a budget that has run out before anything starts.
func checkTimeout(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("--timeout %s: the time to wait must be positive, e.g. --timeout 20m", d)
	}
	return nil
}

// exitCodeFor maps bootstrap errors onto the documented exit codes.
func exitCodeFor(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, outcome.ErrInput), errors.Is(err, outcome.ErrAborted):
		return withCode(2, err)
	case errors.Is(err, outcome.ErrTimeout):
		return withCode(124, err)
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return withCode(130, err)
	default:
		return withCode(1, err)
	}
}
