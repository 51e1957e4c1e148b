// Command slipway turns an empty Kubernetes cluster into a CI/CD platform.
// All behaviour lives in internal/app; main only exits with its code.
package main

import (
	"os"

	"github.com/slipwayhq/slipway/internal/app"
)

func main() {
	os.Exit(app.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
