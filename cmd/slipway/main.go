// Command slipway turns an empty Kubernetes cluster into a CI/CD platform.
// All behaviour lives in internal/app; main sets the runtime up and exits
// with its code.
package main

import (
	"os"
	"runtime/debug"

	"github.com/slipway-dev/slipway/internal/app"
)

// heapLimit is a soft limit on the Go heap: near it the garbage collector
// runs sooner instead of letting garbage grow the heap to twice the live
// data. Installing the default profile's real charts keeps under 50 MiB
// live; with this limit its peak RSS fell from about 155 MB to 136 MB at
// no measurable CPU cost (BENCHMARKS.md, figure 4c). GOMEMLIMIT overrides
// it; a larger live heap only makes the collector work harder.
const heapLimit = 64 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(heapLimit)
	}
	os.Exit(app.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
