//go:build tools

// Package tools pins the kwok command the hermetic cluster runs.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
