package app

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/slipway-dev/slipway/internal/bootstrap"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/internal/ui"
)

// addWaitForLockFlag is shared by the commands that hold the run lock.
func addWaitForLockFlag(fs *pflag.FlagSet) {
	fs.Bool("wait-for-lock", false, "when another slipway run holds the cluster's run lock, wait for it (up to --timeout) instead of exiting 1")
}

func addOutputFlag(fs *pflag.FlagSet, def string) {
	fs.StringP("output", "o", def, "result format on stdout: `table`, json or yaml")
}

// upFlags are up's own flags, the kube flags aside; diff, template and
// bundle take theirs from here.
func upFlags() *pflag.FlagSet {
	return newFlags(func(fs *pflag.FlagSet) {
		fs.StringP("profile", "p", "default", "profile `NAME[@VERSION]` (a version or a constraint like @~1.0), or a profile file path")
		fs.StringArrayP("set", "", nil, "set a chart value: `COMPONENT.KEY=VALUE` (Helm --set syntax after the component name; repeatable)")
		fs.StringSliceP("values", "f", nil, "values file for one component: `COMPONENT=FILE` (repeatable, later files win)")
		fs.StringSliceP("without", "", nil, "leave `COMPONENT` out (repeatable)")
		fs.StringP("ingress", "", "", "ingress controller: `traefik`, nginx or none (default: the profile's choice)")
		fs.StringP("gitops", "", "", "GitOps agent: `argocd`, flux or none (default: the profile's choice)")
		fs.StringArrayP("password", "", nil, "bring your own admin password: `COMPONENT=@FILE` or COMPONENT=secret:NAMESPACE/NAME (never a plain value: it would land in shell history)")
		fs.StringP("domain", "", "sslip.io", "wildcard DNS `DOMAIN` for hostnames <prefix>.<ip>.<domain>")
		fs.StringP("ip", "", "127.0.0.1", "`IP` the hostnames resolve to (127.0.0.1 with kind's port mappings), or auto: 127.0.0.1 on kind, else the ingress load balancer's address, else the ingress-ready node's InternalIP")
		fs.StringP("chart-mirror", "", "", "look every chart up by name under this `URL` (classic repo URL or oci://host/path)")
		fs.StringP("charts-dir", "", "", "look every chart up by name in this `DIR` (chart directories or .tgz files)")
		fs.BoolP("offline", "", false, "no chart downloads: charts only from the cache (filled by earlier runs) and local files; fails (exit 2) naming what is missing")
		fs.StringP("cache-dir", "", "", "chart cache `DIR` (default: $SLIPWAY_CACHE_DIR, else <user cache dir>/slipway/charts)")
		fs.StringP("lock", "", "", "after a successful up, write the exact chart versions, sources and digests to `FILE` (e.g. slipway.lock; with --dry-run, of what would be installed)")
		fs.StringP("locked", "", "", "install exactly the charts of lock `FILE`; any digest that differs fails before the cluster is changed (with --bundle: the bundle's lock must pin exactly what FILE pins)")
		fs.StringP("bundle", "", "", "install from bundle `FILE` (slipway bundle create): charts and versions from it, no network; it is checked against its own lock, which proves no origin: add --locked to pin it")
		fs.StringP("registry-config", "", "", "Helm registry login `FILE` for OCI charts (default: $HELM_REGISTRY_CONFIG, else Helm's)")
		fs.StringP("repository-config", "", "", "Helm repositories.yaml `FILE` whose logins and TLS files apply to matching repository URLs (default: $HELM_REPOSITORY_CONFIG, else Helm's)")
		fs.StringP("gitops-repo", "", "", "Git `URL` the GitOps agent syncs from (default: agent installed and idle)")
		fs.StringP("gitops-path", "", ".", "`PATH` inside the GitOps repo")
		fs.StringP("gitops-revision", "", "main", "`REV` to sync: a branch (main), a tag written refs/tags/v1.2.3 (a bare tag name is taken as a branch by Flux), or a full commit hash")
		fs.StringP("registry", "", "", "the sample pipeline pushes to your own registry `HOST[:PORT][/PATH]` instead of the in-cluster one (default@1.4.0 and later), which is then left out")
		fs.StringP("registry-username", "", "", "`USER` the pipeline logs in to --registry with")
		fs.StringP("registry-password", "", "", "password or token for --registry-username: `@FILE` or secret:NAMESPACE/NAME[:KEY] (never a plain value); kept in a docker-registry Secret in the CI server's namespace")
		fs.BoolP("in-cluster-registry", "", false, "keep the in-cluster registry with --registry")
		fs.StringP("gitops-username", "", "", "user `NAME` for a private --gitops-repo over HTTPS, with --gitops-password")
		fs.StringP("gitops-password", "", "", "password or token for --gitops-username: `@FILE` or secret:NAMESPACE/NAME[:KEY] (never a plain value)")
		fs.StringP("gitops-ssh-key", "", "", "private key `FILE` (no passphrase, mode 0600) for a private --gitops-repo over SSH, with --gitops-known-hosts")
		fs.StringP("gitops-known-hosts", "", "", "known_hosts `FILE` with the Git server's host keys, for --gitops-ssh-key (e.g. from ssh-keyscan HOST)")
		fs.BoolP("dry-run", "", false, "print the plan and render the charts without touching the cluster")
		fs.BoolP("create-cluster", "", false, "create a kind cluster first (a no-op if it exists) and install into it")
		fs.StringP("cluster-name", "", "slipway", "kind cluster `NAME` for --create-cluster")
		fs.StringP("kind-config", "", "", "kind configuration `FILE` for --create-cluster (default: the built-in kind-config.yaml)")
		fs.BoolP("skip-preflight", "", false, "skip the checks before creating the cluster and before installing (Kubernetes version, memory, ingress node, DNS, container engine, host ports)")
		fs.BoolP("rollback-on-failure", "", false, "roll a failed upgrade back to the last good revision (default: leave it for inspection)")
		addWaitForLockFlag(fs)
		fs.BoolP("adopt", "", false, "take over existing Helm releases and credentials Secrets of the profile's names that slipway did not install (without it, up refuses them: exit 2)")
		fs.DurationP("timeout", "", 15*time.Minute, "overall time to wait for readiness, e.g. `20m`")
		fs.BoolP("quiet", "q", false, "no progress on stderr (warnings and errors still show)")
		addOutputFlag(fs, "table")
		addShowPasswordsFlag(fs)
	})
}

func upCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "up",
		Short: "install or upgrade the platform from a profile and wait until it is ready",
		Long: `up resolves every chart of the profile to one exact version, merges values
(profile defaults < generated < -f files < --set), installs or upgrades the
releases with the Helm SDK (independent components in parallel, in "needs"
order), waits for every resource to be ready, and prints the URLs and admin
credentials. Re-running it is safe: passwords are never rotated.

A component starts when the components it needs are Ready; as soon as
they are installed when their profile says "dependentsStart: installed";
or with them when it says "started" (default@1.5.0 and minimal@1.3.0:
Jenkins, the registry and Argo CD install at the same time as Traefik,
whose IngressClass they only name; ingress-nginx's dependents wait for its
admission webhook to be Ready).

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
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			format, err := report.ParseFormat(flagString(cmd, "output"))
			if err != nil {
				return usageError("%v", err)
			}
			opts, err := upOptions(cmd, args)
			if err != nil {
				return err
			}
			opts.RollbackOnFailure = flagBool(cmd, "rollback-on-failure")
			opts.CreateCluster, opts.SkipPreflight = flagBool(cmd, "create-cluster"), flagBool(cmd, "skip-preflight")
			opts.Cluster = bootstrap.ClusterOptions{Name: flagString(cmd, "cluster-name"), ConfigFile: flagString(cmd, "kind-config"), Wait: 5 * time.Minute}
			printer := ui.New(cmd.ErrOrStderr(), flagBool(cmd, "quiet"))
			res, err := bootstrap.Up(ctx, opts, printer)
			if res != nil {
				if !flagBool(cmd, "show-passwords") && !isTerminal(cmd.OutOrStdout()) && maskPasswords(res) {
					printer.Infof("passwords hidden because stdout is not a terminal: `slipway credentials` prints them (or up --show-passwords)")
				}
				if werr := report.WriteUp(cmd.OutOrStdout(), format, *res); werr != nil && err == nil {
					err = werr
				}
			}
			return exitCodeFor(ctx, err)
		},
	}
	copyFlags(c.Flags(), upFlags())
	addKubeFlags(c)
	return grouped(c)
}

// upOptions reads the flags shared by up, diff and template.
func upOptions(cmd *cobra.Command, args []string) (bootstrap.Options, error) {
	if len(args) > 0 {
		return bootstrap.Options{}, usageError("%s takes no arguments, got %q; did you mean --profile %s?", cmd.Name(), strings.Join(args, " "), args[0])
	}
	if err := checkPlanFlags(cmd); err != nil {
		return bootstrap.Options{}, err
	}
	ko, err := kubeOptions(cmd)
	if err != nil {
		return bootstrap.Options{}, err
	}
	choices := map[string]string{}
	for _, group := range []string{"ingress", "gitops"} {
		if v := flagString(cmd, group); v != "" {
			choices[group] = v
		}
	}
	profile := flagString(cmd, "profile")
	if !isSet(cmd, "profile") && (flagString(cmd, "bundle") != "" || flagString(cmd, "locked") != "") {
		profile = "" // the lock's own profile and version
	}
	return bootstrap.Options{
		Profile: profile, Choices: choices, Without: flagStrings(cmd, "without"),
		Sets: flagStrings(cmd, "set"), ValuesFiles: flagStrings(cmd, "values"), Passwords: flagStrings(cmd, "password"),
		Domain: flagString(cmd, "domain"), IP: canonicalIP(flagString(cmd, "ip")),
		ChartMirror: flagString(cmd, "chart-mirror"), ChartsDir: flagString(cmd, "charts-dir"),
		Offline: flagBool(cmd, "offline"), CacheDir: flagString(cmd, "cache-dir"),
		RegistryConfig: flagString(cmd, "registry-config"), RepositoryConfig: flagString(cmd, "repository-config"),
		Lock: flagString(cmd, "lock"), Locked: flagString(cmd, "locked"), Bundle: flagString(cmd, "bundle"),
		GitOpsRepo: flagString(cmd, "gitops-repo"), GitOpsPath: flagString(cmd, "gitops-path"), GitOpsRevision: flagString(cmd, "gitops-revision"),
		Registry: flagString(cmd, "registry"), RegistryUsername: flagString(cmd, "registry-username"), RegistryPassword: flagString(cmd, "registry-password"),
		InClusterRegistry: flagBool(cmd, "in-cluster-registry"),
		GitOpsUsername:    flagString(cmd, "gitops-username"), GitOpsPassword: flagString(cmd, "gitops-password"),
		GitOpsSSHKey: flagString(cmd, "gitops-ssh-key"), GitOpsKnownHosts: flagString(cmd, "gitops-known-hosts"),
		DryRun: flagBool(cmd, "dry-run"), Timeout: flagDuration(cmd, "timeout"),
		Kube: ko, WaitForLock: flagBool(cmd, "wait-for-lock"), Adopt: flagBool(cmd, "adopt"),
	}, nil
}

// checkPlanFlags refuses values of --ip, --domain and --timeout that
// parse but cannot work (issue 17, item 8), all together, before a
// cluster is created or a chart is looked at. Defaults are valid; a
// command without one of these flags (bundle create) has nothing to check.
func checkPlanFlags(cmd *cobra.Command) error {
	var errs []error
	if isSet(cmd, "ip") && flagString(cmd, "ip") != "auto" {
		errs = append(errs, plan.CheckIP(flagString(cmd, "ip")))
	}
	if isSet(cmd, "domain") {
		errs = append(errs, plan.CheckDomain(flagString(cmd, "domain")))
	}
	if isSet(cmd, "timeout") {
		errs = append(errs, checkTimeout(flagDuration(cmd, "timeout")))
	}
	errs = append(errs, checkRegistryFlags(flagString(cmd, "registry"), flagString(cmd, "registry-username"), flagString(cmd, "registry-password")))
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
