// Package plan turns a selected profile, the resolved chart versions, the
// credentials and the user's overrides into the exact releases `up` will
// apply: one chart version each, final values, hostnames, and the order
// given by `needs`.
//
// It is pure: no cluster, no network, no Helm. Everything it needs arrives
// in Input, so a plan can be built and golden-tested anywhere, and --dry-run
// shows exactly what a real run would do.
//
// Values are merged in this order, later winning, maps merged key by key:
// profile defaults < generated (hostnames, ingress class, credentials
// wiring, GitOps settings) < -f files in order < --set in order.
package plan
