// Package inventory records, in the cluster itself, what slipway
// installed: one ConfigMap (slipway-system/slipway-inventory) listing each
// component's namespace, release, chart version, credentials Secret, URL
// and the profile that made it. Commands that work "from the cluster
// alone" (credentials, status, down) start here, so they need neither the
// profile nor cluster-wide list permissions: `get` on this ConfigMap and on
// the Secrets it names is enough.
package inventory
