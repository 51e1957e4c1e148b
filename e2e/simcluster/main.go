// Command simcluster runs the hermetic Kubernetes cluster that slipway's
// end-to-end tests use, for trying slipway by hand without Docker:
//
//	go -C e2e run ./simcluster up            # prints the kubeconfig path
//	kubectl --kubeconfig "$(go -C e2e run ./simcluster env --path)" get nodes
//	eval "$(go -C e2e run ./simcluster env)" # exports KUBECONFIG
//	go -C e2e run ./simcluster down          # stops every process of it
//	go -C e2e run ./simcluster build         # only build and cache the binaries
//
// (e2e is a module of its own; from inside e2e/ it is go run ./simcluster.)
//
// The first run builds etcd, the control plane and kwok from Go modules
// (about 20 minutes on 2 cores); later runs start in a few seconds.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/slipway-dev/slipway/e2e/sim"
)

const usage = `usage: go -C e2e run ./simcluster <command> [flags]

commands:
  up      start a detached simulated cluster and print its kubeconfig path
  down    stop it (no process is left behind); not running is not an error
  env     print "export KUBECONFIG=<path>" (or only the path with --path)
  build   build and cache the binaries, start nothing

flags:
  --name NAME         cluster name (default "slipway")
  --timing fast|realistic
                      pod timing: fast makes pods Ready at once, realistic uses
                      kwok's delays with jitter (default fast; up only)
  --path              env: print only the kubeconfig path
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(os.Stderr, usage) }
	name := fs.String("name", "slipway", "")
	timing := fs.String("timing", string(sim.Fast), "")
	pathOnly := fs.Bool("path", false, "")
	if err := fs.Parse(os.Args[2:]); err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cmd, *name, sim.Timing(*timing), *pathOnly); err != nil {
		fmt.Fprintln(os.Stderr, "simcluster:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cmd, name string, timing sim.Timing, pathOnly bool) error {
	switch cmd {
	case "up":
		c, err := sim.Start(ctx, sim.Options{Name: name, Timing: timing, Detached: true, Log: os.Stderr})
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "simcluster: cluster %q is up (node %s Ready); stop it with: go -C e2e run ./simcluster down --name %s\n", name, sim.NodeName, name)
		fmt.Println(c.Kubeconfig)
		return nil
	case "down":
		return sim.Down(name)
	case "env":
		path, err := sim.DetachedKubeconfig(name)
		if err != nil {
			return err
		}
		if pathOnly {
			fmt.Println(path)
		} else {
			fmt.Printf("export KUBECONFIG=%s\n", path)
		}
		return nil
	case "build":
		b, err := sim.EnsureBinaries(ctx, os.Stderr)
		if err != nil {
			return err
		}
		fmt.Println(b.Dir)
		return nil
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
