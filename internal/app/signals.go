package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
)

// exitInterrupted is the exit code of a command stopped by SIGINT or
// SIGTERM (128 + SIGINT, as shells report it).
const exitInterrupted = 130

// onSignals cancels the command's context on the first SIGINT or SIGTERM
// and says, in one line on stderr, that slipway is stopping and what the
// command leaves behind; the command then unwinds (releases its run
// lock, prints what it got to) and exits 130. A second signal calls exit
// at once: an operation that does not honour its context (a Helm action
// that takes none) cannot keep the user waiting. signal.NotifyContext
// alone swallows every signal after the first, so `template` against a
// registry that never answered ignored two SIGINTs and a SIGTERM (issue
// 17, item 5).
//
// The returned stop ends the watch; it does not restore the default
// signal handling (Main returns right after).
func onSignals(parent context.Context, sigs <-chan os.Signal, stderr io.Writer, note string, exit func(int)) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(stderr, "slipway: %s: stopping (again to exit at once); %s\n", signalName(s), note)
			cancel(errInterrupted)
		case <-done:
			return
		}
		select {
		case <-sigs:
			fmt.Fprintln(stderr, "slipway: second interrupt: exiting now")
			exit(exitInterrupted)
		case <-done:
		}
	}()
	return ctx, func() { close(done); cancel(nil) }
}

// errInterrupted is the cause of a context cancelled by a signal.
var errInterrupted = fmt.Errorf("interrupted")

func signalName(s os.Signal) string {
	switch s.String() {
	case "interrupt":
		return "interrupted (SIGINT)"
	case "terminated":
		return "terminated (SIGTERM)"
	}
	return s.String()
}

// interruptNote says what an interrupted command leaves behind, so the
// stopping line tells the user what the next run will find.
func interruptNote(args []string) string {
	cmd := ""
	for _, a := range args[1:] {
		if len(a) > 0 && a[0] != '-' {
			cmd = a
			break
		}
	}
	switch cmd {
	case "up":
		return "a release being installed is left as it is, and the next `slipway up` resumes it"
	case "down":
		return "what is not removed yet stays installed; the next `slipway down` removes the rest"
	case "credentials":
		if !slices.Contains(args, "rotate") {
			break
		}
		return "a rotation cut short leaves the new password stored; `slipway up` or another rotate finishes it"
	case "cluster":
		return "a kind cluster being created may be left half made; `slipway cluster delete` removes it"
	}
	return "nothing in the cluster was changed by this command"
}
