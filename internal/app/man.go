package app

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// manCommand prints slipway(1) in roff from the command tree itself, so
// the man page cannot drift from --help. Release builds run it in a
// before-hook (.goreleaser.yaml) and ship the page in every archive;
// it is hidden because users read the page, not generate it.
func manCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "man",
		Short:  "print the slipway(1) man page in roff",
		Hidden: true,
		Args:   noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeMan(cmd.OutOrStdout(), cmd.Root())
		},
	}
}

// writeMan renders root and every visible subcommand as one page.
func writeMan(w io.Writer, root *cobra.Command) error {
	b := &strings.Builder{}
	// No date in the header: the page of a given version is the same
	// bytes on every build (reproducible archives).
	fmt.Fprintf(b, ".TH SLIPWAY 1 \"\" \"slipway %s\" \"User Commands\"\n", roff(root.Version))
	fmt.Fprintf(b, ".SH NAME\nslipway \\- %s\n", roff(root.Short))
	b.WriteString(".SH SYNOPSIS\n.B slipway\n.I command\n[\\fIflags\\fR]\n")
	fmt.Fprintf(b, ".SH DESCRIPTION\n%s", roffText(root.Long))
	b.WriteString(".SH COMMANDS\n")
	for _, c := range root.Commands() {
		manCommandSection(b, c, "slipway")
	}
	b.WriteString(".SH \"EXIT STATUS\"\n")
	for _, row := range [][2]string{
		{"0", "success"}, {"1", "failure (install, upgrade, cluster error)"},
		{"2", "usage or input error (bad flag, profile, values file); nothing was changed"},
		{"3", "slipway diff: changes pending"}, {"4", "slipway status: some component is not ready"},
		{"124", "readiness timeout (--timeout elapsed)"}, {"130", "interrupted"},
	} {
		fmt.Fprintf(b, ".TP\n.B %s\n%s\n", row[0], roff(row[1]))
	}
	b.WriteString(".SH ENVIRONMENT\n.TP\n.B SLIPWAY_DEBUG=1\nas --debug: the Helm SDK's and kind's logs and every HTTP request (method, URL, status, duration) on stderr\n")
	b.WriteString(".TP\n.B KUBECONFIG\nkubeconfig files, as kubectl reads them\n.TP\n.B SLIPWAY_CACHE_DIR\nthe chart cache\n")
	for _, name := range slices.Sorted(maps.Keys(kubeEnv)) {
		fmt.Fprintf(b, ".TP\n.B %s\nas \\-\\-%s, when the flag is not given (as for helm)\n", kubeEnv[name], roff(name))
	}
	b.WriteString(".TP\n.B HELM_MAX_HISTORY\nrevisions kept per release (as for helm)\n")
	b.WriteString(".SH \"SEE ALSO\"\n.BR kubectl (1),\n.BR helm (1),\n.BR kind (1)\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func manCommandSection(b *strings.Builder, c *cobra.Command, parent string) {
	if !c.IsAvailableCommand() && c.Name() != "completion" {
		return
	}
	full := parent + " " + c.Name()
	fmt.Fprintf(b, ".SS \"%s", roff(full))
	if _, argsUsage, ok := strings.Cut(c.Use, " "); ok {
		fmt.Fprintf(b, " %s", roff(argsUsage))
	}
	fmt.Fprintf(b, "\"\n%s\n", roff(c.Short))
	if c.Long != "" {
		b.WriteString(roffText(c.Long))
	}
	flags := c.LocalFlags()
	flags.SortFlags = false
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" {
			return
		}
		names := "--" + f.Name
		if f.Shorthand != "" {
			names = "-" + f.Shorthand + ", " + names
		}
		usage := strings.ReplaceAll(f.Usage, "`", "")
		if f.NoOptDefVal == "" && f.DefValue != "" && f.DefValue != "[]" && f.DefValue != "0" {
			usage += " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(b, ".TP\n.B %s\n%s\n", roff(names), roff(usage))
	})
	for _, sub := range c.Commands() {
		manCommandSection(b, sub, full)
	}
}

// roff escapes one line of text for roff.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// roffText keeps a description's lines as they are (examples are laid out
// by hand), in a no-fill block.
func roffText(s string) string {
	var b strings.Builder
	b.WriteString(".nf\n")
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(roff(l) + "\n")
	}
	b.WriteString(".fi\n")
	return b.String()
}
