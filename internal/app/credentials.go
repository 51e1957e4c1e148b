package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"

	"github.com/slipway-dev/slipway/internal/credentials"
	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/internal/rotate"
	"github.com/slipway-dev/slipway/internal/ui"
)

func credentialsCommand() *cobra.Command {
	c := &cobra.Command{
		Use:     "credentials [COMPONENT...]",
		Aliases: []string{"creds"},
		Short:   "list the credentials slipway keeps: admin logins it generated, and the GitOps repository's and registry's",
		Long: `credentials reads the logins from the cluster (the Secrets slipway owns),
so it works on any machine with access to the cluster, without the profile.

KIND is admin for the logins of the components slipway installed (their
passwords are printed; --no-password hides them), or a credential you gave
slipway to keep: gitops-repository (--gitops-username/--gitops-password or
--gitops-ssh-key) or registry. Those are listed with their URL, username
and Secret, their password only when asked for with --field password.
Admin logins need only get on the inventory and on their Secrets; the
others are found by label (list on secrets in the components' namespaces).

Examples:
  slipway credentials
  slipway credentials jenkins --field password      # only the value, for $(...)
  slipway credentials -o json | jq -r '.credentials[0].password'
  slipway credentials --no-password
  slipway credentials --kind gitops-repository`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			format, err := report.ParseFormat(flagString(cmd, "output"))
			if err != nil {
				return usageError("%v", err)
			}
			want := args
			// credentials rotaet: a typo of the subcommand, not a component.
			if len(want) > 0 && suggest([]string{"rotate"}, want[0]) != "" {
				return unknownCommand(cmd, want[0])
			}
			field, kind := flagString(cmd, "field"), flagString(cmd, "kind")
			if field != "" {
				if !slices.Contains([]string{"url", "username", "password"}, field) {
					return usageError("--field %q: use url, username or password", field)
				}
				if len(want) != 1 {
					return usageError("--field needs exactly one component, e.g. slipway credentials jenkins --field password")
				}
			}
			if kind != "" && !slices.Contains(credentialKinds, kind) {
				return usageError("--kind %q: use %s", kind, strings.Join(credentialKinds, ", "))
			}
			// The inventory is read while the cluster is probed: one round
			// trip less on a remote cluster (issue 18).
			var entries []inventory.Entry
			ko, err := kubeOptions(cmd)
			if err != nil {
				return err
			}
			cluster, err := kube.ConnectAnd(ctx, ko, 10*time.Second, func(ctx context.Context, c *kube.Cluster) error {
				var err error
				if entries, err = inventory.Load(ctx, c.Client); err != nil {
					return fmt.Errorf("context %s: %w", c.Context, err)
				}
				return nil
			})
			if err != nil {
				return withCode(1, err)
			}
			warn := func(string, ...any) {}
			if len(want) == 0 {
				warn = ui.New(cmd.ErrOrStderr(), false).Warnf
			}
			rows, err := readCredentials(ctx, cluster, entries, want, kind, warn)
			if err != nil {
				return withCode(1, err)
			}
			out := cmd.OutOrStdout()
			if field != "" {
				if len(rows) > 1 {
					var kinds []string
					for _, r := range rows {
						kinds = append(kinds, r.Kind)
					}
					return usageError("component %s has %d credentials (%s): add --kind KIND", want[0], len(rows), strings.Join(kinds, ", "))
				}
				c := rows[0]
				v := map[string]string{"url": c.URL, "username": c.Username, "password": c.Password}[field]
				if v == "" && field != "url" {
					return withCode(1, fmt.Errorf("the %s credential of %s has no %s (an SSH key, kept in secret %s/%s)", c.Kind, c.Component, field, c.Namespace, c.Secret))
				}
				fmt.Fprintln(out, v)
				return nil
			}
			for i := range rows {
				// A credential the user gave slipway to keep is theirs
				// already: its password only on request (--field).
				if rows[i].Password != "" && (flagBool(cmd, "no-password") || rows[i].Kind != kube.KindAdmin) {
					rows[i].Password = credentials.Mask
				}
			}
			return report.WriteCredentials(out, format, rows)
		},
	}
	fs := c.Flags()
	addOutputFlag(fs, "table")
	fs.Bool("no-password", false, "hide passwords")
	fs.String("field", "", "print only this `FIELD` (url, username or password) of one component, with a newline")
	fs.String("kind", "", "only credentials of this `KIND`: admin, gitops-repository or registry")
	addKubeFlags(c)
	c.AddCommand(rotateCommand())
	return c
}

