package app

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/slipway-dev/slipway/internal/credentials"
	"github.com/slipway-dev/slipway/internal/report"
)

// parseNameFormat checks -o of a command whose plain output is names one
// a line (cluster list, cluster create, bundle images): name, json or yaml.
func parseNameFormat(s string) (report.Format, error) {
	if s == "name" {
		return report.Table, nil
	}
	f, err := report.ParseFormat(s, report.JSON, report.YAML)
	if err != nil {
		return "", usageError("unknown output format %q: use one of name, json, yaml", s)
	}
	return f, nil
}

// isTerminal says whether w is a terminal a person reads.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// maskPasswords replaces every password of up's result with the mask and
// says whether it hid any. When stdout is not a terminal (a CI log, a
// pipe, a file) up prints no password unless --show-passwords:
// `slipway credentials` reads them from the cluster when they are needed.
func maskPasswords(r *report.Up) bool {
	hid := false
	for i := range r.Components {
		if r.Components[i].Password != "" {
			r.Components[i].Password = credentials.Mask
			hid = true
		}
	}
	return hid
}

// addShowPasswordsFlag is up's alone: the commands that share up's flags
// (diff, template, bundle) print no password.
func addShowPasswordsFlag(fs *pflag.FlagSet) {
	fs.Bool("show-passwords", false, "print the generated passwords even when stdout is not a terminal (a CI log keeps them; slipway credentials is the usual way to read them)")
}

// exitNotReady is `slipway status`'s exit code when a component is not
// ready: distinct from 1 (status itself failed) and 2 (bad input), so
// `slipway status && deploy` waits for a platform that works.
const exitNotReady = 4

// notReady is nil when every row is ready, else the exit-4 error that
// names the components that are not.
func notReady(rows []report.Status) error {
	var names []string
	for _, r := range rows {
		if r.Readiness != "ready" {
			names = append(names, r.Component+" ("+r.Readiness+")")
		}
	}
	if len(names) == 0 {
		return nil
	}
	return &exitError{code: exitNotReady, err: fmt.Errorf("not ready: %s", strings.Join(names, ", "))}
}
