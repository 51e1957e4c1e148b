// Package runlock keeps two slipway runs from changing one cluster at
// once: `up`, `down` and `credentials rotate` hold a coordination.k8s.io
// Lease, slipway-system/slipway-run, for as long as they run. Without it
// a second `up` took the first one's release, pending mid-install, for
// one an interrupted run had left, and rolled it back (issue 17, item 7).
//
// Taking the lock is one request when it is free (a Create; a missing
// namespace costs two more, once per cluster), and releasing it one
// Delete: slipway runs against clusters 100 ms away. While held, the
// Lease is renewed every Duration/3; a holder that stops renewing (a
// killed process, a lost laptop) loses it Duration after its last
// renewal. Expiry is judged by this machine's clock against the renewal
// time the holder wrote, so clocks more than Duration apart can take a
// live lock over early or hold a dead one longer.
//
// A holder on this machine whose process is gone (SIGKILL, a second
// Ctrl-C) is taken over at once rather than after expiry: the Lease
// records the process (boot, PID namespace and PID), which only this
// machine can check (alive_linux.go).
//
// A second run is told who holds the lock and since when (*HeldError,
// exit 1), or, with Wait, watches the Lease until it is released or
// expires, bounded by its context.
package runlock
