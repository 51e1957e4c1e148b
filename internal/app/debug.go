package app

import (
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// debugFlag is slipway's one global flag: every command may talk to a
// cluster, a chart repository or kind, so every command takes it.
func debugFlag() *pflag.Flag {
	fs := pflag.NewFlagSet("", pflag.ContinueOnError)
	fs.Bool("debug", false, "print the Helm SDK's and kind's logs and every HTTP request (method, URL, status, duration; never headers or bodies) to stderr (default: $SLIPWAY_DEBUG)")
	return fs.Lookup("debug")
}

// debugRequested says whether --debug (anywhere before "--") or
// SLIPWAY_DEBUG asks for debug output. It is read before cobra parses
// the command line because the sink must be in place before any command's
// clients are built, whichever command the flag follows.
func debugRequested(args []string) bool {
	for _, a := range args[1:] {
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--debug"); ok && (v == "" || strings.HasPrefix(v, "=")) {
			on, err := strconv.ParseBool(strings.TrimPrefix(v, "="))
			return v == "" || (err == nil && on)
		}
	}
	on, err := strconv.ParseBool(os.Getenv("SLIPWAY_DEBUG"))
	return err == nil && on
}
