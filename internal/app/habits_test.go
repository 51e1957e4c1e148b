package app

import (
	"strings"
	"testing"
)

// commandFirst puts the command words first, whatever flags were typed
// before them, and leaves everything from the first non-command word on
// as it was.
func TestCommandFirst(t *testing.T) {
	root := rootCommand()
	for in, want := range map[string]string{
		"status":                            "status",
		"--kubeconfig K --context C status": "status --kubeconfig K --context C",
		"--insecure-skip-tls-verify -s S status -o json": "status --insecure-skip-tls-verify -s S -o json",
		"-qo json up --dry-run":                          "up -qo json --dry-run",
		"-qojson up":                                     "up -qojson",
		"--token=T credentials rotate jenkins":           "credentials rotate --token=T jenkins",
		"--context up status":                            "status --context up", // up is --context's value
		"credentials --kubeconfig K ci --field password": "credentials --kubeconfig K ci --field password",
		"--verbose up":                                   "up --verbose", // unknown: taken to need no value
		"stauts --kubeconfig K":                          "stauts --kubeconfig K",
		"--debug -- up":                                  "--debug -- up",
		"__complete --kubeconfig K status --con":         "__complete status --kubeconfig K --con",
	} {
		if got := strings.Join(commandFirst(root, strings.Fields(in)), " "); got != want {
			t.Errorf("%s:\n got %s\nwant %s", in, got, want)
		}
	}
}
