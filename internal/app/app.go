package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/slipway-dev/slipway/internal/buildinfo"
	"github.com/slipway-dev/slipway/internal/debuglog"
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad input (exit 2).
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// withCode wraps err with an exit code unless it already has one.
func withCode(code int, err error) error {
	var ee *exitError
	if err == nil || errors.As(err, &ee) {
		return err
	}
	return &exitError{code: code, err: err}
}

// Main runs slipway with args (args[0] is the program name) and returns
// the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	note := interruptNote(append([]string{args[0]}, commandFirst(rootCommand(), args[1:])...))
	ctx, stop := onSignals(context.Background(), sigs, stderr, note, os.Exit)
	defer stop()
	return Run(ctx, args, stdin, stdout, stderr)
}

// Run is Main with a caller-owned context, for tests.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := rootCommand()
	root.SetArgs(commandFirst(root, args[1:]))
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if debugRequested(args) {
		// Progress as plain lines (not a redrawn block) so the debug
		// lines between them stay readable.
		plain := struct{ io.Writer }{stderr}
		root.SetErr(plain)
		defer debuglog.Enable(plain)()
		debuglog.Printf("slipway %s", buildinfo.Read().Short())
	}
	setUsageErrors(root, args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "slipway: "+err.Error())
	// Stopped by a signal: 130 whatever the command made of its
	// cancelled context.
	if errors.Is(context.Cause(ctx), errInterrupted) {
		return exitInterrupted
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if ctx.Err() != nil {
		return exitInterrupted
	}
	// Errors from parsing the command line come from cobra itself.
	return 2
}

func init() {
	// Commands in the order a user meets them, not alphabetically.
	cobra.EnableCommandSorting = false
}

func rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:     "slipway",
		Short:   "turn an empty Kubernetes cluster into a CI/CD platform in one command",
		Version: buildinfo.Read().Short(),
		Long: `slipway installs an ingress controller, Jenkins and a GitOps agent (Argo CD
or Flux) from a versioned profile with the Helm SDK, waits until everything
is ready, and prints the URLs and the admin credentials it generated.

Flags go before or after the command, as with kubectl and helm:
slipway --context kind-dev status is slipway status --context kind-dev.

Examples:
  slipway up                              # the default profile on the current kube context
  slipway up --create-cluster             # a kind cluster first (Docker or Podman), then the platform
  slipway up --gitops flux --ingress nginx
  slipway up --dry-run                    # show the plan, touch nothing
  slipway credentials                     # print the logins again
  slipway profiles list`,
		// Without a command, help; with an unknown one, a one-line error
		// with a suggestion.
		Args: cobra.ArbitraryArgs,
		RunE: groupAction,
		// Errors are printed once, by Run, with the exit code it picks;
		// a usage error is one line, not the whole help.
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.PersistentFlags().AddFlag(debugFlag())
	// --version, with no short form: cobra would take -v, which kubectl,
	// kind and helm users read as verbosity.
	root.Flags().Bool("version", false, "print the version (the version command says more)")
	root.AddCommand(
		upCommand(),
		statusCommand(),
		diffCommand(),
		templateCommand(),
		bundleCommand(),
		downCommand(),
		credentialsCommand(),
		profilesCommand(),
		clusterCommand(),
		versionCommand(),
		completionCommand(),
		manCommand(),
	)
	setHelp(root)
	return root
}

// setUsageErrors makes flag errors (unknown flag, bad duration) one line
// that names the command and where to look; every command inherits it.
func setUsageErrors(root *cobra.Command, args []string) {
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// slipway --kubeconfg K status: the flag was meant for status.
		var notExist *pflag.NotExistError
		if sub := commandNamed(c, args); !c.HasParent() && sub != nil && errors.As(err, &notExist) {
			c = sub
		}
		msg := flagErrorMessage(c, args, err)
		if !c.HasParent() {
			return usageError("%s; `slipway --help` lists the flags", msg)
		}
		path := c.CommandPath()
		return usageError("%s: %s; `%s --help` lists the flags", path[len(root.Name())+1:], msg, path)
	})
}
