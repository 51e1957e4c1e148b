package app

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/urfave/cli/v3"
)

// flagError matches urfave/cli's flag parse errors, whose flag name comes
// with one dash, two, or none (a flag of a bundle like -qx), to print it
// the way it is typed: -o for a one-letter flag, --output otherwise.
var flagError = regexp.MustCompile(`^(flag provided but not defined: |flag needs an argument: |invalid value "(?:[^"\\]|\\.)*" for flag )(-{0,2})([^\s:]+)`)

// flagMessage rewrites urfave/cli's message of a flag error and, for an
// unknown flag, suggests the nearest flag c takes. urfave/cli writes one
// dash whatever was typed, so args (the command line) says which it was.
func flagMessage(c *cli.Command, args []string, msg string) string {
	m := flagError.FindStringSubmatchIndex(msg)
	if m == nil {
		return msg
	}
	kind, dashes, name := msg[m[2]:m[3]], msg[m[4]:m[5]], msg[m[6]:m[7]]
	rest := msg[m[1]:]
	switch {
	case strings.HasPrefix(kind, "flag provided"):
		if len([]rune(name)) > 1 && (dashes == "" || slices.Contains(args, "-"+name)) {
			// -qx: a bundle of one-letter flags, one of which does not exist.
			if u := unknownShort(c, name); u != "" {
				return fmt.Sprintf("unknown flag -%s in -%s", u, name) + rest
			}
		}
		out := "unknown flag " + dashed(name)
		if sub := commandAfter(c, args); sub != nil && c.Root() == c && slices.Contains(flagNames(sub), name) {
			// slipway --kubeconfig K status: kubectl takes global flags
			// before the command; urfave/cli only where they are defined.
			return fmt.Sprintf("%s is a flag of %q: put it after the command, e.g. slipway %s %s …", dashed(name), sub.Name, sub.Name, dashed(name))
		}
		if s := suggest(flagNames(c), name); s != "" {
			out += fmt.Sprintf(" (did you mean %s?)", dashed(s))
		}
		return out + rest
	case strings.HasPrefix(kind, "flag needs"):
		return "flag " + dashed(name) + " needs a value" + rest
	case dashes == "" && len([]rune(name)) > 1:
		return kind + "-" + name + rest
	default:
		return kind + dashed(name) + rest
	}
}

// commandAfter is the first subcommand of c named in args, if any.
func commandAfter(c *cli.Command, args []string) *cli.Command {
	for _, a := range args[1:] {
		if sub := c.Command(a); sub != nil {
			return sub
		}
	}
	return nil
}

// dashed spells a flag name as it is typed.
func dashed(name string) string {
	if len([]rune(name)) == 1 {
		return "-" + name
	}
	return "--" + name
}

// unknownShort is the first letter of bundle that is no flag of c.
func unknownShort(c *cli.Command, bundle string) string {
	names := flagNames(c)
	for _, r := range bundle {
		if !slices.Contains(names, string(r)) {
			return string(r)
		}
	}
	return ""
}

// flagNames are every name and alias of the flags c takes, its own and
// those it inherits, help included.
func flagNames(c *cli.Command) []string {
	var names []string
	for _, cmd := range c.Lineage() {
		for _, f := range cmd.Flags {
			if cmd != c {
				if l, ok := f.(interface{ IsLocal() bool }); ok && l.IsLocal() {
					continue
				}
			}
			names = append(names, f.Names()...)
		}
	}
	return append(names, "help", "h")
}

// suggest returns the candidate nearest to typed, if it is near enough to
// be a typo (a few edits, or typed is its prefix), as cobra suggests.
func suggest(candidates []string, typed string) string {
	if len([]rune(typed)) < 2 {
		return "" // -x: any letter is one edit from any other
	}
	// At most two edits, and fewer than half the word: "qz" is not a
	// typo of "ip".
	best, bestDist := "", min(3, len([]rune(typed))/2+1)
	for _, c := range candidates {
		if len([]rune(c)) == 1 {
			continue
		}
		d := levenshtein(strings.ToLower(c), strings.ToLower(typed))
		if d < bestDist || (d == bestDist && best != "" && c < best) {
			best, bestDist = c, d
		}
	}
	if best != "" {
		return best
	}
	for _, c := range candidates {
		if strings.HasPrefix(c, typed) {
			return c
		}
	}
	return ""
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}

// commandNames are the visible commands of c with their aliases.
func commandNames(c *cli.Command) (visible, all []string) {
	for _, sub := range c.Commands {
		if sub.Hidden || sub.Name == "help" {
			continue
		}
		visible = append(visible, sub.Name)
		all = append(all, sub.Names()...)
	}
	return visible, all
}

// unknownCommand is the error for a command c does not have: with a
// suggestion when one is near, else the list.
func unknownCommand(c *cli.Command, typed string) error {
	visible, all := commandNames(c)
	full := c.FullName()
	if s := suggest(all, typed); s != "" {
		return usageError("unknown command %q for %q; did you mean %q? (`%s --help` lists the commands)", typed, full, s, full)
	}
	return usageError("unknown command %q for %q; commands: %s (`%s --help` describes them)", typed, full, strings.Join(visible, ", "), full)
}

// groupAction is the Action of a command that only groups others
// (profiles, bundle, cluster): help without arguments, the unknown-command
// error with one (urfave/cli would print "No help topic for ...").
func groupAction(ctx context.Context, cmd *cli.Command) error {
	if cmd.Args().Len() == 0 {
		return cli.ShowSubcommandHelp(cmd)
	}
	return unknownCommand(cmd, cmd.Args().First())
}
