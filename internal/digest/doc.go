// Package digest owns how slipway names content and writes files: the
// sha256 digest of a chart archive or of a chart directory's files, the
// exact form a digest must have before it is trusted, and atomic writes
// (temp file, sync, rename) with the mode slipway gives every file it
// writes. Lock files, bundles and the chart cache all use it, so that a
// chart has one digest wherever it is.
package digest
