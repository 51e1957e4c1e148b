// Package rotate owns `slipway credentials rotate`: it replaces one
// component's password on purpose (generated, or the user's from a file),
// and makes the component use it: a chart that takes a hash of the
// password gets a Helm upgrade of its release with the new hash, and the
// Deployments and StatefulSets whose pods read the credentials Secret are
// restarted; then it waits until the component is ready again. It works
// from the cluster alone: the inventory says where everything is.
package rotate
