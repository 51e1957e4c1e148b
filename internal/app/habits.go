package app

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagErrorMessage rewrites pflag's error for a flag of c: the flag spelt
// as it was typed (-o for a one-letter flag, --output otherwise) and, for
// an unknown flag, the nearest flag c takes.
func flagErrorMessage(c *cobra.Command, args []string, err error) string {
	var (
		notExist *pflag.NotExistError
		noValue  *pflag.ValueRequiredError
		invalid  *pflag.InvalidValueError
	)
	switch {
	case errors.As(err, &notExist):
		name, bundle := notExist.GetSpecifiedName(), notExist.GetSpecifiedShortnames()
		if bundle != "" {
			// pflag names what is left of the bundle; the user typed all of it.
			bundle = typedBundle(args, bundle)
			if len([]rune(bundle)) > 1 {
				// -qz: a bundle of one-letter flags, one of which does not exist.
				return fmt.Sprintf("unknown flag -%s in -%s", name[:1], bundle)
			}
			return "unknown flag -" + name[:1]
		}
		out := "unknown flag --" + name
		if s := suggest(flagNames(c), name); s != "" {
			out += fmt.Sprintf(" (did you mean %s?)", dashed(s))
		}
		return out
	case errors.As(err, &noValue):
		name := noValue.GetSpecifiedName()
		if noValue.GetSpecifiedShortnames() != "" {
			return "flag -" + name[:1] + " needs a value"
		}
		return "flag --" + name + " needs a value"
	case errors.As(err, &invalid):
		f := invalid.GetFlag()
		name := "--" + f.Name
		if f.Shorthand != "" && typedShort(args, f.Shorthand) {
			name = "-" + f.Shorthand
		}
		return fmt.Sprintf("invalid value %q for flag %s: %v", invalid.GetValue(), name, errors.Unwrap(invalid))
	}
	return err.Error()
}

// typedShort says whether the command line uses the one-letter form of
// a flag (-o json, -o=json, -ojson or in a bundle like -qo).
func typedShort(args []string, short string) bool {
	for _, a := range args[1:] {
		if a == "--" {
			break
		}
		if len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.Contains(strings.SplitN(a[1:], "=", 2)[0], short) {
			return true
		}
	}
	return false
}

// typedBundle is the bundle of one-letter flags on the command line
// that ends with rest, what pflag had left of it when it stopped.
func typedBundle(args []string, rest string) string {
	for _, a := range args[1:] {
		if a == "--" {
			break
		}
		if len(a) > 1 && a[0] == '-' && a[1] != '-' {
			if b, _, _ := strings.Cut(a[1:], "="); strings.HasSuffix(b, rest) {
				return b
			}
		}
	}
	return rest
}

// dashed spells a flag name as it is typed.
func dashed(name string) string {
	if len([]rune(name)) == 1 {
		return "-" + name
	}
	return "--" + name
}

// flagNames are every name and shorthand of the flags c takes, its own
// and those it inherits, help included.
func flagNames(c *cobra.Command) []string {
	names := []string{"help", "h"}
	add := func(f *pflag.Flag) {
		if !slices.Contains(names, f.Name) {
			names = append(names, f.Name)
		}
		if f.Shorthand != "" {
			names = append(names, f.Shorthand)
		}
	}
	c.LocalFlags().VisitAll(add)
	c.InheritedFlags().VisitAll(add)
	return names
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
func commandNames(c *cobra.Command) (visible, all []string) {
	for _, sub := range c.Commands() {
		if sub.Hidden || sub.Name() == "help" {
			continue
		}
		visible = append(visible, sub.Name())
		all = append(all, sub.Name())
		all = append(all, sub.Aliases...)
	}
	return visible, all
}

// unknownCommand is the error for a command c does not have: with a
// suggestion when one is near, else the list.
func unknownCommand(c *cobra.Command, typed string) error {
	visible, all := commandNames(c)
	full := c.CommandPath()
	if s := suggest(all, typed); s != "" {
		return usageError("unknown command %q for %q; did you mean %q? (`%s --help` lists the commands)", typed, full, s, full)
	}
	return usageError("unknown command %q for %q; commands: %s (`%s --help` describes them)", typed, full, strings.Join(visible, ", "), full)
}

// groupAction runs a command that only groups others (slipway itself,
// profiles, bundle, cluster, completion): help without arguments, the
// unknown-command error with one.
func groupAction(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	return unknownCommand(cmd, args[0])
}

// commandFirst moves the command words (slipway credentials rotate …)
// ahead of the flags typed before them, so `slipway --kubeconfig K
// --insecure-skip-tls-verify -qo json status` is `slipway status
// --kubeconfig K …`, as kubectl and helm take global flags. cobra finds
// the command past a flag only when it can tell whether the flag takes
// a value, which it knows for the root's own flags alone; here it is
// read from every command's flags. A flag no command has is taken to
// need no value, and then fails where the command parses it; at the
// first word that is no command (an argument, a typo) the rest is left
// as it is.
func commandFirst(root *cobra.Command, args []string) []string {
	if len(args) > 1 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		// A completion request: the same, up to the word being completed.
		last := len(args) - 1
		return append(append([]string{args[0]}, commandFirst(root, args[1:last])...), args[last])
	}
	takesValue := map[string]bool{}
	var learn func(c *cobra.Command)
	learn = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			v := f.NoOptDefVal == ""
			takesValue["--"+f.Name] = v
			if f.Shorthand != "" {
				takesValue["-"+f.Shorthand] = v
			}
		})
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { takesValue["--"+f.Name] = f.NoOptDefVal == "" })
		for _, sub := range c.Commands() {
			learn(sub)
		}
	}
	learn(root)
	needsNext := func(a string) bool {
		if strings.Contains(a, "=") {
			return false
		}
		if strings.HasPrefix(a, "--") {
			return takesValue[a]
		}
		// -qo: o takes the next argument; -ojson: it took "json".
		for i, r := range a[1:] {
			if takesValue["-"+string(r)] {
				return i == len(a)-2
			}
		}
		return false
	}
	var words, flags []string
	c, i := root, 0
	for i < len(args) && args[i] != "--" {
		a := args[i]
		if len(a) < 2 || a[0] != '-' {
			sub := subcommand(c, a)
			if sub == nil {
				break
			}
			words, c = append(words, a), sub
			i++
			continue
		}
		flags = append(flags, a)
		i++
		if needsNext(a) && i < len(args) {
			flags = append(flags, args[i])
			i++
		}
	}
	return append(append(words, flags...), args[i:]...)
}

// commandNamed is the deepest command the words of args name below root
// (slipway --kubeconfg K credentials rotate: credentials rotate), or nil.
func commandNamed(root *cobra.Command, args []string) *cobra.Command {
	c := root
	for _, a := range args[1:] {
		if a == "--" {
			break
		}
		if sub := subcommand(c, a); sub != nil {
			c = sub
		}
	}
	if c == root {
		return nil
	}
	return c
}

// subcommand is c's command named (or aliased) name, if any.
func subcommand(c *cobra.Command, name string) *cobra.Command {
	for _, sub := range c.Commands() {
		if sub.Name() == name || sub.HasAlias(name) {
			return sub
		}
	}
	return nil
}
