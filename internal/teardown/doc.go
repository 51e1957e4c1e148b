// Package teardown owns `slipway down`: it uninstalls components in
// reverse needs order, then removes what slipway created for them (the
// credential and generated Secrets carrying slipway's label, their
// inventory entries, and the namespaces slipway made that nothing uses
// any more), and lists or deletes the CRDs their charts installed. Like
// status and rotate it works from the inventory alone, without the
// profile; anything slipway did not create is left where it is.
package teardown
