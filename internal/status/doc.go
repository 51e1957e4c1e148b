// Package status owns `slipway status`: for every component the inventory
// lists, its Helm release (chart, version, revision, status) and its
// readiness now, with the reason when it is not ready. It reads the
// cluster alone and changes nothing, so it needs neither the profile nor
// the charts.
package status
