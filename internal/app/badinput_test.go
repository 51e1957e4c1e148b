package app

import (
	"os"
	"strings"
	"testing"
)

// The bad-input catalogue: every way a user can get the input wrong that
// needs no cluster, with the exact message (or its exact beginning, for
// messages that go on with a server's own words) and exit code. Cases that
// need a cluster (bad token, missing RBAC) are in e2e/badinput_test.go.

func TestBadInputCatalogue(t *testing.T) {
	cases := []badInput{
		// Profiles.
		{name: "malformed YAML names line and column",
			args:  []string{"up", "--profile", "{dir}/broken.yaml"},
			files: map[string]string{"broken.yaml": "apiVersion: slipway.dev/v1alpha1\nkind: Profile\nname: x\ncomponents:\n  - name: a\n   chart: {}\n"},
			code:  2,
			want:  `invalid profile: {dir}/broken.yaml:6:4: not valid YAML: did not find expected '-' indicator (while parsing a block collection at line 5, column 3)`},
		{name: "tab indentation",
			args:  []string{"up", "--profile", "{dir}/tabs.yaml"},
			files: map[string]string{"tabs.yaml": "apiVersion: slipway.dev/v1alpha1\nkind: Profile\ncomponents:\n\t- name: a\n"},
			code:  2,
			want:  `invalid profile: {dir}/tabs.yaml:4:1: not valid YAML: found character that cannot start any token`},
		{name: "unknown field",
			args: []string{"up", "--profile", "{dir}/typo.yaml"},
			files: map[string]string{"typo.yaml": `apiVersion: slipway.dev/v1alpha1
kind: Profile
name: typo
version: 1.0.0
description: misspelt field
components:
- name: web
  chart: {repo: https://example.com/charts, name: web, version: "~1.0"}
  namespce: web
`},
			code: 2,
			want: `invalid profile: {dir}/typo.yaml:9: components[0].namespce: unknown field "namespce", did you mean "namespace"? (known: name, group, option, ingressClass, chart, namespace, release, needs, dependentsStart, values, host, credentials, secrets, warning, enabledBy, registry, pipeline)`},
		{name: "profile file missing",
			args: []string{"up", "--profile", "{dir}/nofile.yaml"},
			code: 2,
			want: `profile file: open {dir}/nofile.yaml: no such file or directory`},
		{name: "unknown profile",
			args: []string{"up", "--profile", "nosuch"},
			code: 2,
			want: `no profile "nosuch"; available: classic@1.4.0|1.3.0|1.2.0|1.1.0|1.0.0, default@1.5.0|1.4.0|1.3.0|1.2.0|1.1.0|1.0.0, minimal@1.3.0|1.2.0|1.1.0|1.0.0 (or a path to a profile file)`},
		{name: "unknown profile version",
			args: []string{"up", "--profile", "default@9.9.9"},
			code: 2,
			want: `no profile "default@9.9.9"; available: classic@1.4.0|1.3.0|1.2.0|1.1.0|1.0.0, default@1.5.0|1.4.0|1.3.0|1.2.0|1.1.0|1.0.0, minimal@1.3.0|1.2.0|1.1.0|1.0.0 (or a path to a profile file)`},
		{name: "profile version not a constraint",
			args: []string{"up", "--profile", "default@>>1"},
			code: 2,
			want: `profile "default@>>1": ">>1" is neither a version nor a constraint: improper constraint: ">>1"`},
		{name: "invalid semver constraint in a profile",
			args: []string{"up", "--profile", "{dir}/constraint.yaml"},
			code: 2,
			want: `invalid profile: {dir}/constraint.yaml:8: components[0].chart.version: invalid semver constraint "~5.x.y": improper constraint: "~5.x.y"`},
		{name: "needs cycle",
			args: []string{"up", "--profile", "{dir}/cycle.yaml"},
			files: map[string]string{"cycle.yaml": `apiVersion: slipway.dev/v1alpha1
kind: Profile
name: cycle
version: 1.0.0
description: a needs b needs a
components:
- name: a
  chart: {repo: https://example.com/charts, name: a, version: "~1.0"}
  namespace: a
  needs: [b]
- name: b
  chart: {repo: https://example.com/charts, name: b, version: "~1.0"}
  namespace: b
  needs: [a]
`},
			code: 2,
			want: `invalid profile: {dir}/cycle.yaml:6: components: needs form a cycle: a → b → a`},
		{name: "OCI reference malformed in a profile",
			args: []string{"up", "--profile", "{dir}/oci.yaml"},
			code: 2,
			want: `invalid profile: {dir}/oci.yaml:8: components[0].chart.oci: "ghcr.io/org/charts/web" is not an OCI chart reference like oci://ghcr.io/org/charts/name (the version goes in chart.version)`},
		{name: "OCI reference with a digest in a profile",
			args: []string{"up", "--profile", "{dir}/ocidigest.yaml"},
			code: 2,
			want: `invalid profile: {dir}/ocidigest.yaml:8: components[0].chart.oci: "oci://ghcr.io/org/charts/web@sha256:abc" is not an OCI chart reference like oci://ghcr.io/org/charts/name (the version goes in chart.version)`},

		// Flags that shape the plan.
		{name: "unknown component in --set",
			args: []string{"up", "--set", "nosuch.replicas=2"},
			code: 2,
			want: `no component "nosuch" in profile default@1.5.0; components: traefik, jenkins, registry, argocd`},
		{name: "unknown component in --without",
			args: []string{"up", "--without", "nosuch"},
			code: 2,
			want: `--without nosuch: no such component in profile default@1.5.0 (components: argocd, argocd-repo, flux-instance, flux-operator, flux-repo, ingress-nginx, jenkins, registry, traefik)`},
		{name: "malformed --set without a value",
			args: []string{"up", "--set", "jenkins.controller.numExecutors"},
			code: 2,
			want: `--set "jenkins.controller.numExecutors": want COMPONENT.KEY=VALUE, e.g. --set jenkins.controller.numExecutors=2`},
		{name: "malformed --set without a key",
			args: []string{"up", "--set", "jenkins=2"},
			code: 2,
			want: `--set "jenkins=2": want COMPONENT.KEY=VALUE, e.g. --set jenkins.controller.numExecutors=2`},
		{name: "unknown --ingress option",
			args: []string{"up", "--ingress", "bogus"},
			code: 2,
			want: `--ingress bogus: profile default@1.5.0 offers nginx, traefik, or none`},
		{name: "values file missing",
			args: []string{"up", "-f", "jenkins={dir}/missing.yaml"},
			code: 2,
			want: `-f jenkins={dir}/missing.yaml: open {dir}/missing.yaml: no such file or directory`},
		{name: "values file not YAML",
			args:  []string{"up", "-f", "jenkins={dir}/bad.yaml"},
			files: map[string]string{"bad.yaml": "controller:\n  numExecutors: [2\n"},
			code:  2,
			want:  `values file {dir}/bad.yaml (for jenkins): not valid YAML: {dir}/bad.yaml:3:1: did not find expected ',' or ']' (while parsing a flow sequence at line 2, column 17)`},
		{name: "values file a list",
			args:  []string{"up", "-f", "jenkins={dir}/list.yaml"},
			files: map[string]string{"list.yaml": "- numExecutors: 2\n"},
			code:  2,
			want:  "values file {dir}/list.yaml (for jenkins): the top level is a list, want a map of chart values like `controller: {numExecutors: 2}`"},
		{name: "-f without a component",
			args: []string{"up", "-f", "{dir}/values.yaml"},
			code: 2,
			want: `-f "{dir}/values.yaml": want COMPONENT=FILE, e.g. -f jenkins=jenkins-values.yaml`},
		{name: "--password with a plain value",
			args: []string{"up", "--password", "jenkins=hunter2hunter2"},
			code: 2,
			want: `--password jenkins=…: a password on the command line lands in shell history and process lists; put it in a file and pass jenkins=@FILE, or in a Secret and pass jenkins=secret:NAMESPACE/NAME`},
		{name: "--password file missing",
			args: []string{"up", "--password", "jenkins=@{dir}/nofile"},
			code: 2,
			want: `--password jenkins=@{dir}/nofile: open {dir}/nofile: no such file or directory`},
		// Issue 16, item 3: your own registry.
		{name: "--registry with a scheme",
			args: []string{"up", "--registry", "https://ghcr.io/me"},
			code: 2,
			want: `--registry "https://ghcr.io/me": give the registry without a scheme, as HOST[:PORT][/PATH], e.g. --registry ghcr.io/me`},
		{name: "--registry with a space",
			args: []string{"up", "--registry", "ghcr.io/my team"},
			code: 2,
			want: `--registry "ghcr.io/my team": not a registry; want HOST[:PORT][/PATH]: a host name or address, an optional port, then path parts of lower-case letters, digits, '.', '_' and '-', e.g. --registry ghcr.io/me`},
		{name: "--registry with a line break is quoted, a long one cut",
			args: []string{"up", "--registry", "ghcr.io/me\n" + strings.Repeat("a", 300)},
			code: 2,
			want: `--registry "ghcr.io/me\n` + strings.Repeat("a", 89) + `…": not a registry; want HOST[:PORT][/PATH]: a host name or address, an optional port, then path parts of lower-case letters, digits, '.', '_' and '-', e.g. --registry ghcr.io/me`},
		{name: "--registry-username with a colon",
			args: []string{"up", "--registry", "ghcr.io/me", "--registry-username", "me:x", "--registry-password", "@{dir}/nofile"},
			code: 2,
			want: `--registry-username: a user name has no ':', spaces or line breaks and at most 255 characters`},
		{name: "--registry-password with a plain value",
			args: []string{"up", "--registry", "ghcr.io/me", "--registry-username", "me", "--registry-password", "hunter2hunter2"},
			code: 2,
			want: `--registry-password …: a password on the command line lands in shell history and process lists; put it in a file and pass --registry-password @FILE, or in a Secret and pass --registry-password secret:NAMESPACE/NAME`},
		{name: "--registry-password file missing",
			args: []string{"up", "--registry", "ghcr.io/me", "--registry-username", "me", "--registry-password", "@{dir}/nofile"},
			code: 2,
			want: `--registry-password @{dir}/nofile: open {dir}/nofile: no such file or directory`},
		{name: "--registry-password file empty",
			args:  []string{"up", "--registry", "ghcr.io/me", "--registry-username", "me", "--registry-password", "@{dir}/empty"},
			files: map[string]string{"empty": "\n"},
			code:  2,
			want:  `--registry-password @{dir}/empty: the password is empty`},
		{name: "--registry-username without --registry",
			args: []string{"up", "--registry-username", "me", "--registry-password", "@{dir}/nofile"},
			code: 2,
			want: `--registry-username and --registry-password log in to your own registry: give --registry HOST[/PATH] too`},
		{name: "--registry-password without --registry-username",
			args: []string{"up", "--registry", "ghcr.io/me", "--registry-password", "@{dir}/nofile"},
			code: 2,
			want: `--registry-username and --registry-password go together: give both, or neither for a registry that takes pushes without a login`},
		// GitOps repository credentials (issue 16, item 4): all refused
		// before the cluster is contacted.
		{name: "--gitops-password with a plain value",
			args: []string{"up", "--gitops-repo", "https://git.example/org/platform.git", "--gitops-username", "bot", "--gitops-password", "hunter2hunter2"},
			code: 2,
			want: `--gitops-password …: a password on the command line lands in shell history and process lists; put it in a file and pass --gitops-password @FILE, or in a Secret and pass --gitops-password secret:NAMESPACE/NAME`},
		{name: "--gitops-password without --gitops-username",
			args:  []string{"up", "--gitops-repo", "https://git.example/org/platform.git", "--gitops-password", "@{dir}/token"},
			files: map[string]string{"token": "ghp_example\n"},
			code:  2,
			want:  `--gitops-password needs --gitops-username USER: the name the Git server expects with the password or token (with a GitHub token any name works; GitLab expects oauth2)`},
		{name: "--gitops-password file missing",
			args: []string{"up", "--gitops-repo", "https://git.example/org/platform.git", "--gitops-username", "bot", "--gitops-password", "@{dir}/notoken"},
			code: 2,
			want: `--gitops-password @{dir}/notoken: open {dir}/notoken: no such file or directory`},
		{name: "--gitops-ssh-key missing",
			args:  []string{"up", "--gitops-repo", "git@git.example:org/platform.git", "--gitops-ssh-key", "{dir}/nokey", "--gitops-known-hosts", "{dir}/known_hosts"},
			files: map[string]string{"known_hosts": knownHostsLine},
			code:  2,
			want:  `--gitops-ssh-key {dir}/nokey: open {dir}/nokey: no such file or directory`},
		{name: "--gitops-ssh-key readable by others",
			args:  []string{"up", "--gitops-repo", "git@git.example:org/platform.git", "--gitops-ssh-key", "{dir}/deploy-key", "--gitops-known-hosts", "{dir}/known_hosts"},
			files: map[string]string{"known_hosts": knownHostsLine, "deploy-key": "-----BEGIN OPENSSH PRIVATE KEY-----\n"},
			modes: map[string]os.FileMode{"deploy-key": 0o644},
			code:  2,
			want:  `--gitops-ssh-key {dir}/deploy-key: permissions 0644 are too open: a private key must be readable by you only, as ssh requires; run chmod 600 {dir}/deploy-key`},
		{name: "--gitops-ssh-key without --gitops-known-hosts",
			args:  []string{"up", "--gitops-repo", "git@git.example:org/platform.git", "--gitops-ssh-key", "{dir}/private-key"},
			files: map[string]string{"private-key": "-----BEGIN OPENSSH PRIVATE KEY-----\n"},
			code:  2,
			want: "--gitops-ssh-key needs --gitops-known-hosts FILE: the host keys the agent checks the Git server against (slipway never turns that check off); get them with `ssh-keyscan git.example > known_hosts` and compare their fingerprints (ssh-keygen -lf known_hosts) with the ones your Git host publishes\n" +
				// Every problem at once: this key file holds no key either.
				"--gitops-ssh-key {dir}/private-key: not an SSH private key (ssh: no key found); give the private half, e.g. ~/.ssh/id_ed25519, not the .pub"},
		{name: "--gitops-username without a GitOps agent",
			args:  []string{"up", "--gitops", "none", "--gitops-repo", "https://git.example/org/platform.git", "--gitops-username", "bot", "--gitops-password", "@{dir}/token"},
			files: map[string]string{"token": "ghp_example\n"},
			code:  2,
			want:  `the GitOps repository credential flags need a GitOps agent, and profile default@1.5.0 as selected has none (traefik, jenkins, registry); drop them or choose an agent with --gitops`},
		{name: "--chart-mirror not a repository URL",
			args: []string{"up", "--chart-mirror", "ftp://mirror.example/charts"},
			code: 2,
			want: `--chart-mirror "ftp://mirror.example/charts": use a Helm repository URL (http[s]://…) or an OCI base (oci://host/path)`},
		{name: "--chart-mirror OCI reference malformed",
			args: []string{"up", "--chart-mirror", "oci://x"},
			code: 2,
			want: `--chart-mirror "oci://x": an OCI mirror looks like oci://host[:port]/path`},

		// Command-line syntax.
		{name: "bad -o format",
			args: []string{"up", "-o", "xml"},
			code: 2,
			want: `unknown output format "xml": use one of table, json, yaml`},
		{name: "bad --timeout",
			args: []string{"up", "--timeout", "5"},
			code: 2,
			want: "up: invalid value \"5\" for flag --timeout: time: missing unit in duration \"5\"; `slipway up --help` lists the flags"},
		{name: "unknown flag",
			args: []string{"up", "--nosuchflag"},
			code: 2,
			want: "up: unknown flag --nosuchflag; `slipway up --help` lists the flags"},
		{name: "extra argument",
			args: []string{"up", "minimal"},
			code: 2,
			want: `up takes no arguments, got "minimal"; did you mean --profile minimal?`},
		{name: "unknown command",
			args: []string{"upp"},
			code: 2,
			want: "unknown command \"upp\" for \"slipway\"; did you mean \"up\"? (`slipway --help` lists the commands)"},
		{name: "unknown flag before the command",
			args: []string{"--verbose", "up"},
			code: 2,
			want: "up: unknown flag --verbose; `slipway up --help` lists the flags"},
		{name: "unknown flag without a command",
			args: []string{"--verbose"},
			code: 2,
			want: "unknown flag --verbose; `slipway --help` lists the flags"},
		{name: "down without --yes off a terminal",
			args: []string{"down"},
			code: 2,
			want: `down removes releases, namespaces and Secrets: pass --yes to confirm when not on a terminal`},
		{name: "credentials --field unknown",
			args: []string{"credentials", "jenkins", "--field", "token"},
			code: 2,
			want: `--field "token": use url, username or password`},
		{name: "rotate --password with a plain value",
			args: []string{"credentials", "rotate", "jenkins", "--password", "hunter2hunter2"},
			code: 2,
			want: `--password …: a password on the command line lands in shell history; put it in a file and pass --password @FILE`},

		// The cluster.
		{name: "unreachable cluster",
			args:   []string{"up"},
			code:   1,
			want:   `cluster unreachable: context "closed", server https://127.0.0.1:{port}: Get "https://127.0.0.1:{port}/version?timeout=10s": dial tcp 127.0.0.1:{port}: connect: connection refused`,
			prefix: true},
		{name: "unknown --context",
			args: []string{"up", "--context", "kind-nope"},
			code: 1,
			want: "cluster unreachable: context \"kind-nope\" is not in the kubeconfig ({kubeconfig}); `kubectl config get-contexts` lists the ones there are"},
		{name: "kubeconfig file missing",
			args: []string{"status", "--kubeconfig", "{dir}/nokubeconfig"},
			code: 1,
			want: `kubeconfig {dir}/nokubeconfig: stat {dir}/nokubeconfig: no such file or directory`},

		// Chart sources (a dry run: no cluster needed to resolve charts).
		{name: "chart not found in the repository",
			args: []string{"up", "--dry-run", "--profile", "{dir}/notfound.yaml"},
			code: 1,
			want: `component web: chart "nosuch" not found in repository {repo} (it has: web)`},
		{name: "no chart version matching the constraint",
			args: []string{"up", "--dry-run", "--profile", "{dir}/nomatch.yaml"},
			code: 1,
			want: `component web: chart web in {repo} has no version matching "~2.0" (newest: 1.1.0, 1.0.0); widen the constraint or pick another profile version`},
		{name: "repository URL not a repository",
			args: []string{"up", "--dry-run", "--profile", "{dir}/notrepo.yaml"},
			code: 1,
			want: `component web: {notrepo} is not a Helm repository: its index.yaml is not a chart index; check the URL (helm repo URLs serve /index.yaml)`},
	}
	if len(cases) < 25 {
		t.Fatalf("the catalogue has %d cases; issue 8 asks for at least 25", len(cases))
	}
	c := newCatalogue(t)
	c.profile(t, "constraint.yaml", `{repo: https://example.com/charts, name: web, version: "~5.x.y"}`)
	c.profile(t, "oci.yaml", `{oci: ghcr.io/org/charts/web, version: "~1.0"}`)
	c.profile(t, "ocidigest.yaml", `{oci: "oci://ghcr.io/org/charts/web@sha256:abc", version: "~1.0"}`)
	c.profile(t, "notfound.yaml", `{repo: "`+c.repo+`", name: nosuch, version: "~1.0"}`)
	c.profile(t, "nomatch.yaml", `{repo: "`+c.repo+`", name: web, version: "~2.0"}`)
	c.profile(t, "notrepo.yaml", `{repo: "`+c.notRepo+`", name: web, version: "~1.0"}`)
	c.write(t, "values.yaml", "replicas: 2\n")
	c.run(t, cases)
}

// knownHostsLine is a known_hosts file for git.example (GitHub's published
// ed25519 host key, under another name).
const knownHostsLine = "git.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
