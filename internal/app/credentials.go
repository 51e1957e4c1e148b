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
			cluster, err := kube.Connect(ctx, kubeOptions(cmd), 10*time.Second)
			if err != nil {
				return withCode(1, err)
			}
			rows, err := readCredentials(ctx, cluster, want)
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

// readCredentials follows the inventory to each component's Secret. It
// needs only `get` on that ConfigMap and on those Secrets.
func readCredentials(ctx context.Context, cluster *kube.Cluster, want []string) ([]report.Credential, error) {
	entries, err := inventory.Load(ctx, cluster.Client)
	if err != nil {
		return nil, fmt.Errorf("context %s: %w", cluster.Context, err)
	}
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
	var rows []report.Credential
	var errs []error
	for _, name := range want {
		e, ok := byName[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("no component %q installed by slipway in context %s; installed: %s", name, cluster.Context, strings.Join(slices.Sorted(maps.Keys(byName)), ", ")))
			continue
		case e.Secret == "":
			errs = append(errs, fmt.Errorf("component %q has no admin credentials managed by slipway", name))
			continue
		}
		c, err := store.Read(ctx, name, e.Namespace, e.Secret)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		url := c.URL
		if url == "" {
			url = e.URL
		}
		rows = append(rows, report.Credential{Component: name, Namespace: e.Namespace, URL: url, Username: c.Username, Password: c.Password})
	}
	return rows, errors.Join(errs...)
}

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
			waitForLockFlag(),
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
				WaitForLock: cmd.Bool("wait-for-lock"),
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