// credentialKinds are the values of --kind.
var credentialKinds = []string{kube.KindAdmin, kube.KindGitRepository, kube.KindRegistry}

// readConcurrency bounds the reads a command has in flight at once.
const readConcurrency = 8

// readCredentials follows the inventory entries to each component's
// admin Secret (only `get` on those Secrets is needed), then lists the
// Secrets labelled with a credential kind in the components' namespaces.
// The Secrets and the lists are read at the same time (a few at once):
// one round trip, not one per component (issue 18). A forbidden list is
// reported through warn and leaves those out. Passwords are returned as
// stored; the caller masks them.
func readCredentials(ctx context.Context, cluster *kube.Cluster, entries []inventory.Entry, want []string, kind string, warn func(string, ...any)) ([]report.Credential, error) {
	byName := map[string]inventory.Entry{}
	var withCreds []string
	for _, e := range entries {
		byName[e.Component] = e
		if e.Secret != "" {
			withCreds = append(withCreds, e.Component)
		}
	}
	named := len(want) > 0
	if !named {
		for _, e := range entries {
			want = append(want, e.Component)
		}
	}
	store := &credentials.Store{Client: cluster.Client}
	admin := make([]*report.Credential, len(want))
	errs := make([]error, len(want))
	namespaces := map[string]bool{}
	var g errgroup.Group
	g.SetLimit(readConcurrency)
	for i, name := range want {
		e, ok := byName[name]
		if !ok {
			errs[i] = fmt.Errorf("no component %q installed by slipway in context %s; installed: %s", name, cluster.Context, strings.Join(slices.Sorted(maps.Keys(byName)), ", "))
			continue
		}
		namespaces[e.Namespace] = true
		if e.Secret == "" || (kind != "" && kind != kube.KindAdmin) {
			continue
		}
		g.Go(func() error {
			c, err := store.Read(ctx, name, e.Namespace, e.Secret)
			if err != nil {
				errs[i] = err
				return nil
			}
			url := c.URL
			if url == "" {
				url = e.URL
			}
			admin[i] = &report.Credential{Component: name, Kind: kube.KindAdmin, Namespace: e.Namespace, Secret: e.Secret, URL: url, Username: c.Username, Password: c.Password}
			return nil
		})
	}
	var kept []report.Credential
	var keptErr error
	if kind != kube.KindAdmin {
		g.Go(func() error {
			kept, keptErr = keptCredentials(ctx, cluster, slices.Sorted(maps.Keys(namespaces)), warn)
			return nil
		})
	}
	_ = g.Wait() // every error is in errs (in the order asked) or keptErr
	var rows []report.Credential
	for _, r := range admin {
		if r != nil {
			rows = append(rows, *r)
		}
	}
	if err := errors.Join(append(errs, keptErr)...); err != nil {
		return rows, err
	}
	for _, k := range kept {
		if slices.Contains(want, k.Component) && (kind == "" || k.Kind == kind) {
			rows = append(rows, k)
		}
	}
	var missing []error
	if named {
		for _, name := range want {
			if !slices.ContainsFunc(rows, func(r report.Credential) bool { return r.Component == name }) {
				if kind != "" {
					missing = append(missing, fmt.Errorf("component %q has no %s credential kept by slipway", name, kind))
				} else if !slices.Contains(withCreds, name) {
					missing = append(missing, fmt.Errorf("component %q has no admin credentials managed by slipway", name))
				}
			}
		}
	}
	// The in-cluster image registry has no login, but its addresses are
	// what a user needs next to the others.
	for _, e := range entries {
		if !named && e.InCluster != "" && (kind == "" || kind == kube.KindRegistry) {
			rows = append(rows, report.Credential{Component: e.Component, Kind: kube.KindRegistry, Namespace: e.Namespace, URL: e.URL, InCluster: e.InCluster})
		}
	}
	return rows, errors.Join(missing...)
}

