package app

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// flagCategories group up's flags (and so diff's, template's and
// bundle's, which are taken from up's) under headings in --help, in the
// order a user decides them. A flag not listed here shows under "Other";
// add it where it belongs. The kube flags carry their heading
// (addKubeFlags).
var flagCategories = map[string]string{
	"profile": "1. Profile", "ingress": "1. Profile", "gitops": "1. Profile", "without": "1. Profile",
	"set": "2. Values", "values": "2. Values", "password": "2. Values", "domain": "2. Values", "ip": "2. Values",
	"gitops-repo": "2. Values", "gitops-path": "2. Values", "gitops-revision": "2. Values",
	"gitops-username": "2. Values", "gitops-password": "2. Values", "gitops-ssh-key": "2. Values", "gitops-known-hosts": "2. Values",
	"registry": "2. Values", "registry-username": "2. Values", "registry-password": "2. Values", "in-cluster-registry": "2. Values",
	"chart-mirror": "3. Charts", "charts-dir": "3. Charts", "offline": "3. Charts", "cache-dir": "3. Charts",
	"lock": "3. Charts", "locked": "3. Charts", "bundle": "3. Charts", "registry-config": "3. Charts", "repository-config": "3. Charts",
	"create-cluster": "4. Cluster", "cluster-name": "4. Cluster", "kind-config": "4. Cluster", "skip-preflight": "4. Cluster",
	"kube-version": "4. Cluster",
	"dry-run":      "5. Install", "rollback-on-failure": "5. Install", "timeout": "5. Install", "wait-for-lock": "5. Install", "adopt": "5. Install",
	"output": "6. Output", "quiet": "6. Output", "show-passwords": "6. Output", "output-dir": "6. Output",
}

const (
	// headingAnnotation names a flag's heading in --help.
	headingAnnotation = "slipway.dev/heading"
	clusterHeading    = "4. Cluster"
	// groupedAnnotation on a command puts each of its flags under the
	// heading flagCategories gives it.
	groupedAnnotation = "slipway.dev/grouped-flags"
)

// grouped marks c's flags to be shown under flagCategories' headings.
func grouped(c *cobra.Command) *cobra.Command {
	c.Annotations = map[string]string{groupedAnnotation: "true"}
	return c
}

// setHelp gives every command the same help: what it does, its usage and
// commands, then its flags under headings (wrapped to the terminal's
// width), then the global ones.
func setHelp(root *cobra.Command) {
	root.SetHelpFunc(func(c *cobra.Command, _ []string) {
		writeHelp(c.OutOrStdout(), c)
	})
}

func writeHelp(w io.Writer, c *cobra.Command) {
	b := &strings.Builder{}
	b.WriteString(c.Short + "\n")
	if c.Long != "" {
		b.WriteString("\n" + strings.TrimRight(c.Long, "\n") + "\n")
	}
	b.WriteString("\nUsage:\n")
	// A group shows its commands; one that also takes arguments
	// (credentials [COMPONENT...]) its own usage too.
	if c.Runnable() && (!c.HasAvailableSubCommands() || strings.Contains(c.Use, " ")) {
		fmt.Fprintf(b, "  %s\n", c.UseLine())
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(b, "  %s COMMAND [flags]\n", c.CommandPath())
	}
	if len(c.Aliases) > 0 {
		fmt.Fprintf(b, "\nAliases: %s\n", strings.Join(append([]string{c.Name()}, c.Aliases...), ", "))
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\nCommands:\n")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				fmt.Fprintf(b, "  %-*s  %s\n", c.NamePadding(), sub.Name(), sub.Short)
			}
		}
	}
	width := terminalWidth(w)
	for _, s := range flagSections(c) {
		title := s.name + " flags"
		if s.name == "" {
			title = "Flags"
		}
		fmt.Fprintf(b, "\n%s:\n%s", title, s.flags.FlagUsagesWrapped(width))
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(b, "\nRun `%s COMMAND --help` for a command's flags and examples.\n", c.CommandPath())
	}
	io.WriteString(w, b.String())
}

type flagSection struct {
	name  string
	flags *pflag.FlagSet
}

// flagSections splits c's flags by heading: with groupedAnnotation under
// flagCategories' numbered headings, else its own flags, then the kube
// flags; the inherited ones (and --help, --version) last, as Global.
func flagSections(c *cobra.Command) []flagSection {
	byName := map[string]*pflag.FlagSet{}
	var order []string
	add := func(heading string, f *pflag.Flag) {
		if byName[heading] == nil {
			byName[heading] = pflag.NewFlagSet(heading, pflag.ContinueOnError)
			byName[heading].SortFlags = false
			order = append(order, heading)
		}
		byName[heading].AddFlag(f)
	}
	inherited := c.InheritedFlags()
	persistent := c.PersistentFlags()
	all := c.Flags()
	all.SortFlags = false
	all.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || inherited.Lookup(f.Name) != nil || persistent.Lookup(f.Name) != nil || f.Name == "help" || f.Name == "version" {
			return
		}
		heading := "0. " // the command's own: "Flags"
		switch {
		case len(f.Annotations[headingAnnotation]) > 0:
			heading = f.Annotations[headingAnnotation][0]
		case c.Annotations[groupedAnnotation] != "":
			if h, ok := flagCategories[f.Name]; ok {
				heading = h
			} else {
				heading = "7. Other"
			}
		}
		add(heading, f)
	})
	global := pflag.NewFlagSet("global", pflag.ContinueOnError)
	global.SortFlags = false
	for _, name := range []string{"help", "version"} {
		if f := c.Flags().Lookup(name); f != nil {
			global.AddFlag(f)
		}
	}
	global.AddFlagSet(persistent)
	global.AddFlagSet(inherited)
	slices.Sort(order)
	var out []flagSection
	for _, h := range order {
		_, name, _ := strings.Cut(h, ". ")
		out = append(out, flagSection{name, byName[h]})
	}
	return append(out, flagSection{"Global", global})
}

// terminalWidth is w's width when it is a terminal; 0 (no wrapping)
// otherwise, so piped help stays one line per flag.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil {
			return width
		}
	}
	return 0
}
