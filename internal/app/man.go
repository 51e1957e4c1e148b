package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v3"
)

// manCommand prints slipway(1) in roff from the command tree itself, so
// the man page cannot drift from --help. Release builds run it in a
// before-hook (.goreleaser.yaml) and ship the page in every archive;
// it is hidden because users read the page, not generate it.
func manCommand() *cli.Command {
	return &cli.Command{
		Name:   "man",
		Usage:  "print the slipway(1) man page in roff",
		Hidden: true,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() > 0 {
				return usageError("man takes no arguments, got %q", cmd.Args().First())
			}
			return writeMan(cmd.Root().Writer, cmd.Root())
		},
	}
}

// writeMan renders root and every visible subcommand as one page.
func writeMan(w io.Writer, root *cli.Command) error {
	b := &strings.Builder{}
	// No date in the header: the page of a given version is the same
	// bytes on every build (reproducible archives).
	fmt.Fprintf(b, ".TH SLIPWAY 1 \"\" \"slipway %s\" \"User Commands\"\n", roff(root.Version))
	fmt.Fprintf(b, ".SH NAME\nslipway \\- %s\n", roff(root.Usage))
	b.WriteString(".SH SYNOPSIS\n.B slipway\n.I command\n[\\fIflags\\fR]\n")
	fmt.Fprintf(b, ".SH DESCRIPTION\n%s", roffText(root.Description))
	b.WriteString(".SH COMMANDS\n")
	for _, c := range root.Commands {
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
	b.WriteString(".SH \"SEE ALSO\"\n.BR kubectl (1),\n.BR helm (1),\n.BR kind (1)\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func manCommandSection(b *strings.Builder, c *cli.Command, parent string) {
	if c.Hidden {
		return
	}
	full := parent + " " + c.Name
	fmt.Fprintf(b, ".SS \"%s", roff(full))
	if c.ArgsUsage != "" {
		fmt.Fprintf(b, " %s", roff(c.ArgsUsage))
	}
	fmt.Fprintf(b, "\"\n%s\n", roff(c.Usage))
	if c.Description != "" {
		b.WriteString(roffText(c.Description))
	}
	for _, f := range c.Flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		var names []string
		for _, n := range f.Names() {
			if len(n) == 1 {
				names = append(names, "-"+n)
			} else {
				names = append(names, "--"+n)
			}
		}
		usage := ""
		if d, ok := f.(cli.DocGenerationFlag); ok {
			usage = strings.ReplaceAll(d.GetUsage(), "`", "")
			if d.TakesValue() && d.GetValue() != "" && d.GetValue() != `""` {
				usage += " (default " + d.GetValue() + ")"
			}
		}
		fmt.Fprintf(b, ".TP\n.B %s\n%s\n", roff(strings.Join(names, ", ")), roff(usage))
	}
	for _, sub := range c.Commands {
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