// keptCredentials lists, in each namespace, the Secrets slipway keeps a
// credential in for the user (labelled with a credential kind), sorted
// by namespace and name.
func keptCredentials(ctx context.Context, cluster *kube.Cluster, namespaces []string, warn func(string, ...any)) ([]report.Credential, error) {
	secrets, err := credentials.ListKept(ctx, cluster.Client, namespaces, func(ns string) {
		warn("not allowed to list secrets in namespace %s: the GitOps repository and registry credentials kept there are not shown (grant `list` on secrets)", ns)
	})
	var rows []report.Credential
	for _, s := range secrets {
		rows = append(rows, keptRow(s))
	}
	return rows, err
}

// keptRow reads a kept credential: the URL from slipway's annotation, the
// login from the keys its annotations name, or, in a docker-registry
// Secret, from the .dockerconfigjson entry of that URL's host (the only
// entry when there is no URL).
func keptRow(s corev1.Secret) report.Credential {
	row := report.Credential{
		Component: s.Labels[kube.LabelComponent], Kind: s.Labels[kube.LabelCredentialKind], Namespace: s.Namespace, Secret: s.Name,
		URL:      s.Annotations[credentials.AnnotationURL],
		Username: string(s.Data[s.Annotations[credentials.AnnotationUserKey]]),
		Password: string(s.Data[s.Annotations[credentials.AnnotationPassKey]]),
	}
	if s.Type != corev1.SecretTypeDockerConfigJson || row.Username != "" {
		return row
	}
	var cfg struct {
		Auths map[string]struct{ Username, Password string } `json:"auths"`
	}
	if json.Unmarshal(s.Data[corev1.DockerConfigJsonKey], &cfg) != nil {
		return row
	}
	host := strings.TrimPrefix(strings.TrimPrefix(row.URL, "https://"), "http://")
	host, _, _ = strings.Cut(host, "/")
	for h, a := range cfg.Auths {
		if h == host || (host == "" && len(cfg.Auths) == 1) {
			row.Username, row.Password = a.Username, a.Password
			if row.URL == "" {
				row.URL = h
			}
		}
	}
	return row
}

func rotateCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "rotate COMPONENT",
		Short: "replace a component's admin password on purpose (re-runs of up never do)",
		Long: `rotate generates a new password (or takes yours with --password), stores it
in the component's Secret, and re-applies the platform so the chart picks it
up. It runs "slipway up" with the profile recorded in the cluster.

Example:
  slipway credentials rotate jenkins`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			format, err := report.ParseFormat(flagString(cmd, "output"))
			if err != nil {
				return usageError("%v", err)
			}
			if len(args) != 1 {
				return usageError("rotate takes one component, e.g. slipway credentials rotate jenkins")
			}
			file := ""
			if p := flagString(cmd, "password"); p != "" {
				if !strings.HasPrefix(p, "@") {
					return usageError("--password …: a password on the command line lands in shell history; put it in a file and pass --password @FILE")
				}
				file = p[1:]
			}
			if err := checkTimeout(flagDuration(cmd, "timeout")); err != nil {
				return usageError("%w", err)
			}
			ko, err := kubeOptions(cmd)
			if err != nil {
				return err
			}
			printer := ui.New(cmd.ErrOrStderr(), flagBool(cmd, "quiet"))
			cred, err := rotate.Run(ctx, rotate.Options{
				Component: args[0], PasswordFile: file, Timeout: flagDuration(cmd, "timeout"), Kube: ko,
				WaitForLock: flagBool(cmd, "wait-for-lock"),
			}, printer)
			// The new password is printed only once the component is back
			// Ready with it: until then the old one may still be the one
			// that logs in.
			switch {
			case err == nil:
				row := report.Credential{Component: cred.Component, Kind: kube.KindAdmin, Namespace: cred.Namespace, URL: cred.URL, Username: cred.Username, Password: cred.Password}
				err = report.WriteCredentials(cmd.OutOrStdout(), format, []report.Credential{row})
			case cred.Password != "":
				printer.Warnf("%s: the new password is stored in secret %s/%s but %s is not back Ready with it; `slipway credentials %s` prints it", cred.Component, cred.Namespace, cred.Secret, cred.Component, cred.Component)
			}
			return exitCodeFor(ctx, err)
		},
	}
	fs := c.Flags()
	fs.String("password", "", "take the new password from `@FILE` instead of generating one")
	fs.Duration("timeout", 10*time.Minute, "time to wait for the component to be ready again")
	fs.BoolP("quiet", "q", false, "no progress on stderr")
	addWaitForLockFlag(fs)
	addOutputFlag(fs, "table")
	addKubeFlags(c)
	return c
}
