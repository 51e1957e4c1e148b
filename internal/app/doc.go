// Package app is slipway's command tree (spf13/cobra and pflag, the flag library of kubectl, helm, kind and flux). Each command is
// thin: it parses flags into one Options struct, calls one library
// function, renders the result to stdout, and maps the error to an exit
// code. Nothing here calls os.Exit, except the watcher of a second
// SIGINT/SIGTERM (signals.go), which Main hands os.Exit; Main returns the
// code for cmd/slipway.
//
// Exit codes:
//
//	0    success
//	1    failure (install, upgrade, cluster error; the run lock held by
//	     another run)
//	2    usage or input error (bad flag, profile, values file; a release
//	     or Secret slipway would change that is not slipway's)
//	3    `slipway diff`: changes pending
//	4    `slipway status`: some component is not ready
//	124  readiness timeout (--timeout elapsed before everything was ready)
//	130  interrupted (SIGINT/SIGTERM; a second one exits at once)
package app
