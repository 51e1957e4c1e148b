// Package report renders slipway's results on stdout: the table a person
// reads after `up` or `credentials`, and the same data as one JSON (or
// YAML) document for scripts. Rows are sorted by the caller's order and
// rendering is deterministic, so output can be golden-tested and diffed.
package report
