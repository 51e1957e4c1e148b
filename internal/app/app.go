package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v3"

	"github.com/slipway-dev/slipway/internal/buildinfo"
	"github.com/slipway-dev/slipway/internal/debuglog"
)

// exitError carries an exit code through urfave/cli.
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
	ctx, stop := onSignals(context.Background(), sigs, stderr, interruptNote(args), os.Exit)
	defer stop()
	return Run(ctx, args, stdin, stdout, stderr)
}

// Run is Main with a caller-owned context, for tests.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := rootCommand()
	root.Reader, root.Writer, root.ErrWriter = stdin, stdout, stderr
	if debugRequested(args) {
		// Progress as plain lines (not a redrawn block) so the debug
		// lines between them stay readable.
		plain := struct{ io.Writer }{stderr}
		root.ErrWriter = plain
		defer debuglog.Enable(plain)()
		debuglog.Printf("slipway %s", buildinfo.Read().Short())
	}
	// Never let urfave/cli exit the process: the code is ours to return.
	root.ExitErrHandler = func(context.Context, *cli.Command, error) {}
	setUsageErrors(root, args)
	err := root.Run(ctx, args)
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
	// Errors from flag parsing come from urfave/cli itself.
	return 2
}

func rootCommand() *cli.Command {
	return &cli.Command{
		Name:    "slipway",
		Usage:   "turn an empty Kubernetes cluster into a CI/CD platform in one command",
		Version: buildinfo.Read().Short(),
		Description: `slipway installs an ingress controller, Jenkins and a GitOps agent (Argo CD
or Flux) from a versioned profile with the Helm SDK, waits until everything
is ready, and prints the URLs and the admin credentials it generated.

Examples:
  slipway up                              # the default profile on the current kube context
  slipway up --create-cluster             # a kind cluster first (Docker or Podman), then the platform
  slipway up --gitops flux --ingress nginx
  slipway up --dry-run                    # show the plan, touch nothing
  slipway credentials                     # print the logins again
  slipway profiles list`,
		// Without a command, help; with an unknown one, a one-line error
		// (urfave/cli would print "No help topic for ...").
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() == 0 {
				return cli.ShowRootCommandHelp(cmd)
			}
			return unknownCommand(cmd, cmd.Args().First())
		},
		// -qo json is -q -o json, as with kubectl and helm.
		UseShortOptionHandling:          true,
		EnableShellCompletion:           true,
		ConfigureShellCompletionCommand: configureCompletion,
		Suggest:                         true,
		Flags:                           []cli.Flag{debugFlag()},
		Commands: []*cli.Command{
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
			manCommand(),
		},
	}
}

// setUsageErrors makes flag errors (unknown flag, bad duration) one line
// that names the command and where to look, instead of urfave/cli's
// "Incorrect Usage" followed by the whole help text.
func setUsageErrors(cmd *cli.Command, args []string) {
	cmd.OnUsageError = func(_ context.Context, c *cli.Command, err error, _ bool) error {
		msg := flagMessage(c, args, err.Error())
		if c.Root() == c {
			return usageError("%s; `slipway --help` lists the flags", msg)
		}
		return usageError("%s: %s; `%s --help` lists the flags", strings.TrimPrefix(c.FullName(), "slipway "), msg, c.FullName())
	}
	for _, sub := range cmd.Commands {
		if len(sub.Commands) > 0 && sub.Action == nil {
			sub.Action = groupAction
		}
		setUsageErrors(sub, args)
	}
}
