// Package ui writes progress for people: to stderr, redrawn in place on a
// terminal (one line per component, then the resources it still waits
// for), and as plain, append-only lines otherwise, so CI logs and pipes
// stay readable. Results go to stdout through package report, never here.
// NO_COLOR is honoured, and --quiet silences everything but warnings.
package ui
