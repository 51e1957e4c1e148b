package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v3"
	"golang.org/x/sync/errgroup"

	"github.com/slipway-dev/slipway/internal/credentials"
	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/internal/rotate"
	"github.com/slipway-dev/slipway/internal/ui"
)

func credentialsCommand() *cli.Command {
	return &cli.Command{
		Name:      "credentials",
		Aliases:   []string{"creds"},
		Usage:     "print the admin URLs, usernames and passwords slipway generated",
		ArgsUsage: "[COMPONENT...]",
		Description: `credentials reads the logins from the cluster (the Secrets slipway owns),
so it works on any machine with access to the cluster, without the profile.

Examples:
  slipway credentials
  slipway credentials jenkins --field password      # only the value, for $(...)
  slipway credentials -o json | jq -r '.credentials[0].password'
  slipway credentials --no-password`,
		Flags: append([]cli.Flag{
			outputFlag(),
			&cli.BoolFlag{Name: "no-password", Usage: "hide passwords"},
			&cli.StringFlag{Name: "field", Usage: "print only this `FIELD` (url, username or password) of one component, with a newline"},
		}, kubeFlags()...),
		Commands: []*cli.Command{rotateCommand()},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			format, err := report.ParseFormat(cmd.String("output"))
			if err != nil {
				return usageError("%v", err)
			}
			want := cmd.Args().Slice()
			field := cmd.String("field")
			if field != "" {
				if !slices.Contains([]string{"url", "username", "password"}, field) {
					return usageError("--field %q: use url, username or password", field)
				}
				if len(want) != 1 {
					return usageError("--field needs exactly one component, e.g. slipway credentials jenkins --field password")
				}
			}
			// The inventory is read while the cluster is probed: one round
			// trip less on a remote cluster (issue 18).
			var entries []inventory.Entry
			cluster, err := kube.ConnectAnd(ctx, kubeOptions(cmd), 10*time.Second, func(ctx context.Context, c *kube.Cluster) error {
				var err error
				if entries, err = inventory.Load(ctx, c.Client); err != nil {
					return fmt.Errorf("context %s: %w", c.Context, err)
				}
				return nil
			})
			if err != nil {
				return withCode(1, err)
			}
			rows, err := readCredentials(ctx, cluster, entries, want)
			if err != nil {
				return withCode(1, err)
			}
			out := cmd.Root().Writer
			if field != "" {
				c := rows[0]
				fmt.Fprintln(out, map[string]string{"url": c.URL, "username": c.Username, "password": c.Password}[field])
				return nil
			}
			if cmd.Bool("no-password") {
				for i := range rows {
					if rows[i].Password != "" {
						rows[i].Password = credentials.Mask
					}
				}
			}
			return report.WriteCredentials(out, format, rows)
		},
	}
}

// readCredentials follows the inventory entries to each component's
// Secret. It needs only `get` on those Secrets. The Secrets are read at
// the same time (a few at once): one round trip, not one per component.
func readCredentials(ctx context.Context, cluster *kube.Cluster, entries []inventory.Entry, want []string) ([]report.Credential, error) {
	byName := map[string]inventory.Entry{}
	var withCreds []string
	for _, e := range entries {
		byName[e.Component] = e
		if e.Secret != "" {
			withCreds = append(withCreds, e.Component)
		}
	}
	if len(want) == 0 {
		want = withCreds
	}
	store := &credentials.Store{Client: cluster.Client}
	rows := make([]*report.Credential, len(want))
	errs := make([]error, len(want))
	var g errgroup.Group
	g.SetLimit(readConcurrency)
	for i, name := range want {
		e, ok := byName[name]
		switch {
		case !ok:
			errs[i] = fmt.Errorf("no component %q installed by slipway in context %s; installed: %s", name, cluster.Context, strings.Join(slices.Sorted(maps.Keys(byName)), ", "))
			continue
		case e.Secret == "":
			errs[i] = fmt.Errorf("component %q has no admin credentials managed by slipway", name)
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
			rows[i] = &report.Credential{Component: name, Namespace: e.Namespace, URL: url, Username: c.Username, Password: c.Password}
			return nil
		})
	}
	_ = g.Wait() // every error is in errs, in the order asked
	var out []report.Credential
	for _, r := range rows {
		if r != nil {
			out = append(out, *r)
		}
	}
	return out, errors.Join(errs...)
}

// readConcurrency bounds the reads a command has in flight at once.
const readConcurrency = 8

func rotateCommand() *cli.Command {
	return &cli.Command{
		Name:      "rotate",
		Usage:     "replace a component's admin password on purpose (re-runs of up never do)",
		ArgsUsage: "COMPONENT",
		Description: `rotate generates a new password (or takes yours with --password), stores it
in the component's Secret, and re-applies the platform so the chart picks it
up. It runs "slipway up" with the profile recorded in the cluster.

Example:
  slipway credentials rotate jenkins`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "password", Usage: "take the new password from `@FILE` instead of generating one"},
			&cli.DurationFlag{Name: "timeout", Value: 10 * time.Minute, Usage: "time to wait for the component to be ready again"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress on stderr"},
			outputFlag(),
		}, kubeFlags()...),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			format, err := report.ParseFormat(cmd.String("output"))
			if err != nil {
				return usageError("%v", err)
			}
			if cmd.Args().Len() != 1 {
				return usageError("rotate takes one component, e.g. slipway credentials rotate jenkins")
			}
			file := ""
			if p := cmd.String("password"); p != "" {
				if !strings.HasPrefix(p, "@") {
					return usageError("--password …: a password on the command line lands in shell history; put it in a file and pass --password @FILE")
				}
				file = p[1:]
			}
			if err := checkTimeout(cmd.Duration("timeout")); err != nil {
				return usageError("%w", err)
			}
			printer := ui.New(cmd.Root().ErrWriter, cmd.Bool("quiet"))
			cred, err := rotate.Run(ctx, rotate.Options{
				Component: cmd.Args().First(), PasswordFile: file, Timeout: cmd.Duration("timeout"), Kube: kubeOptions(cmd),
			}, printer)
			// The new password is printed only once the component is back
			// Ready with it: until then the old one may still be the one
			// that logs in.
			switch {
			case err == nil:
				row := report.Credential{Component: cred.Component, Namespace: cred.Namespace, URL: cred.URL, Username: cred.Username, Password: cred.Password}
				err = report.WriteCredentials(cmd.Root().Writer, format, []report.Credential{row})
			case cred.Password != "":
				printer.Warnf("%s: the new password is stored in secret %s/%s but %s is not back Ready with it; `slipway credentials %s` prints it", cred.Component, cred.Namespace, cred.Secret, cred.Component, cred.Component)
			}
			return exitCodeFor(ctx, err)
		},
	}
}
